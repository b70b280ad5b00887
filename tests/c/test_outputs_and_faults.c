/*
 * Parts of the C API that no other C test reaches, each checked against what the server did:
 *  1. every string getter of tos_upload_file_output, after a multipart upload and after a
 *     single PutObject (bucket, key, upload id, ETag, Location, version id, request id);
 *  2. retries on 429 and 408 that wait as long as the server's Retry-After asks (1 s, ten
 *     times the first backoff of 100 ms);
 *  3. a part answered with a wrong CRC-64 (fault bad_crc) and a part whose reply is lost
 *     after the server stored it (fault drop_reply): both sent again, the object byte-exact;
 *  4. tos_rate_limiter_set_rate raising a real limiter's rate during an upload, from inside
 *     the progress callback: the upload ends far sooner than the first rate allows;
 *  5. tos_upload_dir_output_bytes_skipped after skip_existing found every file on the server.
 *
 * usage (under scripts/with_server.py): test_outputs_and_faults
 */
#include "test_util.h"

#include <stdarg.h>

#define MIB (1024 * 1024)

static const tos_client *client;
static const char *bucket;
static char dir[] = "/tmp/tos-outputs-XXXXXX";

/* Prints a case's line, marked by whether the checks since `failures_before` held. */
static void report(int failures_before, const char *format, ...) {
    va_list args;
    printf("%s ", tu_failures == failures_before ? "ok " : "BAD");
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
}

/* Whether the object stored under `key` holds exactly the bytes of `path`. */
static int object_matches_file(const char *key, const char *path) {
    char query[512];
    int status = 0, same = 0;
    size_t len = 0;
    char *object;
    FILE *f;
    snprintf(query, sizeof query, "/object?bucket=%s&key=%s", bucket, key);
    object = tu_admin_bytes("GET", query, NULL, &status, &len);
    f = fopen(path, "rb");
    if (object != NULL && status == 200 && f != NULL) {
        size_t at = 0;
        int c;
        same = 1;
        while ((c = fgetc(f)) != EOF) {
            if (at >= len || (unsigned char)object[at] != (unsigned char)c) {
                same = 0;
                break;
            }
            at++;
        }
        same = same && at == len;
    }
    if (f != NULL) {
        fclose(f);
    }
    free(object);
    return same;
}

/* time_ms of the first log entry of `op` (part `part`, or any when < 0) with `status`; -1 if none. */
static long long log_time(const char *log, const char *op, long part, long status) {
    const char *p = log;
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (end == NULL) {
            break;
        }
        if (tu_json_str_is(p, end, "op", op) && tu_json_int(p, end, "status") == status &&
            (part < 0 || tu_json_int(p, end, "part_number") == part)) {
            const char *t = strstr(p, "\"time_ms\":");
            return t != NULL && t < end ? strtoll(t + strlen("\"time_ms\":"), NULL, 10) : -1;
        }
        p = end + 1;
    }
    return -1;
}

/* Log entries whose fault field names `fault`. */
static int log_faults(const char *log, const char *fault) {
    int count = 0;
    const char *p = log;
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (end == NULL) {
            break;
        }
        count += tu_json_str_is(p, end, "fault", fault);
        p = end + 1;
    }
    return count;
}

static tos_result upload(const char *key, const char *path, const tos_rate_limiter *limiter,
                         tos_upload_progress_cb progress, void *progress_data, tos_upload_file_output **output) {
    tos_upload_file_input input;
    tos_error *error = NULL;
    tos_result rc;
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = key;
    input.file_path = path;
    input.part_size = 5 * MIB;
    input.task_num = 2;
    input.disable_checkpoint = true;
    input.rate_limiter = limiter;
    input.progress_cb = progress;
    input.progress_user_data = progress_data;
    rc = tos_upload_file(client, &input, output, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "upload of %s: %s: %s\n", key, tos_result_name(rc), error ? tos_error_message(error) : "");
    }
    tos_error_free(error);
    return rc;
}

