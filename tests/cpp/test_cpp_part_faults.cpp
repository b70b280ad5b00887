// A part lost or damaged on the way, through the C++ wrapper: the server stores part 2 but
// drops its reply (drop_reply), or answers it with a wrong CRC-64 (bad_crc), once or every
// time. The README's retry policy: sent again and byte-exact, or, when every answer is
// wrong, tos::Error with TOS_ERR_CRC_MISMATCH after the retries and no object at the key.
#include "cpp_test_util.hpp"

#include <initializer_list>
#include <string>

namespace {

using namespace tostest;

// Counts, in the server's log (a JSON array of flat objects), the entries for `key` that hold
// every one of `fields` (exact JSON text such as "\"part_number\":2,").
int log_count(const std::string &key, std::initializer_list<std::string> fields) {
    const HttpReply log = admin_request("GET", "/log");
    CHECK(log.error.empty() && log.status == 200, "GET /__admin/log: " << log.status << " " << log.error);
    const std::string body(log.body.begin(), log.body.end());
    int n = 0;
    for (std::size_t start = 0, end; (end = body.find('}', start)) != std::string::npos; start = end + 1) {
        const std::string entry = body.substr(start, end - start);
        bool all = entry.find("\"key\":\"" + key + "\"") != std::string::npos;
        for (const auto &f : fields) {
            all = all && entry.find(f) != std::string::npos;
        }
        n += all;
    }
    return n;
}

int part_sends(const std::string &key, int part) {
    return log_count(key, {"\"op\":\"UploadPart\"", "\"part_number\":" + std::to_string(part) + ","});
}

void add_part2_fault(const std::string &kind, bool once) {
    const std::string rule = std::string("{\"op\":\"UploadPart\",\"part_number\":2,") + (once ? "\"times\":1," : "") +
                             "\"action\":{\"kind\":\"" + kind + "\"}}";
    const HttpReply r = admin_request("POST", "/faults", rule);
    CHECK(r.error.empty() && r.status == 200, "adding " << rule << ": " << r.status << " " << r.error);
}

void clear(const char *what) {
    const HttpReply r = admin_request("DELETE", what);
    CHECK(r.error.empty() && r.status == 200, "DELETE " << what << ": " << r.status << " " << r.error);
}

void test_once(const tos::Client &client, const std::string &bucket, const TempFile &f, const std::string &kind) {
    const std::string key = "cpp/part-faults/" + kind + ".bin";
    clear("/log");
    add_part2_fault(kind, true);
    tos::UploadFileInput in(bucket, key, f.path);
    in.with_part_size(5 * MiB).with_task_num(3).with_checkpoint(false);
    try {
        const tos::UploadFileOutput out = client.upload_file(in);
        CHECK(out.crc64 == f.crc, kind << ": the object's CRC-64 is not the file's");
    } catch (const tos::Error &e) {
        CHECK(false, kind << " once on part 2: " << e.what());
    }
    clear("/faults");
    check_object_bytes(bucket, key, f.path);
    const int fired = log_count(key, {"\"fault\":\"" + kind + "\""});
    CHECK(fired == 1, kind << ": the fault fired " << fired << " times, not once");
    CHECK(part_sends(key, 1) == 1 && part_sends(key, 2) == 2 && part_sends(key, 3) == 1,
          kind << ": parts sent " << part_sends(key, 1) << "/" << part_sends(key, 2) << "/" << part_sends(key, 3)
               << ", want 1/2/1");
}

void test_bad_crc_every_time(const tos::Client &client, const std::string &bucket, const TempFile &f) {
    const std::string key = "cpp/part-faults/bad_crc-always.bin";
    clear("/log");
    add_part2_fault("bad_crc", false);
    tos::UploadFileInput in(bucket, key, f.path);
    in.with_part_size(5 * MiB).with_task_num(3).with_checkpoint(true, f.dir);
    tos_result result = TOS_OK;
    try {
        client.upload_file(in);
    } catch (const tos::Error &e) {
        result = e.result();
    }
    clear("/faults");
    CHECK(result == TOS_ERR_CRC_MISMATCH, "bad_crc every time: " << tos_result_name(result));
    // make_client's max_retry_count is 2: three sends of part 2, each answered wrong.
    CHECK(part_sends(key, 2) == 3, "part 2 sent " << part_sends(key, 2) << " times, want 3");
    const HttpReply object = admin_get_object(bucket, key);
    CHECK(object.error.empty() && object.status == 404, "the object after the failure: HTTP " << object.status);
    // The same call without the fault resumes from the checkpoint and ends byte-exact.
    try {
        client.upload_file(in);
    } catch (const tos::Error &e) {
        CHECK(false, "the second call: " << e.what());
    }
    check_object_bytes(bucket, key, f.path);
}

} // namespace

int main() {
    std::string bucket = env("TOS_TEST_BUCKET");
    return run_checks("test_cpp_part_faults", [&] {
        tos::Client client = make_client();
        TempFile f(12 * MiB + 5); // three parts of 5 MiB
        test_once(client, bucket, f, "drop_reply");
        test_once(client, bucket, f, "bad_crc");
        test_bad_crc_every_time(client, bucket, f);
    });
}
