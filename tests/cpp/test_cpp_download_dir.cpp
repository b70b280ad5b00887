// Client::download_dir of the C++ wrapper against the local server: a tree uploaded with
// upload_dir comes back byte for byte with its events and progress; a second run with
// skip_existing fetches nothing (the server's request log); bad input and a missing bucket
// throw tos::Error; a local file in the way fails one object, listed in the output; an
// exception thrown by a callback is rethrown.
#include "cpp_test_util.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace {

using namespace tostest;

// A temporary folder, removed with what is in it.
struct TempDir {
    std::string path;
    TempDir() {
        char d[] = "/tmp/tos-cpp-dir-test-XXXXXX";
        if (mkdtemp(d) == nullptr) {
            std::perror("mkdtemp");
            std::exit(1);
        }
        path = d;
    }
    ~TempDir() {
        std::string cmd = "rm -rf '" + path + "'";
        if (std::system(cmd.c_str()) != 0) {
            std::cerr << "could not remove " << path << "\n";
        }
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
};

// Writes `size` bytes that depend on `rel` at root/rel, making the directories on the way.
void write_file(const std::string &root, const std::string &rel, std::uint64_t size) {
    std::string path = root;
    for (std::size_t start = 0, slash; (slash = rel.find('/', start)) != std::string::npos; start = slash + 1) {
        path = root + "/" + rel.substr(0, slash);
        mkdir(path.c_str(), 0700);
    }
    std::vector<char> data(size);
    for (std::size_t i = 0; i < data.size(); i++) {
        data[i] = static_cast<char>(i * 7 + rel.size() + i / 4096);
    }
    std::ofstream(root + "/" + rel, std::ios::binary).write(data.data(), static_cast<std::streamsize>(size));
}

using Tree = std::map<std::string, std::uint64_t>; // relative path: size

std::uint64_t total_size(const Tree &files) {
    std::uint64_t total = 0;
    for (const auto &f : files) {
        total += f.second;
    }
    return total;
}

// Writes the tree under src and uploads it under a fresh prefix, which it returns.
std::string upload_tree(const tos::Client &client, const std::string &bucket, const std::string &name,
                        const std::string &src, const Tree &files) {
    for (const auto &f : files) {
        write_file(src, f.first, f.second);
    }
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const std::string prefix = name + "-" + std::to_string(now) + "/";
    tos::UploadDirInput in(bucket, src, prefix);
    in.part_size = 5 * MiB;
    tos::UploadDirOutput out = client.upload_dir(in);
    CHECK(out.ok() && out.files_uploaded == files.size(), "uploading the tree under " << prefix);
    return prefix;
}

void check_same_tree(const std::string &got, const std::string &want, const Tree &files) {
    for (const auto &f : files) {
        const std::vector<char> a = read_file(got + "/" + f.first), b = read_file(want + "/" + f.first);
        CHECK(a == b && a.size() == f.second, f.first << ": " << a.size() << " bytes downloaded, " << b.size()
                                                      << " uploaded, differing");
    }
}

// The GetObject requests of the server's log for keys under `prefix` (other tests may run at
// the same time against the same server, so the rest of the log is not ours to count). The
// log is a JSON array of flat objects: each is read up to its closing brace.
int gets_under(const std::string &prefix) {
    const HttpReply log = admin_request("GET", "/log");
    CHECK(log.error.empty() && log.status == 200, "GET /__admin/log: " << log.status << " " << log.error);
    const std::string body(log.body.begin(), log.body.end());
    int n = 0;
    for (std::size_t start = 0, end; (end = body.find('}', start)) != std::string::npos; start = end + 1) {
        const std::string entry = body.substr(start, end - start);
        n += entry.find("\"op\":\"GetObject\"") != std::string::npos &&
             entry.find("\"key\":\"" + prefix) != std::string::npos;
    }
    return n;
}

void test_tree_and_skip_existing(const tos::Client &client, const std::string &bucket) {
    const Tree files = {{"big.bin", 6 * MiB + 5}, {"small.txt", 10}, {"sub/deep/c.bin", 100 * 1024}, {"empty", 0}};
    TempDir src, dest;
    const std::string prefix = upload_tree(client, bucket, "cpp-download-dir", src.path, files);
    const std::string restored = dest.path + "/restored"; // made by the call

    std::vector<tos::DownloadDirEvent> events;
    std::vector<tos::DownloadDirProgress> progress;
    tos::DownloadDirInput in(bucket, restored, prefix);
    in.part_size = 5 * MiB;
    in.task_num = 2;
    in.on_event = [&](const tos::DownloadDirEvent &e) { events.push_back(e); };
    in.on_progress = [&](const tos::DownloadDirProgress &p) { progress.push_back(p); };
    tos::DownloadDirOutput out = client.download_dir(in);

    CHECK(out.ok() && out.failures.empty(), (out.error ? out.error->what() : "failures"));
    CHECK(out.files_downloaded == files.size() && out.bytes_downloaded == total_size(files) &&
              out.files_skipped == 0 && out.dirs_created == 0,
          out.files_downloaded << " files, " << out.bytes_downloaded << " bytes");
    check_same_tree(restored, src.path, files);
    CHECK(gets_under(prefix) >= 2, "big.bin was not fetched in its two ranges");

    std::map<std::string, int> started, succeeded;
    for (const auto &e : events) {
        if (e.kind == TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED) {
            // Automatic file concurrency (file_concurrency 0) says what it chose: no key.
            CHECK(e.key.empty() && e.path.empty() && e.file_concurrency > 0, "concurrency " << e.file_concurrency);
            continue;
        }
        CHECK(e.key.compare(0, prefix.size(), prefix) == 0, "an event for " << e.key);
        const std::string rel = e.key.substr(std::min(prefix.size(), e.key.size()));
        if (e.kind == TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_STARTED) {
            started[rel]++;
        } else if (e.kind == TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_SUCCEEDED) {
            succeeded[rel]++;
            CHECK(e.path == restored + "/" + rel && files.count(rel) && e.size == files.at(rel) && !e.etag.empty() &&
                      !e.error,
                  "success event of " << e.key << " at " << e.path);
        } else {
            CHECK(false, "event " << e.kind << " for " << e.key);
        }
    }
    for (const auto &f : files) {
        CHECK(started[f.first] == 1 && succeeded[f.first] == 1, f.first << ": " << started[f.first] << " started, "
                                                                        << succeeded[f.first] << " succeeded");
    }
    CHECK(!progress.empty(), "no progress");
    if (!progress.empty()) {
        const tos::DownloadDirProgress &last = progress.back();
        CHECK(last.listing_complete && last.files_done == files.size() && last.files_total == files.size() &&
                  last.bytes_done == total_size(files) && last.files_failed == 0,
              "last progress: " << last.files_done << "/" << last.files_total << " files");
    }

    // The same tree again with skip_existing: every local file has its object's size and
    // CRC-64, so nothing is fetched.
    const int gets_before = gets_under(prefix);
    events.clear();
    tos::DownloadDirInput again(bucket, restored, prefix);
    again.skip_existing = true;
    again.on_event = [&](const tos::DownloadDirEvent &e) { events.push_back(e); };
    out = client.download_dir(again);
    CHECK(out.ok() && out.files_downloaded == 0 && out.files_skipped == files.size() &&
              out.bytes_skipped == total_size(files),
          "skip_existing: " << out.files_downloaded << " downloaded, " << out.files_skipped << " skipped");
    const int gets_after = gets_under(prefix);
    CHECK(gets_after == gets_before, "skip_existing fetched " << gets_after - gets_before << " objects");
    int skipped = 0;
    for (const auto &e : events) {
        if (e.kind == TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_SKIPPED) {
            skipped++;
            CHECK(!e.reason.empty(), "a skip event without its reason: " << e.key);
        }
    }
    CHECK(skipped == static_cast<int>(files.size()), skipped << " skip events");
    check_same_tree(restored, src.path, files);
}

// A regular file where a directory must go fails that object alone (local_write()); with
// continue_on_error the rest comes, and download_dir returns the failure rather than throw.
void test_failed_object(const tos::Client &client, const std::string &bucket) {
    const Tree files = {{"a.txt", 5}, {"sub/b.txt", 6}};
    TempDir src, dest;
    const std::string prefix = upload_tree(client, bucket, "cpp-download-dir-failure", src.path, files);
    write_file(dest.path, "sub", 3);
    tos::DownloadDirInput in(bucket, dest.path, prefix);
    in.continue_on_error = true;
    tos::DownloadDirOutput out = client.download_dir(in);
    CHECK(!out.ok() && out.error && out.error->result() == TOS_ERR_SOME_FILES_FAILED, "the output's error");
    CHECK(out.files_downloaded == 1 && read_file(dest.path + "/a.txt") == read_file(src.path + "/a.txt"),
          out.files_downloaded << " downloaded");
    CHECK(out.failures.size() == 1, out.failures.size() << " failures");
    if (out.failures.size() == 1) {
        const tos::DirFailure &f = out.failures[0];
        CHECK(f.key == prefix + "sub/b.txt" && f.path == dest.path + "/sub/b.txt" && f.error.local_write(),
              f.key << " at " << f.path << ": " << f.error.what());
    }
}

void test_errors(const tos::Client &client, const std::string &bucket) {
    TempDir dest;
    struct Case {
        const char *what;
        tos::DownloadDirInput in;
        tos_result want;
    };
    std::vector<Case> cases = {
        {"empty bucket", tos::DownloadDirInput("", dest.path), TOS_ERR_INVALID_BUCKET},
        {"part size too small", tos::DownloadDirInput(bucket, dest.path), TOS_ERR_INVALID_PART_SIZE},
        {"too many tasks", tos::DownloadDirInput(bucket, dest.path), TOS_ERR_INVALID_ARGUMENT},
    };
    cases[1].in.part_size = 1024;
    cases[2].in.task_num = 1001;
    for (const auto &c : cases) {
        try {
            client.download_dir(c.in);
            CHECK(false, c.what << ": no error");
        } catch (const tos::Error &e) {
            CHECK(e.result() == c.want && !e.is_server_error() && !e.message().empty(), c.what << ": " << e.what());
        }
    }

    // The listing fails: the call throws the server's answer.
    try {
        client.download_dir(tos::DownloadDirInput("cpp-no-such-bucket", dest.path + "/missing"));
        CHECK(false, "no error for a missing bucket");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_SERVER && e.http_status() == 404 && e.code() == "NoSuchBucket", e.what());
    }

    // A callback's exception stops the download and is rethrown as it was thrown.
    const Tree files = {{"x.txt", 4}};
    TempDir src;
    const std::string prefix = upload_tree(client, bucket, "cpp-download-dir-throw", src.path, files);
    tos::DownloadDirInput in(bucket, dest.path + "/thrown", prefix);
    in.on_event = [](const tos::DownloadDirEvent &) { throw std::logic_error("from the event callback"); };
    try {
        client.download_dir(in);
        CHECK(false, "the callback's exception was not rethrown");
    } catch (const std::logic_error &e) {
        CHECK(std::string(e.what()) == "from the event callback", e.what());
    }
}

} // namespace

int main() {
    std::string bucket = env("TOS_TEST_BUCKET");
    return run_checks("test_cpp_download_dir", [&] {
        tos::Client client = make_client();
        test_tree_and_skip_existing(client, bucket);
        test_failed_object(client, bucket);
        test_errors(client, bucket);
    });
}
