// The C++ wrapper (include/tosupload.hpp) against the local server: a multipart upload whose
// CRC-64 is checked and whose bytes, read back through the server's admin API, are compared
// with the file's, progress and events through std::function, an exception thrown by a
// callback (stops the upload, rethrown with its own type), pause and resume, abort from
// another thread, input and server errors as tos::Error, both rate limiters, and the
// ownership rules (move-only Client, shared CancelHook and RateLimiter), and folder uploads.
#include "tosupload.hpp"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <netdb.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

static_assert(!std::is_copy_constructible_v<tos::Client>, "Client owns its handle");
static_assert(std::is_nothrow_move_constructible_v<tos::Client>, "Client moves");
static_assert(std::is_copy_constructible_v<tos::CancelHook>, "CancelHook is shared");
static_assert(std::is_copy_constructible_v<tos::RateLimiter>, "RateLimiter is shared");
static_assert(std::is_base_of_v<std::runtime_error, tos::Error>, "Error is a runtime_error");

namespace {

int failures = 0;

#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::cerr << "FAIL " << __FILE__ << ":" << __LINE__ << ": " #cond ": " << what << "\n"; \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

constexpr std::uint64_t MiB = 1024 * 1024;

std::string env(const char *name) {
    const char *v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        std::cerr << name << " is not set: run this under scripts/with_server.py\n";
        std::exit(2);
    }
    return v;
}

// CRC-64/XZ (ECMA-182, reflected), the function TOS uses.
std::uint64_t crc64(const std::vector<char> &data) {
    static std::uint64_t table[256];
    static bool ready = false;
    if (!ready) {
        for (std::uint64_t i = 0; i < 256; i++) {
            std::uint64_t c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ULL : c >> 1;
            }
            table[i] = c;
        }
        ready = true;
    }
    std::uint64_t crc = ~0ULL;
    for (char ch : data) {
        crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

struct TempFile {
    std::string dir, path;
    std::uint64_t crc = 0;
    explicit TempFile(std::uint64_t size) {
        char d[] = "/tmp/tos-cpp-test-XXXXXX";
        if (mkdtemp(d) == nullptr) {
            std::perror("mkdtemp");
            std::exit(1);
        }
        dir = d;
        path = dir + "/data.bin";
        std::vector<char> data(size);
        std::uint32_t x = 2463534242u;
        for (auto &c : data) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            c = static_cast<char>(x);
        }
        std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(size));
        crc = crc64(data);
    }
    ~TempFile() {
        std::string cmd = "rm -rf '" + dir + "'";
        if (std::system(cmd.c_str()) != 0) {
            std::cerr << "could not remove " << dir << "\n";
        }
    }
};

