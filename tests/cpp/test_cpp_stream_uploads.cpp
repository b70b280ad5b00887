// The C++ wrapper's stream upload and stale-upload calls against the local server: a stream
// of several parts read in short pieces, read back byte for byte with its CRC-64; a short
// std::istream in one PutObject; a read function that throws (its exception comes back, and
// neither an object nor an open upload is left); listing a paused upload, aborting it, and
// the errors of a second abort and of a pulled cancel hook.
#include "cpp_test_util.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace tostest;

std::vector<char> pseudo_random(std::size_t size, std::uint32_t seed) {
    std::vector<char> data(size);
    for (auto &c : data) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        c = static_cast<char>(seed);
    }
    return data;
}

// Hands out `data` at most `piece` bytes per call, as a pipe would.
tos::ReadFn reader_of(const std::vector<char> &data, std::size_t piece, std::size_t &offset) {
    return [&data, piece, &offset](std::uint8_t *buf, std::size_t capacity) -> std::size_t {
        const std::size_t n = std::min({capacity, piece, data.size() - offset});
        std::copy_n(data.data() + offset, n, reinterpret_cast<char *>(buf));
        offset += n;
        return n;
    };
}

bool listed(const std::vector<tos::MultipartUpload> &uploads, const std::string &key, const std::string &id = {}) {
    return std::any_of(uploads.begin(), uploads.end(), [&](const tos::MultipartUpload &u) {
        return u.key == key && (id.empty() || u.upload_id == id);
    });
}

void test_stream_of_parts(const tos::Client &client, const std::string &bucket) {
    const std::vector<char> data = pseudo_random(12 * MiB + 5, 7);
    std::size_t offset = 0;
    std::vector<tos::Progress> progress;
    tos::UploadStreamInput in(bucket, "cpp-stream/parts.bin", reader_of(data, 100 * 1000, offset));
    in.part_size = 5 * MiB;
    in.task_num = 2;
    in.on_progress = [&](const tos::Progress &p) { progress.push_back(p); };
    tos::UploadStreamOutput out = client.upload_stream(in);
    CHECK(out.crc64 == crc64(data), out.crc64 << " != " << crc64(data));
    CHECK(!out.upload_id.empty() && out.part_size == 5 * MiB, out.upload_id << " " << out.part_size);
    CHECK(out.bytes_sent == data.size(), out.bytes_sent);
    CHECK(!progress.empty() && progress.back().consumed_bytes == data.size(), progress.size());
    check_object_bytes(bucket, "cpp-stream/parts.bin", data);
}

void test_short_istream(const tos::Client &client, const std::string &bucket) {
    const std::vector<char> data = pseudo_random(1000, 11);
    std::istringstream is(std::string(data.begin(), data.end()));
    tos::UploadStreamOutput out =
        client.upload_stream(tos::UploadStreamInput(bucket, "cpp-stream/short.bin", tos::read_from(is)));
    CHECK(out.upload_id.empty() && out.part_size == 0, "one PutObject expected, upload id '" << out.upload_id << "'");
    CHECK(out.crc64 == crc64(data), out.crc64);
    check_object_bytes(bucket, "cpp-stream/short.bin", data);
}

struct ReadFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void test_read_exception(const tos::Client &client, const std::string &bucket) {
    const std::string key = "cpp-stream/failed.bin";
    const std::vector<char> data = pseudo_random(12 * MiB, 13);
    std::size_t offset = 0;
    tos::ReadFn good = reader_of(data, 1 * MiB, offset);
    // Fails once more than a part has been read, so a multipart upload is open by then.
    tos::UploadStreamInput in(bucket, key, [&](std::uint8_t *buf, std::size_t capacity) -> std::size_t {
        if (offset >= 6 * MiB) {
            throw ReadFailure("the disk went away");
        }
        return good(buf, capacity);
    });
    in.part_size = 5 * MiB;
    try {
        client.upload_stream(in);
        CHECK(false, "upload_stream returned normally");
    } catch (const ReadFailure &e) {
        CHECK(std::string(e.what()) == "the disk went away", e.what());
    } catch (const std::exception &e) {
        CHECK(false, "wrong exception: " << e.what());
    }
    const HttpReply got = admin_get_object(bucket, key);
    CHECK(got.error.empty() && got.status == 404, "object after a failed stream: HTTP " << got.status << got.error);
    CHECK(!listed(client.list_multipart_uploads(tos::ListMultipartUploadsInput(bucket, key)), key),
          "an upload was left open");
}

void test_list_and_abort(const tos::Client &client, const std::string &bucket) {
    const std::string key = "cpp-uploads/paused.bin";
    TempFile f(12 * MiB);
    tos::CancelHook hook;
    tos::UploadFileInput in(bucket, key, f.path);
    std::string upload_id;
    in.with_part_size(5 * MiB).with_task_num(1).with_cancel_hook(hook).with_events([&](const tos::UploadEvent &e) {
        if (e.kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
            upload_id = e.upload_id.value_or("");
            hook.pause();
        }
    });
    try {
        client.upload_file(in);
        CHECK(false, "not paused");
    } catch (const tos::Error &e) {
        CHECK(e.paused(), e.what());
    }
    CHECK(!upload_id.empty(), "no part succeeded before the pause");

    const auto before = client.list_multipart_uploads(tos::ListMultipartUploadsInput(bucket, "cpp-uploads/"));
    CHECK(listed(before, key, upload_id), before.size() << " uploads listed, not " << key << " " << upload_id);
    for (const auto &u : before) {
        const auto age = std::chrono::system_clock::now() - u.initiated.value_or(std::chrono::system_clock::time_point{});
        CHECK(u.initiated && age < std::chrono::hours(1), u.key << " initiated unknown or long ago");
    }

    // A pulled hook stops the abort before it is sent: the upload stays open.
    tos::CancelHook paused;
    paused.pause();
    tos::AbortMultipartUploadInput abort(bucket, key, upload_id);
    abort.cancel_hook = paused;
    try {
        client.abort_multipart_upload(abort);
        CHECK(false, "an abort with a paused hook succeeded");
    } catch (const tos::Error &e) {
        CHECK(e.paused(), e.what());
    }
    CHECK(listed(client.list_multipart_uploads(tos::ListMultipartUploadsInput(bucket, "cpp-uploads/")), key, upload_id),
          "no longer listed after a stopped abort");

    abort.cancel_hook.reset();
    client.abort_multipart_upload(abort);
    CHECK(!listed(client.list_multipart_uploads(tos::ListMultipartUploadsInput(bucket, "cpp-uploads/")), key),
          "still listed after the abort");
    try {
        client.abort_multipart_upload(abort);
        CHECK(false, "a second abort succeeded");
    } catch (const tos::Error &e) {
        CHECK(e.result() == TOS_ERR_SERVER && e.code() == "NoSuchUpload", e.what());
    }

    tos::CancelHook pulled;
    pulled.abort();
    tos::ListMultipartUploadsInput cancelled(bucket);
    cancelled.cancel_hook = pulled;
    try {
        client.list_multipart_uploads(cancelled);
        CHECK(false, "a listing with a pulled hook succeeded");
    } catch (const tos::Error &e) {
        CHECK(e.aborted(), e.what());
    }
}

} // namespace

int main() {
    const std::string bucket = env("TOS_TEST_BUCKET");
    return run_checks("test_cpp_stream_uploads", [&] {
        tos::Client client = make_client();
        test_stream_of_parts(client, bucket);
        test_short_istream(client, bucket);
        test_read_exception(client, bucket);
        test_list_and_abort(client, bucket);
    });
}
