// The C++ wrapper (include/tosupload.hpp) against the local server: a multipart upload whose
// CRC-64 is checked and whose bytes, read back through the server's admin API, are compared
// with the file's, progress and events through std::function, an exception thrown by a
// callback (stops the upload, rethrown with its own type), pause and resume, abort from
// another thread, input and server errors as tos::Error, both rate limiters, and the
// ownership rules (move-only Client, shared CancelHook and RateLimiter), folder uploads, the
// credentials choice, and the refusal of a call made from inside a callback.
#include "cpp_test_util.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

static_assert(!std::is_copy_constructible_v<tos::Client>, "Client owns its handle");
static_assert(std::is_nothrow_move_constructible_v<tos::Client>, "Client moves");
static_assert(std::is_copy_constructible_v<tos::CancelHook>, "CancelHook is shared");
static_assert(std::is_copy_constructible_v<tos::RateLimiter>, "RateLimiter is shared");
static_assert(std::is_base_of_v<std::runtime_error, tos::Error>, "Error is a runtime_error");

namespace {

using namespace tostest;

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
            if (e.kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
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
    CHECK(!progress.empty() && progress.front().kind == TOS_UPLOAD_PROGRESS_KIND_STARTED, progress.size());
    CHECK(!progress.empty() && progress.back().kind == TOS_UPLOAD_PROGRESS_KIND_SUCCEEDED &&
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
                created += e.kind == TOS_UPLOAD_EVENT_KIND_CREATE_MULTIPART_UPLOAD_SUCCEEDED;
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
        if (e.kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
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
    in.with_events([&](const tos::UploadEvent &e) { resumed = resumed || e.kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_RESUMED; });
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
        if (e.kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
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
        client.upload_file(tos::UploadFileInput(bucket, "k", f.path).with_task_num(1001));
        CHECK(false, "task_num 1001 accepted");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_INVALID_ARGUMENT, e.what());
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

// The library's floors (1024 bytes/s, a 10240-byte burst) are refused, not raised: the
// constructor and set_rate throw, and a refused set_rate leaves the limiter usable.
void test_rate_limiter_ranges() {
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> refused = {{1, 0}, {1023, 0}, {1024, 1}, {1024, 10239}};
    for (const auto &[rate, capacity] : refused) {
        try {
            tos::RateLimiter r(rate, capacity);
            CHECK(false, "RateLimiter(" << rate << ", " << capacity << ") accepted");
        } catch (const tos::Error &e) {
            CHECK(e.result() == TOS_ERR_INVALID_ARGUMENT, e.what());
        }
    }
    tos::RateLimiter unlimited(0);
    tos::RateLimiter floor(1024, 10240);
    try {
        floor.set_rate(1023);
        CHECK(false, "set_rate(1023) accepted");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_INVALID_ARGUMENT, e.what());
    }
    floor.set_rate(0); // still usable after a refusal
}

tos::ClientOptions options_with(tos::Credentials credentials) {
    tos::ClientOptions o;
    o.endpoint = env("TOS_ENDPOINT");
    o.region = env("TOS_REGION");
    o.credentials = credentials;
    o.max_retry_count = -1;
    return o;
}

// Where the keys come from. Static (the fields) and Environment (TOS_ACCESS_KEY...,
// which scripts/with_server.py sets) both sign: the upload goes through. Anonymous sends
// unsigned requests: the local server answers 403 AccessDenied for a missing Authorization
// header, which shows nothing was signed. Contradictory choices are refused by the
// constructor.
void test_credentials(const std::string &bucket) {
    TempFile f(1000);
    auto upload_with = [&](const tos::ClientOptions &o, const std::string &key) {
        tos::Client c(o);
        return c.upload_file(tos::UploadFileInput(bucket, key, f.path).with_checkpoint(false));
    };
    tos::ClientOptions with_keys = options_with(tos::Credentials::Static);
    with_keys.access_key = env("TOS_ACCESS_KEY");
    with_keys.secret_key = env("TOS_SECRET_KEY");
    CHECK(upload_with(with_keys, "cpp/credentials-static.bin").crc64 == f.crc, "static");
    check_object_bytes(bucket, "cpp/credentials-static.bin", f.path);
    CHECK(upload_with(options_with(tos::Credentials::Environment), "cpp/credentials-env.bin").crc64 == f.crc,
          "environment");
    try {
        upload_with(options_with(tos::Credentials::Anonymous), "cpp/credentials-anonymous.bin");
        CHECK(false, "an unsigned upload was accepted");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_SERVER && e.http_status() == 403 && e.code() == "AccessDenied", e.what());
    }

    struct Refused {
        const char *what;
        tos::ClientOptions options;
        tos_result want;
    };
    tos::ClientOptions anonymous_with_keys = options_with(tos::Credentials::Anonymous);
    anonymous_with_keys.access_key = "AK";
    anonymous_with_keys.secret_key = "SK";
    tos::ClientOptions environment_with_key = options_with(tos::Credentials::Environment);
    environment_with_key.access_key = "AK";
    tos::ClientOptions static_without_keys = options_with(tos::Credentials::Static);
    const std::vector<Refused> refused = {
        {"Static without an access key", static_without_keys, TOS_ERR_MISSING_CREDENTIALS},
        {"Anonymous with keys", anonymous_with_keys, TOS_ERR_INVALID_ARGUMENT},
        {"Environment with an access key", environment_with_key, TOS_ERR_INVALID_ARGUMENT},
        {"an unknown choice", options_with(static_cast<tos::Credentials>(99)), TOS_ERR_INVALID_ARGUMENT},
    };
    for (const auto &r : refused) {
        try {
            tos::Client c(r.options);
            CHECK(false, r.what << ": accepted");
        } catch (const tos::Error &e) {
            CHECK(e.result() == r.want, r.what << ": " << e.what());
        }
    }
}

// The 1.1 network options reach the library: a proxy where nothing listens (port 1) fails the
// upload naming the proxy without its password, no_proxy "*" bypasses it, and the constructor
// refuses a missing ca_file and a client certificate without its key.
void test_network_options(const std::string &bucket) {
    TempFile f(1000);
    tos::ClientOptions o = options_with(tos::Credentials::Environment);
    o.proxy = "http://tester:cpp-pr0xy-secret@127.0.0.1:1";
    try {
        tos::Client c(o);
        c.upload_file(tos::UploadFileInput(bucket, "cpp/network-options.bin", f.path).with_checkpoint(false));
        CHECK(false, "an upload through a proxy that is down succeeded");
    } catch (const tos::Error &e) {
        std::string what = e.what();
        CHECK(e.result() == TOS_ERR_NETWORK && what.find("through the proxy") != std::string::npos, what);
        CHECK(what.find("cpp-pr0xy-secret") == std::string::npos, "the password is shown: " << what);
    }
    o.no_proxy = "*";
    {
        tos::Client c(o);
        auto out = c.upload_file(tos::UploadFileInput(bucket, "cpp/network-options.bin", f.path).with_checkpoint(false));
        CHECK(out.crc64 == f.crc, "no_proxy \"*\"");
    }
    tos::ClientOptions missing_ca = options_with(tos::Credentials::Environment);
    missing_ca.ca_file = f.path + ".missing.pem";
    tos::ClientOptions half_identity = options_with(tos::Credentials::Environment);
    half_identity.client_cert_file = f.path;
    for (const auto &[options, want] : {std::pair{missing_ca, TOS_ERR_FILE_NOT_FOUND},
                                        std::pair{half_identity, TOS_ERR_INVALID_ARGUMENT}}) {
        try {
            tos::Client c(options);
            CHECK(false, "accepted");
        } catch (const tos::Error &e) {
            CHECK(e.result() == want, e.what());
        }
    }
}

// Inside a callback the library refuses the calls that send requests or make a client
// (TOS_ERR_REENTRANT_CALL, nothing sent); the wrapper throws that as tos::Error inside the
// callback. Caught there, the outer upload completes; left to escape, it pauses the outer
// upload and comes out of the outer call, like any callback's exception. set_rate and
// pause stay allowed.
void test_reentrant_call(const tos::Client &client, const std::string &bucket) {
    TempFile f(6 * MiB + 1);
    const std::string inner_key = "cpp/reentrant-inner.bin";
    std::optional<tos::Error> upload_error, list_error, client_error;
    tos::RateLimiter limiter(64 * MiB);
    tos::UploadFileInput in(bucket, "cpp/reentrant.bin", f.path);
    in.with_part_size(5 * MiB).with_checkpoint(false).with_rate_limiter(limiter);
    in.with_progress([&](const tos::Progress &p) {
        if (p.kind != TOS_UPLOAD_PROGRESS_KIND_STARTED) {
            return;
        }
        try {
            client.upload_file(tos::UploadFileInput(bucket, inner_key, f.path).with_checkpoint(false));
        } catch (const tos::Error &e) {
            upload_error = e;
        }
        try {
            client.list_multipart_uploads(tos::ListMultipartUploadsInput(bucket));
        } catch (const tos::Error &e) {
            list_error = e;
        }
        try {
            tos::Client another = make_client();
        } catch (const tos::Error &e) {
            client_error = e;
        }
        limiter.set_rate(128 * MiB);
    });
    tos::UploadFileOutput out = client.upload_file(in);
    CHECK(out.crc64 == f.crc, "the outer upload after caught refusals: " << out.crc64);
    CHECK(upload_error && upload_error->reentrant_call() && upload_error->result() == TOS_ERR_REENTRANT_CALL,
          (upload_error ? upload_error->what() : "upload_file inside a callback did not throw"));
    CHECK(list_error && list_error->reentrant_call(),
          (list_error ? list_error->what() : "list_multipart_uploads inside a callback did not throw"));
    CHECK(client_error && client_error->reentrant_call(),
          (client_error ? client_error->what() : "Client() inside a callback did not throw"));
    const HttpReply inner = admin_get_object(bucket, inner_key);
    CHECK(inner.error.empty() && inner.status == 404, "the refused inner upload stored an object: HTTP " << inner.status);

    // Not caught: the refusal leaves the callback, pauses the outer upload, and is rethrown.
    in.on_progress = [&](const tos::Progress &) {
        client.upload_file(tos::UploadFileInput(bucket, inner_key, f.path).with_checkpoint(false));
    };
    try {
        client.upload_file(in);
        CHECK(false, "the escaping refusal was lost");
    } catch (const tos::Error &e) {
        CHECK(e.reentrant_call(), e.what());
    }
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
        if (e.kind == TOS_UPLOAD_DIR_EVENT_KIND_FILE_SUCCEEDED) {
            succeeded++;
            CHECK(!e.etag.empty() && e.crc64, e.key);
        } else if (e.kind == TOS_UPLOAD_DIR_EVENT_KIND_FILE_FAILED) {
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
    CHECK(tos::version_num() == TOS_VERSION_NUM, tos::version_num());
    return run_checks("test_cpp_wrapper", [&] {
        tos::Client client = make_client();
        test_multipart(client, bucket);
        test_small_file(client, bucket);
        test_callback_exception(client, bucket);
        test_pause_and_abort(client, bucket);
        test_errors(client, bucket);
        test_rate_limit_callback(client, bucket);
        test_upload_dir(client, bucket);
        test_rate_limiter_ranges();
        test_credentials(bucket);
        test_network_options(bucket);
        test_reentrant_call(client, bucket);
    });
}