static void test_output_getters(const char *big, const char *small) {
    const int failures_before = tu_failures;
    tos_upload_file_output *multi = NULL, *single = NULL;
    char expected_location[512];
    tos_result rc;

    rc = upload("outputs/multi.bin", big, NULL, NULL, NULL, &multi);
    CHECK(rc == TOS_OK, "multipart upload: %s", tos_result_name(rc));
    rc = upload("outputs/single.bin", small, NULL, NULL, NULL, &single);
    CHECK(rc == TOS_OK, "single upload: %s", tos_result_name(rc));
    if (multi == NULL || single == NULL) {
        tos_upload_file_output_free(multi);
        tos_upload_file_output_free(single);
        return;
    }
    CHECK(strcmp(tos_upload_file_output_bucket(multi), bucket) == 0, "bucket %s", tos_upload_file_output_bucket(multi));
    CHECK(strcmp(tos_upload_file_output_key(multi), "outputs/multi.bin") == 0, "key %s",
          tos_upload_file_output_key(multi));
    CHECK(tos_upload_file_output_upload_id(multi)[0] != '\0', "no upload id after a multipart upload");
    /* The ETag as sent: quoted, with something between the quotes. */
    CHECK(tos_upload_file_output_etag(multi)[0] == '"' && strlen(tos_upload_file_output_etag(multi)) > 2,
          "multipart ETag %s", tos_upload_file_output_etag(multi));
    /* The local server answers Complete with a path-style URL of the object. */
    snprintf(expected_location, sizeof expected_location, "%s/%s/outputs/multi.bin", tu_env("TOS_ENDPOINT"), bucket);
    CHECK(strcmp(tos_upload_file_output_location(multi), expected_location) == 0, "location %s, want %s",
          tos_upload_file_output_location(multi), expected_location);
    CHECK(strcmp(tos_upload_file_output_version_id(multi), "") == 0, "version id %s on an unversioned bucket",
          tos_upload_file_output_version_id(multi));
    CHECK(tos_upload_file_output_request_id(multi)[0] != '\0', "no request id");

    CHECK(strcmp(tos_upload_file_output_key(single), "outputs/single.bin") == 0, "key %s",
          tos_upload_file_output_key(single));
    CHECK(strcmp(tos_upload_file_output_upload_id(single), "") == 0, "upload id %s after a PutObject",
          tos_upload_file_output_upload_id(single));
    CHECK(tos_upload_file_output_etag(single)[0] == '"', "single ETag %s", tos_upload_file_output_etag(single));
    CHECK(tos_upload_file_output_location(single) != NULL, "NULL location");
    CHECK(strcmp(tos_upload_file_output_version_id(single), "") == 0, "version id %s",
          tos_upload_file_output_version_id(single));
    /* Each call's own request: the ids of two requests differ. */
    CHECK(tos_upload_file_output_request_id(single)[0] != '\0' &&
              strcmp(tos_upload_file_output_request_id(single), tos_upload_file_output_request_id(multi)) != 0,
          "request ids %s and %s", tos_upload_file_output_request_id(single), tos_upload_file_output_request_id(multi));
    CHECK(strcmp(tos_upload_file_output_etag(single), tos_upload_file_output_etag(multi)) != 0,
          "two different objects with the same ETag %s", tos_upload_file_output_etag(single));
    report(failures_before, "output getters: etag %s location %s request id %s\n", tos_upload_file_output_etag(multi),
           tos_upload_file_output_location(multi), tos_upload_file_output_request_id(multi));
    tos_upload_file_output_free(multi);
    tos_upload_file_output_free(single);
}

