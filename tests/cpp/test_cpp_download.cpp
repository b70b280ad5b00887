// Client::download_file of the C++ wrapper against the local server: a multipart object
// downloaded byte for byte with its progress and events, a pause through the cancel hook and
// the resume that fetches only what the first call did not keep, input and server errors as
// tos::Error, and the refusal of a download started from inside an upload's callback.
#include "cpp_test_util.hpp"

#include <optional>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>

namespace {

using namespace tostest;

bool exists(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

// The entries of a directory, "." and ".." left out.
int count_entries(const std::string &dir) {
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) {
        return -1;
    }
    int n = 0;
    while (const dirent *e = readdir(d)) {
        const std::string name = e->d_name;
        n += name != "." && name != "..";
    }
    closedir(d);
    return n;
}

// Uploads the bytes of f to key as a multipart object (5 MiB parts).
void upload(const tos::Client &client, const std::string &bucket, const std::string &key, const TempFile &f) {
    tos::UploadFileInput in(bucket, key, f.path);
    in.with_part_size(5 * MiB).with_task_num(4).with_checkpoint(false);
    tos::UploadFileOutput out = client.upload_file(in);
    CHECK(!out.upload_id.empty() && out.crc64 == f.crc, key << ": not a multipart object, or a wrong CRC");
}

void test_download(const tos::Client &client, const std::string &bucket) {
    const std::uint64_t size = 12 * MiB + 3; // 3 ranges of 5 MiB
    TempFile f(size);
    const std::string key = "cpp/download/multipart.bin";
    upload(client, bucket, key, f);

    const std::string dest = f.dir + "/nested/out.bin"; // the parent is made
    std::vector<tos::DownloadProgress> progress;
    std::vector<tos::DownloadEvent> events;
    tos::DownloadFileInput in(bucket, key, dest);
    in.with_part_size(5 * MiB)
        .with_task_num(3)
        .with_checkpoint(false)
        .with_progress([&](const tos::DownloadProgress &p) { progress.push_back(p); })
        .with_events([&](const tos::DownloadEvent &e) { events.push_back(e); });
    tos::DownloadFileOutput out = client.download_file(in);

    CHECK(read_file(dest) == read_file(f.path), dest << " differs from the uploaded bytes");
    CHECK(out.bucket == bucket && out.key == key && out.file_path == dest && !out.etag.empty(), out.file_path);
    CHECK(out.size == size && out.bytes_received == size, out.size << " " << out.bytes_received);
    CHECK(out.crc64 && *out.crc64 == f.crc, "CRC-64 not checked, or not the file's");

    int parts = 0, created = 0, renamed = 0;
    for (const auto &e : events) {
        CHECK(e.bucket == bucket && e.key == key && e.file_path == dest && !e.checkpoint_file && !e.version_id,
              "event " << e.kind);
        if (e.kind == TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_SUCCEEDED) {
            parts++;
            CHECK(e.part && e.part->crc64 && e.temp_file && e.part->range_end >= e.part->range_start &&
                      e.part->range_start == (e.part->number - 1) * 5 * MiB,
                  "part event " << (e.part ? e.part->number : 0));
        }
        created += e.kind == TOS_DOWNLOAD_EVENT_KIND_CREATE_TEMP_FILE_SUCCEEDED;
        renamed += e.kind == TOS_DOWNLOAD_EVENT_KIND_RENAME_TEMP_FILE_SUCCEEDED;
    }
    CHECK(parts == 3 && created == 1 && renamed == 1, parts << " parts, " << created << " created, " << renamed
                                                            << " renamed");
    CHECK(!events.empty() && events.back().kind == TOS_DOWNLOAD_EVENT_KIND_RENAME_TEMP_FILE_SUCCEEDED,
          "the last event is not the rename");
    CHECK(!progress.empty() && progress.front().kind == TOS_DOWNLOAD_PROGRESS_KIND_STARTED &&
              progress.front().consumed_bytes == 0,
          progress.size());
    CHECK(!progress.empty() && progress.back().kind == TOS_DOWNLOAD_PROGRESS_KIND_SUCCEEDED &&
              progress.back().consumed_bytes == size && progress.back().total_bytes == size,
          "last progress");
    std::uint64_t prev = 0;
    for (const auto &p : progress) {
        CHECK(p.consumed_bytes >= prev && p.consumed_bytes <= p.total_bytes, "progress went backwards or over");
        prev = p.consumed_bytes;
    }
}

void test_pause_and_resume(const tos::Client &client, const std::string &bucket) {
    const std::uint64_t size = 25 * MiB + 1; // 6 ranges of 5 MiB
    TempFile f(size);
    const std::string key = "cpp/download/pause-resume.bin";
    upload(client, bucket, key, f);

    const std::string dest = f.dir + "/out.bin";
    const std::string checkpoint = f.dir + "/checkpoints/";
    CHECK(mkdir(checkpoint.c_str(), 0700) == 0, checkpoint);
    tos::CancelHook hook;
    tos::RateLimiter slow(16 * MiB, 1 * MiB); // about 1.6 s in all: the pause comes first
    std::uint64_t kept_bytes = 0;
    int kept_ranges = 0;
    tos::DownloadFileInput in(bucket, key, dest);
    in.with_part_size(5 * MiB)
        .with_task_num(2)
        .with_checkpoint(true, checkpoint)
        .with_rate_limiter(slow)
        .with_cancel_hook(hook)
        .with_events([&](const tos::DownloadEvent &e) {
            if (e.kind == TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_SUCCEEDED && e.part) {
                kept_bytes += e.part->range_end - e.part->range_start + 1;
                if (++kept_ranges == 2) {
                    hook.pause(); // from inside a callback, as the wrapper allows
                }
            }
        });
    try {
        client.download_file(in);
        CHECK(false, "download_file returned after a pause");
    } catch (const tos::Error &e) {
        CHECK(e.paused() && !e.aborted(), e.what());
    }
    CHECK(!exists(dest), "a paused download left a file at the destination");
    CHECK(kept_ranges >= 2 && kept_ranges < 6, "the pause came too late: " << kept_ranges << " ranges done");
    CHECK(count_entries(checkpoint) == 1, "the pause did not leave one checkpoint in " << checkpoint);

    // A paused hook stays paused: the second call goes without it.
    bool resumed = false;
    std::optional<std::uint64_t> started_at;
    in.cancel_hook.reset();
    in.with_events([&](const tos::DownloadEvent &e) {
        resumed = resumed || e.kind == TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_RESUMED;
    });
    in.with_progress([&](const tos::DownloadProgress &p) {
        if (p.kind == TOS_DOWNLOAD_PROGRESS_KIND_STARTED) {
            started_at = p.consumed_bytes;
        }
    });
    tos::DownloadFileOutput out = client.download_file(in);
    CHECK(read_file(dest) == read_file(f.path), dest << " differs from the uploaded bytes");
    CHECK(resumed, "no DOWNLOAD_RESUMED event");
    CHECK(started_at && *started_at == kept_bytes, "progress restarted at " << started_at.value_or(0) << ", "
                                                                            << kept_bytes << " bytes were kept");
    CHECK(out.bytes_received == size - kept_bytes,
          "the resume received " << out.bytes_received << " bytes, want " << size - kept_bytes);
    CHECK(count_entries(checkpoint) == 0, "the checkpoint outlived the download");
}

void test_errors(const tos::Client &client, const std::string &bucket) {
    TempFile f(0);
    const std::string dest = f.dir + "/out.bin";
    struct Case {
        const char *what;
        tos::DownloadFileInput in;
        tos_result want;
    };
    std::vector<Case> cases = {
        {"empty key", tos::DownloadFileInput(bucket, "", dest), TOS_ERR_INVALID_KEY},
        {"a key that climbs", tos::DownloadFileInput(bucket, "a/../../x", dest), TOS_ERR_INVALID_KEY},
        {"part size too small", tos::DownloadFileInput(bucket, "k", dest).with_part_size(1024),
         TOS_ERR_INVALID_PART_SIZE},
        {"too many tasks", tos::DownloadFileInput(bucket, "k", dest).with_task_num(1001), TOS_ERR_INVALID_ARGUMENT},
    };
    for (const auto &c : cases) {
        try {
            client.download_file(c.in);
            CHECK(false, c.what << ": no error");
        } catch (const tos::Error &e) {
            CHECK(e.result() == c.want && !e.is_server_error() && !e.message().empty(), c.what << ": " << e.what());
        }
    }

    try {
        client.download_file(tos::DownloadFileInput(bucket, "cpp/download/no-such-key.bin", dest));
        CHECK(false, "no error for a missing object");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_SERVER && e.is_server_error() && e.http_status() == 404 && !e.ec().empty(),
              e.what());
        // The first request is a HEAD, whose 404 has no body to carry the code: the library
        // leaves code() empty rather than guess (a missing bucket is a 404 too). Once it names
        // the code, it must be NoSuchKey.
        CHECK(e.code() == "NoSuchKey", e.what());
        CHECK(!e.object_changed() && !e.local_write(), e.what());
    }
    CHECK(!exists(dest), "a failed download left a file at the destination");