std::vector<char> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string query_escape(const std::string &s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

struct HttpReply {
    int status = 0;
    std::vector<char> body;
    std::string error; // non-empty when the exchange itself failed
};

// The stored bytes of bucket/key, from the local server's admin API
// (GET $TOS_ADMIN_URL/object?bucket=B&key=K): a minimal HTTP/1.1 GET over a POSIX socket.
// TOS_ADMIN_URL is like http://127.0.0.1:PORT/__admin. The body is framed by
// Content-Length (what the server sends) or chunked encoding.
HttpReply admin_get_object(const std::string &bucket, const std::string &key) {
    HttpReply r;
    const std::string url = env("TOS_ADMIN_URL");
    const std::string scheme = "http://";
    const std::size_t colon = url.find(':', scheme.size());
    const std::size_t slash = url.find('/', scheme.size());
    if (url.compare(0, scheme.size(), scheme) != 0 || colon == std::string::npos || slash == std::string::npos ||
        colon > slash) {
        r.error = "cannot parse TOS_ADMIN_URL " + url;
        return r;
    }
    const std::string host = url.substr(scheme.size(), colon - scheme.size());
    const std::string port = url.substr(colon + 1, slash - colon - 1);
    const std::string target =
        url.substr(slash) + "/object?bucket=" + query_escape(bucket) + "&key=" + query_escape(key);

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *ai = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &ai) != 0 || ai == nullptr) {
        r.error = "cannot resolve " + host + ":" + port;
        return r;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        r.error = std::string("connect: ") + std::strerror(errno);
        freeaddrinfo(ai);
        if (fd >= 0) {
            close(fd);
        }
        return r;
    }
    freeaddrinfo(ai);
    const std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nConnection: close\r\n\r\n";
    for (std::size_t sent = 0; sent < request.size();) {
        ssize_t n = write(fd, request.data() + sent, request.size() - sent);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            r.error = std::string("write: ") + std::strerror(errno);
            close(fd);
            return r;
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string raw;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            r.error = std::string("read: ") + std::strerror(errno);
            close(fd);
            return r;
        }
        if (n == 0) {
            break;
        }
        raw.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);

    const std::size_t head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos || std::sscanf(raw.c_str(), "HTTP/1.%*d %d", &r.status) != 1) {
        r.error = "malformed response";
        return r;
    }
    std::string head = raw.substr(0, head_end + 2);
    for (auto &c : head) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string rest = raw.substr(head_end + 4);
    if (head.find("\r\ntransfer-encoding: chunked\r\n") != std::string::npos) {
        std::size_t pos = 0;
        for (;;) {
            const std::size_t eol = rest.find("\r\n", pos);
            if (eol == std::string::npos) {
                r.error = "truncated chunked body";
                return r;
            }
            const std::size_t n = std::strtoul(rest.c_str() + pos, nullptr, 16);
            if (n == 0) {
                break;
            }
            if (eol + 2 + n > rest.size()) {
                r.error = "truncated chunk";
                return r;
            }
            r.body.insert(r.body.end(), rest.begin() + static_cast<std::ptrdiff_t>(eol + 2),
                          rest.begin() + static_cast<std::ptrdiff_t>(eol + 2 + n));
            pos = eol + 2 + n + 2;
        }
    } else {
        const std::size_t cl = head.find("\r\ncontent-length:");
        if (cl != std::string::npos) {
            const std::size_t want = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
            if (rest.size() != want) {
                r.error = "body has " + std::to_string(rest.size()) + " bytes, Content-Length " + std::to_string(want);
                return r;
            }
        }
        r.body.assign(rest.begin(), rest.end());
    }
    return r;
}

// Reads bucket/key back from the server and compares it with the file byte for byte.
void check_object_bytes(const std::string &bucket, const std::string &key, const std::string &path) {
    const std::vector<char> want = read_file(path);
    const HttpReply got = admin_get_object(bucket, key);
    CHECK(got.error.empty() && got.status == 200,
          "GET /__admin/object " << key << ": HTTP " << got.status << " " << got.error << " "
                                 << std::string(got.body.begin(), got.body.end()).substr(0, 200));
    if (got.error.empty() && got.status == 200) {
        std::size_t i = 0;
        while (i < got.body.size() && i < want.size() && got.body[i] == want[i]) {
            i++;
        }
        CHECK(got.body == want, key << ": " << got.body.size() << " bytes read back, file has " << want.size()
                                    << "; first difference at offset " << i);
    }
}

tos::Client make_client() {
    tos::ClientOptions o;
    o.endpoint = env("TOS_ENDPOINT");
    o.region = env("TOS_REGION");
    o.access_key = env("TOS_ACCESS_KEY");
    o.secret_key = env("TOS_SECRET_KEY");
    o.max_retry_count = 2;
    return tos::Client(o);
}