/* One request answered `status` with Retry-After: 1; the retry must come a second later. */
static void test_retry_after(const char *op, long part, int status, const char *code, const char *big) {
    const int failures_before = tu_failures;
    char rule[512], key[128];
    tos_upload_file_output *output = NULL;
    long long refused, accepted;
    char *log;
    tos_result rc;
    snprintf(key, sizeof key, "retry-after/%d.bin", status);
    tu_clear_log();
    if (part > 0) {
        snprintf(rule, sizeof rule,
                 "{\"op\":\"%s\",\"part_number\":%ld,\"times\":1,\"action\":{\"kind\":\"status\",\"status\":%d,"
                 "\"code\":\"%s\",\"retry_after\":1}}",
                 op, part, status, code);
    } else {
        snprintf(rule, sizeof rule,
                 "{\"op\":\"%s\",\"times\":1,\"action\":{\"kind\":\"status\",\"status\":%d,\"code\":\"%s\","
                 "\"retry_after\":1}}",
                 op, status, code);
    }
    tu_add_fault(rule);
    rc = upload(key, big, NULL, NULL, NULL, &output);
    CHECK(rc == TOS_OK, "%d on %s: %s", status, op, tos_result_name(rc));
    CHECK(object_matches_file(key, big), "%d on %s: the object differs from the file", status, op);
    log = tu_log();
    refused = log_time(log, op, part, status);
    accepted = log_time(log, op, part, 200);
    CHECK(refused > 0 && accepted > 0, "%d on %s: the log lacks the refusal or the retry", status, op);
    /* The retry is sent no sooner than 1 s after the refusal, and answered after it is sent. */
    CHECK(accepted - refused >= 950, "%d on %s: retried %lld ms after the refusal, Retry-After asked 1 s", status,
          op, accepted - refused);
    report(failures_before, "%d with Retry-After: 1 on %s: retried after %lld ms\n", status, op, accepted - refused);
    free(log);
    tos_upload_file_output_free(output);
    tu_clear_faults();
}

static void test_lost_or_damaged_part(const char *kind, const char *big) {
    const int failures_before = tu_failures;
    char rule[256], key[128];
    tos_upload_file_output *output = NULL;
    char *log;
    tos_result rc;
    snprintf(key, sizeof key, "faults/%s.bin", kind);
    tu_clear_log();
    snprintf(rule, sizeof rule, "{\"op\":\"UploadPart\",\"part_number\":2,\"times\":1,\"action\":{\"kind\":\"%s\"}}",
             kind);
    tu_add_fault(rule);
    rc = upload(key, big, NULL, NULL, NULL, &output);
    CHECK(rc == TOS_OK, "%s: %s", kind, tos_result_name(rc));
    CHECK(object_matches_file(key, big), "%s: the object differs from the file", kind);
    log = tu_log();
    CHECK(log_faults(log, kind) == 1, "%s: the fault fired %d times, not once", kind, log_faults(log, kind));
    /* Part 2 went twice (the damaged or unanswered one, then the retry), part 1 once. */
    CHECK(tu_log_count(log, "UploadPart", -1) == 3, "%s: %d UploadParts, want 3", kind,
          tu_log_count(log, "UploadPart", -1));
    report(failures_before, "%s on part 2: sent again, object byte-exact\n", kind);
    free(log);
    tos_upload_file_output_free(output);
    tu_clear_faults();
}

struct raise_rate {
    const tos_rate_limiter *limiter;
    int raised;
    tos_result rc;
};

static void raise_after_first_mib(const tos_upload_progress *progress, void *user_data) {
    struct raise_rate *r = user_data;
    if (!r->raised && progress->consumed_bytes >= MIB) {
        r->raised = 1;
        r->rc = tos_rate_limiter_set_rate(r->limiter, 256 * MIB, 0);
    }
}

static void test_set_rate_during_upload(const char *big, uint64_t big_size) {
    const int failures_before = tu_failures;
    struct raise_rate r = {NULL, 0, TOS_OK};
    tos_upload_file_output *output = NULL;
    double started, took;
    tos_result rc;
    const double first_rate_s = (double)big_size / (512 * 1024);
    r.limiter = tu_rate_limiter(512 * 1024, 0);
    CHECK(tos_rate_limiter_set_rate(r.limiter, 100, 0) == TOS_ERR_INVALID_ARGUMENT, "a rate below 1024 accepted");
    started = tu_now();
    rc = upload("rate/raised.bin", big, r.limiter, raise_after_first_mib, &r, &output);
    took = tu_now() - started;
    CHECK(rc == TOS_OK, "raised rate: %s", tos_result_name(rc));
    CHECK(r.raised && r.rc == TOS_OK, "the rate was not raised (%s)", tos_result_name(r.rc));
    /* The first MiB crawls at 512 KiB/s (about 2 s), the rest goes at 256 MiB/s: well under
     * the whole file's time at the first rate, which an unchanged limiter would take. */
    CHECK(took >= 1.0 && took < first_rate_s / 2, "took %.2f s; at the first rate %.1f s", took, first_rate_s);
    CHECK(object_matches_file("rate/raised.bin", big), "raised rate: the object differs from the file");
    report(failures_before, "tos_rate_limiter_set_rate mid-upload: %.2f s (at the first rate: %.1f s)\n", took, first_rate_s);
    tos_upload_file_output_free(output);
    tos_rate_limiter_free(r.limiter);
}

