// tos::CredentialsProvider, a std::function: credentials said to last 1 s serve a
// rate-limited upload of about 3 s, so the provider is asked again (more than once in all)
// and the bytes arrive; a provider that throws fails the upload with
// TOS_ERR_MISSING_CREDENTIALS; a Client moved from keeps its provider working.
#include "cpp_test_util.hpp"

#include <atomic>

using namespace tostest;

namespace {

tos::ClientOptions provided_by(tos::CredentialsProvider provider) {
    tos::ClientOptions o;
    o.endpoint = env("TOS_ENDPOINT");
    o.region = env("TOS_REGION");
    o.max_retry_count = -1;
    o.credentials_provider = std::move(provider);
    return o;
}

tos::UploadFileOutput slow_upload(const tos::Client &client, const std::string &key, const TempFile &f) {
    tos::RateLimiter slow(4 * MiB, 256 * 1024);
    tos::UploadFileInput in(env("TOS_TEST_BUCKET"), key, f.path);
    in.with_part_size(5 * MiB).with_task_num(2).with_rate_limiter(slow);
    return client.upload_file(in);
}

} // namespace

int main() {
    TempFile f(12 * MiB + 7);
    std::atomic<int> calls{0};
    auto short_lived = [&calls] {
        calls++;
        tos::ProvidedCredentials c;
        c.access_key = env("TOS_ACCESS_KEY");
        c.secret_key = env("TOS_SECRET_KEY");
        c.expires = std::chrono::system_clock::now() + std::chrono::seconds(1);
        return c;
    };
    tos::Client first(provided_by(short_lived));
    tos::Client client(std::move(first));
    try {
        auto out = slow_upload(client, "cpp/credentials-provider.bin", f);
        CHECK(out.crc64 == f.crc, "crc " << out.crc64);
        check_object_bytes(env("TOS_TEST_BUCKET"), "cpp/credentials-provider.bin", f.path);
    } catch (const tos::Error &e) {
        CHECK(false, e.what());
    }
    CHECK(calls >= 2, "the provider was asked " << calls << " times during a 3 s upload of 1 s credentials");

    tos::Client failing(provided_by([]() -> tos::ProvidedCredentials { throw std::runtime_error("STS down"); }));
    try {
        slow_upload(failing, "cpp/credentials-failing.bin", f);
        CHECK(false, "an upload whose provider throws succeeded");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_MISSING_CREDENTIALS, e.what());
    }
    if (failures) {
        std::cerr << failures << " failure(s)\n";
        return 1;
    }
    std::cout << "ok: " << calls << " provider calls\n";
    return 0;
}