void test_multipart(const tos::Client &client, const std::string &bucket) {
    TempFile f(12 * MiB + 3);
    std::vector<tos::Progress> progress;
    std::vector<tos::UploadEvent> parts;
    tos::UploadFileInput in(bucket, "cpp/multipart.bin", f.path);
    in.with_part_size(5 * MiB)
        .with_task_num(3)
        .with_checkpoint(false)
        .with_meta("origin", "cpp-test")
        .with_progress([&](const tos::Progress &p) { progress.push_back(p); })
        .with_events([&](const tos::UploadEvent &e) {
            if (e.kind == TOS_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
                parts.push_back(e);
            }
        });
    tos::UploadFileOutput out = client.upload_file(in);
    CHECK(out.crc64 == f.crc, out.crc64 << " != " << f.crc);
    check_object_bytes(bucket, "cpp/multipart.bin", f.path);
    CHECK(out.bytes_sent == 12 * MiB + 3, out.bytes_sent);
    CHECK(out.part_size == 5 * MiB, out.part_size);
    CHECK(out.bucket == bucket && out.key == "cpp/multipart.bin" && !out.etag.empty() && !out.upload_id.empty(),
          out.etag);
    CHECK(parts.size() == 3, parts.size());
    for (const auto &e : parts) {
        CHECK(e.part && e.part->crc64 && !e.part->etag.empty() && e.upload_id == out.upload_id, e.key);
    }
    CHECK(!progress.empty() && progress.front().kind == TOS_PROGRESS_KIND_STARTED, progress.size());
    CHECK(!progress.empty() && progress.back().kind == TOS_PROGRESS_KIND_SUCCEEDED &&
              progress.back().consumed_bytes == progress.back().total_bytes &&
              progress.back().total_bytes == 12 * MiB + 3,
          "last progress");
}

// Under multipart_threshold a file is one PutObject (no upload id, no multipart event);
// with_force_multipart keeps Create/UploadPart/Complete.
void test_small_file(const tos::Client &client, const std::string &bucket) {
    TempFile f(1000);
    for (bool force : {false, true}) {
        const std::string key = force ? "cpp/small-forced.bin" : "cpp/small-put.bin";
        int created = 0;
        tos::UploadFileInput in(bucket, key, f.path);
        in.with_checkpoint(false).with_multipart_threshold(1001).with_force_multipart(force).with_events(
            [&](const tos::UploadEvent &e) {
                created += e.kind == TOS_EVENT_KIND_CREATE_MULTIPART_UPLOAD_SUCCEEDED;
            });
        tos::UploadFileOutput out = client.upload_file(in);
        check_object_bytes(bucket, key, f.path);
        CHECK(out.crc64 == f.crc, key);
        CHECK(out.upload_id.empty() != force && created == (force ? 1 : 0), key << " upload id '" << out.upload_id
                                                                                << "', " << created << " Create");
        CHECK((out.part_size == 0) != force, key << " part size " << out.part_size);
    }
}

struct CallbackFailure : std::logic_error {
    using std::logic_error::logic_error;
};

void test_callback_exception(const tos::Client &client, const std::string &bucket) {
    TempFile f(60 * MiB);
    tos::RateLimiter slow(20 * MiB, 1 * MiB); // about 3 s in all: the throw must stop it early
    int calls_after = 0;
    bool thrown = false;
    tos::UploadFileInput in(bucket, "cpp/throws.bin", f.path);
    in.with_part_size(5 * MiB).with_task_num(2).with_checkpoint(true, f.dir + "/cp").with_rate_limiter(slow);
    in.with_events([&](const tos::UploadEvent &e) {
        if (thrown) {
            calls_after++;
        }
        if (e.kind == TOS_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
            thrown = true;
            throw CallbackFailure("from the event callback");
        }
    });
    auto start = std::chrono::steady_clock::now();
    try {
        client.upload_file(in);
        CHECK(false, "upload_file returned normally");
    } catch (const CallbackFailure &e) {
        CHECK(std::string(e.what()) == "from the event callback", e.what());
    } catch (const std::exception &e) {
        CHECK(false, "wrong exception: " << e.what());
    }
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(calls_after == 0, calls_after << " callbacks after the throw");
    CHECK(took < std::chrono::milliseconds(2000),
          "not stopped: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");

    // The exception paused (not aborted) it: the same input without the thrower resumes.
    in.on_event = nullptr;
    bool resumed = false;
    in.with_events([&](const tos::UploadEvent &e) { resumed = resumed || e.kind == TOS_EVENT_KIND_UPLOAD_RESUMED; });
    in.rate_limiter.reset();
    tos::UploadFileOutput out = client.upload_file(in);
    CHECK(resumed, "no UPLOAD_RESUMED event");
    CHECK(out.crc64 == f.crc, out.crc64);
    check_object_bytes(bucket, "cpp/throws.bin", f.path);
    CHECK(out.bytes_sent < 60 * MiB, out.bytes_sent);
}