    CHECK(tos::Error(TOS_ERR_OBJECT_CHANGED, "m").object_changed() &&
              tos::Error(TOS_ERR_LOCAL_WRITE, "m").local_write() &&
              tos::Error(TOS_ERR_CHECKPOINT_IN_USE, "m").checkpoint_in_use(),
          "the predicates");
}

// A download started from inside an upload's callback is refused before any request.
void test_reentrant_call(const tos::Client &client, const std::string &bucket) {
    TempFile f(1000);
    const std::string dest = f.dir + "/inner.bin";
    std::optional<tos_result> inner;
    tos::UploadFileInput in(bucket, "cpp/download/reentrant.bin", f.path);
    in.with_checkpoint(false).with_progress([&](const tos::Progress &p) {
        if (p.kind != TOS_UPLOAD_PROGRESS_KIND_STARTED) {
            return;
        }
        try {
            client.download_file(tos::DownloadFileInput(bucket, "cpp/download/multipart.bin", dest));
        } catch (const tos::Error &e) {
            inner = e.result();
        }
    });
    client.upload_file(in);
    CHECK(inner && *inner == TOS_ERR_REENTRANT_CALL, "the inner download: " << (inner ? *inner : TOS_OK));
    CHECK(!exists(dest), "the refused download wrote its destination");
}

} // namespace

int main() {
    std::string bucket = env("TOS_TEST_BUCKET");
    return run_checks("test_cpp_download", [&] {
        tos::Client client = make_client();
        test_download(client, bucket);
        test_pause_and_resume(client, bucket);
        test_errors(client, bucket);
        test_reentrant_call(client, bucket);
    });
}