static void test_dir_bytes_skipped(void) {
    const int failures_before = tu_failures;
    char tree[300], path[400];
    static const uint64_t sizes[] = {1000, 70000, 3 * 1024 * 1024};
    uint64_t total = 0;
    tos_upload_dir_input input;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    int round;
    unsigned i;
    snprintf(tree, sizeof tree, "%s/tree", dir);
    mkdir(tree, 0700);
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/f%u.bin", tree, i);
        tu_make_file(path, sizes[i]);
        total += sizes[i];
    }
    for (round = 0; round < 2; round++) {
        tos_upload_dir_input_init(&input);
        input.bucket = bucket;
        input.prefix = "skipped/";
        input.dir = tree;
        input.skip_existing = round == 1;
        rc = tos_upload_dir(client, &input, &output, &error);
        CHECK(rc == TOS_OK, "folder round %d: %s: %s", round, tos_result_name(rc), error ? tos_error_message(error) : "");
        tos_error_free(error);
        error = NULL;
        if (round == 1 && output != NULL) {
            CHECK(tos_upload_dir_output_files_skipped(output) == 3, "%llu files skipped, want 3",
                  (unsigned long long)tos_upload_dir_output_files_skipped(output));
            CHECK(tos_upload_dir_output_bytes_skipped(output) == total, "%llu bytes skipped, want %llu",
                  (unsigned long long)tos_upload_dir_output_bytes_skipped(output), (unsigned long long)total);
            CHECK(tos_upload_dir_output_files_uploaded(output) == 0 && tos_upload_dir_output_bytes_uploaded(output) == 0,
                  "skip_existing sent %llu files", (unsigned long long)tos_upload_dir_output_files_uploaded(output));
            report(failures_before, "skip_existing: %llu files, %llu bytes skipped\n",
                   (unsigned long long)tos_upload_dir_output_files_skipped(output),
                   (unsigned long long)tos_upload_dir_output_bytes_skipped(output));
        }
        tos_upload_dir_output_free(output);
        output = NULL;
    }
    CHECK(tos_upload_dir_output_bytes_skipped(NULL) == 0, "bytes skipped of a NULL output");
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/f%u.bin", tree, i);
        unlink(path);
    }
    rmdir(tree);
}

int main(void) {
    char big[256], small[256];
    const uint64_t big_size = 6 * MIB + 12345;
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(big, sizeof big, "%s/big.bin", dir);
    snprintf(small, sizeof small, "%s/small.bin", dir);
    if (tu_make_file(big, big_size) != 0 || tu_make_file(small, 4321) != 0) {
        perror("test files");
        return 1;
    }
    bucket = tu_env("TOS_TEST_BUCKET");
    client = tu_client();
    tu_clear_faults();

    test_output_getters(big, small);
    test_retry_after("UploadPart", 2, 429, "TooManyRequests", big);
    test_retry_after("CreateMultipartUpload", -1, 408, "RequestTimeout", big);
    test_lost_or_damaged_part("bad_crc", big);
    test_lost_or_damaged_part("drop_reply", big);
    test_set_rate_during_upload(big, big_size);
    test_dir_bytes_skipped();

    tos_client_free(client);
    unlink(big);
    unlink(small);
    rmdir(dir);
    printf("test_outputs_and_faults: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