void test_pause_and_abort(const tos::Client &client, const std::string &bucket) {
    TempFile f(30 * MiB);
    tos::RateLimiter slow(16 * MiB, 1 * MiB);
    tos::CancelHook hook;
    tos::UploadFileInput in(bucket, "cpp/pause.bin", f.path);
    in.with_part_size(5 * MiB).with_task_num(2).with_checkpoint(true, f.dir + "/cp").with_rate_limiter(slow);
    in.with_cancel_hook(hook).with_events([hook](const tos::UploadEvent &e) {
        if (e.kind == TOS_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
            hook.pause(); // a copy: the same hook
        }
    });
    try {
        client.upload_file(in);
        CHECK(false, "not paused");
    } catch (const tos::Error &e) {
        CHECK(e.paused() && e.result() == TOS_PAUSED, e.what());
    }

    // Abort from another thread, with a fresh hook (a cancelled hook stays cancelled).
    tos::CancelHook abort_hook;
    in.on_event = nullptr;
    in.with_cancel_hook(abort_hook);
    std::thread t([abort_hook] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        abort_hook.abort();
    });
    try {
        client.upload_file(in);
        CHECK(false, "not aborted");
    } catch (const tos::Error &e) {
        CHECK(e.aborted() && !e.paused(), e.what());
    }
    t.join();
}

void test_errors(const tos::Client &client, const std::string &bucket) {
    TempFile f(1024);
    try {
        client.upload_file(tos::UploadFileInput(bucket, "k", f.dir + "/missing"));
        CHECK(false, "no error");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_FILE_NOT_FOUND && !e.is_server_error() && !e.message().empty(), e.what());
        CHECK(std::string(e.what()).find("TOS_ERR_FILE_NOT_FOUND") != std::string::npos, e.what());
    }
    try {
        client.upload_file(tos::UploadFileInput(bucket, "k", f.path).with_part_size(1024));
        CHECK(false, "no error");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_INVALID_PART_SIZE, e.what());
    }
    try {
        client.upload_file(tos::UploadFileInput("no-such-bucket", "k", f.path).with_checkpoint(false));
        CHECK(false, "no error");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_SERVER && e.is_server_error() && e.http_status() == 404 &&
                  e.code() == "NoSuchBucket" && !e.request_id().empty(),
              e.what());
    }
    try {
        tos::ClientOptions o;
        o.endpoint = "not a url";
        o.region = "cn-beijing";
        tos::Client bad(o);
        CHECK(false, "no error");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_INVALID_ENDPOINT, e.what());
    }
    // A moved-from client refuses politely.
    tos::Client a = make_client();
    tos::Client b = std::move(a);
    try {
        a.upload_file(tos::UploadFileInput(bucket, "k", f.path)); // NOLINT(bugprone-use-after-move)
        CHECK(false, "no error");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_NULL_ARGUMENT, e.what());
    }
    CHECK(b.get() != nullptr, "moved-to client");
}

void test_rate_limit_callback(const tos::Client &client, const std::string &bucket) {
    TempFile f(6 * MiB + 1);
    int calls = 0;
    std::uint64_t granted = 0;
    tos::UploadFileInput in(bucket, "cpp/limited.bin", f.path);
    in.with_part_size(5 * MiB).with_checkpoint(false).with_rate_limit(
        [&](std::uint64_t want, std::chrono::milliseconds &wait) {
            if (++calls % 2 == 1) {
                wait = std::chrono::milliseconds(1);
                return false;
            }
            granted += want;
            return true;
        });
    tos::UploadFileOutput out = client.upload_file(in);
    CHECK(out.crc64 == f.crc, out.crc64);
    CHECK(calls >= 2 && granted >= 6 * MiB + 1, calls << " calls, " << granted << " bytes");

    tos::RateLimiter shared(4 * MiB);
    tos::RateLimiter copy = shared;
    copy.set_rate(64 * MiB, 0);
    CHECK(copy.get() == shared.get(), "copies share one bucket");
    out = client.upload_file(tos::UploadFileInput(bucket, "cpp/bucket.bin", f.path)
                                 .with_part_size(5 * MiB)
                                 .with_checkpoint(false)
                                 .with_rate_limiter(shared));
    CHECK(out.crc64 == f.crc, out.crc64);
}

// upload_dir: a tree with a multipart file, small ones and a dangling symbolic link (followed,
// so it fails). Every good file reads back identical; the failure is returned (not thrown)
// in the output and reported by an event; a missing folder throws.
void test_upload_dir(const tos::Client &client, const std::string &bucket) {
    TempFile big(12 * MiB + 3);
    const std::string dir = big.dir;
    const std::vector<std::pair<std::string, std::uint64_t>> small = {{"small.txt", 10},
                                                                       {"sub/deep/c.bin", 100 * 1024}};
    CHECK(mkdir((dir + "/sub").c_str(), 0700) == 0 && mkdir((dir + "/sub/deep").c_str(), 0700) == 0, "mkdir");
    for (const auto &f : small) {
        std::vector<char> data(f.second, 'x');
        std::ofstream(dir + "/" + f.first, std::ios::binary)
            .write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    CHECK(symlink((dir + "/missing").c_str(), (dir + "/dangling").c_str()) == 0, std::strerror(errno));

    tos::UploadDirInput in(bucket, dir, "cpp-dir/");
    in.part_size = 5 * MiB;
    in.follow_symlinks = true;
    in.continue_on_error = true;
    std::vector<tos::DirEvent> events;
    std::vector<tos::DirProgress> progress;
    in.on_event = [&](const tos::DirEvent &e) { events.push_back(e); };
    in.on_progress = [&](const tos::DirProgress &p) { progress.push_back(p); };
    tos::UploadDirOutput out = client.upload_dir(in);

    const std::uint64_t total = 12 * MiB + 3 + 10 + 100 * 1024;
    CHECK(!out.ok() && out.error && out.error->result() == TOS_ERR_SOME_FILES_FAILED,
          (out.error ? out.error->what() : "no error"));
    CHECK(out.files_uploaded == 3 && out.bytes_uploaded == total,
          out.files_uploaded << " files, " << out.bytes_uploaded);
    CHECK(out.failures.size() == 1 && out.failures[0].key == "cpp-dir/dangling" &&
              out.failures[0].path == dir + "/dangling",
          out.failures.size());
    check_object_bytes(bucket, "cpp-dir/data.bin", big.path);
    for (const auto &f : small) {
        check_object_bytes(bucket, "cpp-dir/" + f.first, dir + "/" + f.first);
    }
    int succeeded = 0, failed = 0;
    for (const auto &e : events) {
        if (e.kind == TOS_DIR_EVENT_KIND_FILE_SUCCEEDED) {
            succeeded++;
            CHECK(!e.etag.empty() && e.crc64, e.key);
        } else if (e.kind == TOS_DIR_EVENT_KIND_FILE_FAILED) {
            failed++;
            CHECK(e.error && e.key == "cpp-dir/dangling", e.key);
        }
    }
    CHECK(succeeded == 3 && failed == 1, succeeded << " succeeded, " << failed << " failed");
    CHECK(!progress.empty() && progress.back().walk_complete && progress.back().files_done == 3 &&
              progress.back().files_failed == 1 && progress.back().bytes_done == total,
          progress.size());

    try {
        client.upload_dir(tos::UploadDirInput(bucket, dir + "/no-such-folder"));
        CHECK(false, "no error for a missing folder");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_FILE_NOT_FOUND, e.what());
    }
}

} // namespace

int main() {
    std::string bucket = env("TOS_TEST_BUCKET");
    CHECK(tos::version() == std::to_string(TOS_VERSION_MAJOR) + "." + std::to_string(TOS_VERSION_MINOR) + "." +
                                std::to_string(TOS_VERSION_PATCH),
          tos::version());
    try {
        tos::Client client = make_client();
        test_multipart(client, bucket);
        test_small_file(client, bucket);
        test_callback_exception(client, bucket);
        test_pause_and_abort(client, bucket);
        test_errors(client, bucket);
        test_rate_limit_callback(client, bucket);
        test_upload_dir(client, bucket);
    } catch (const std::exception &e) {
        std::cerr << "FAIL: unexpected exception: " << e.what() << "\n";
        failures++;
    }
    if (failures) {
        std::cerr << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "test_cpp_wrapper: all checks passed\n";
    return 0;
}
