/*
 * tos_upload_stream against the local server:
 *  1. a stream of 3 parts (reads of odd sizes) arrives byte-exact, with its CRC-64, as a
 *     multipart upload; the read callback ran on the calling thread; progress ends at the
 *     stream's size;
 *  2. a stream shorter than a part is one PutObject (server request log);
 *  3. a read callback that fails -> TOS_ERR_STREAM_READ, no object, no upload left open;
 *     one that returns more than asked -> TOS_ERR_STREAM_READ too;
 *  4. pause and abort return TOS_ABORTED within tu_cancel_limit_s() of tos_cancel (2 s;
 *     4 s under valgrind), leaving no upload open;
 *  5. NULL and invalid inputs get their codes before the stream is read.
 */
#include "test_util.h"

#include <pthread.h>

#define MiB (1024ULL * 1024ULL)

/* Byte i of every test stream: a function of the position, so any range can be checked. */
static uint8_t stream_byte(uint64_t i) {
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL;
    x ^= x >> 31;
    return (uint8_t)(x >> 24);
}

struct source {
    uint64_t size, at;
    size_t max_read;
    uint64_t fail_at;  /* return fail_with once `at` reaches it; UINT64_MAX = never */
    int64_t fail_with;
    int overfill;      /* return capacity + 1 */
    pthread_t caller;
    int calls, wrong_thread;
};

static int64_t read_source(uint8_t *buf, size_t capacity, void *user_data) {
    struct source *s = user_data;
    size_t n = capacity, i;
    s->calls++;
    if (!pthread_equal(pthread_self(), s->caller)) {
        s->wrong_thread++;
    }
    if (s->overfill) {
        return (int64_t)capacity + 1;
    }
    if (s->at >= s->fail_at) {
        return s->fail_with;
    }
    if (n > s->max_read) {
        n = s->max_read;
    }
    if (n > s->size - s->at) {
        n = (size_t)(s->size - s->at);
    }
    for (i = 0; i < n; i++) {
        buf[i] = stream_byte(s->at + i);
    }
    s->at += n;
    return (int64_t)n;
}

static void source_init(struct source *s, uint64_t size, size_t max_read) {
    memset(s, 0, sizeof *s);
    s->size = size;
    s->max_read = max_read;
    s->fail_at = UINT64_MAX;
    s->caller = pthread_self();
}

struct progress_seen {
    uint64_t last_consumed, last_total;
    int calls, backwards, succeeded;
};

static void on_progress(const tos_upload_progress *p, void *user_data) {
    struct progress_seen *seen = user_data;
    if (p->consumed_bytes < seen->last_consumed || p->consumed_bytes > p->total_bytes) {
        seen->backwards++;
    }
    seen->last_consumed = p->consumed_bytes;
    seen->last_total = p->total_bytes;
    seen->succeeded += p->kind == TOS_UPLOAD_PROGRESS_KIND_SUCCEEDED;
    seen->calls++;
}

static void input_for(tos_upload_stream_input *input, const char *key, struct source *s) {
    tos_upload_stream_input_init(input);
    input->bucket = tu_env("TOS_TEST_BUCKET");
    input->key = key;
    input->read_cb = read_source;
    input->read_user_data = s;
    input->part_size = 5 * MiB;
    input->task_num = 2;
}

/* Status of GET object; the body is compared with the stream of `size` bytes when 200. */
static int object_status(const char *key, uint64_t size, int *matches) {
    char path[512];
    int status = 0;
    size_t len = 0, i;
    char *body;
    snprintf(path, sizeof path, "/object?bucket=%s&key=%s", tu_env("TOS_TEST_BUCKET"), key);
    body = tu_admin_bytes("GET", path, NULL, &status, &len);
    *matches = body != NULL && len == size;
    for (i = 0; *matches && i < len; i++) {
        *matches = (uint8_t)body[i] == stream_byte(i);
    }
    free(body);
    return status;
}

static void check_no_open_upload(const char *what) {
    char path[256];
    int status = 0;
    char *uploads;
    snprintf(path, sizeof path, "/uploads?bucket=%s", tu_env("TOS_TEST_BUCKET"));
    uploads = tu_admin("GET", path, NULL, &status);
    CHECK(status == 200 && uploads != NULL && strcmp(uploads, "[]") == 0, "%s: uploads left open: %s", what,
          uploads ? uploads : "(none)");
    free(uploads);
}

static void test_multipart(const tos_client *client) {
    const uint64_t size = 12 * MiB + 3;
    struct source s;
    struct progress_seen seen = {0};
    tos_upload_stream_input input;
    tos_upload_stream_output *output = NULL;
    tos_error *error = NULL;
    uint64_t crc = 0, i;
    uint8_t block[4096];
    int matches = 0;
    char *log;
    tos_result rc;

    source_init(&s, size, 100003);
    input_for(&input, "stream/multi.bin", &s);
    input.progress_cb = on_progress;
    input.progress_user_data = &seen;
    tu_clear_log();
    rc = tos_upload_stream(client, &input, &output, &error);
    CHECK(rc == TOS_OK, "multipart: %s: %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    CHECK(object_status("stream/multi.bin", size, &matches) == 200 && matches, "multipart: object differs");
    for (i = 0; i < size; i += sizeof block) {
        size_t n = size - i < sizeof block ? (size_t)(size - i) : sizeof block, j;
        for (j = 0; j < n; j++) {
            block[j] = stream_byte(i + j);
        }
        crc = tos_crc64_update(crc, block, n);
    }
    if (output != NULL) {
        CHECK(tos_upload_stream_output_crc64(output) == crc, "multipart: crc64 %llu, expected %llu",
              (unsigned long long)tos_upload_stream_output_crc64(output), (unsigned long long)crc);
        CHECK(tos_upload_stream_output_upload_id(output)[0] != '\0', "multipart: no upload id");
        CHECK(tos_upload_stream_output_bytes_sent(output) == size, "multipart: bytes_sent");
    }
    CHECK(s.wrong_thread == 0, "read_cb ran %d times off the calling thread", s.wrong_thread);
    CHECK(seen.succeeded == 1 && seen.backwards == 0, "progress: %d successes, %d bad calls", seen.succeeded,
          seen.backwards);
    CHECK(seen.last_consumed == size && seen.last_total == size, "progress ends at %llu of %llu",
          (unsigned long long)seen.last_consumed, (unsigned long long)seen.last_total);
    log = tu_log();
    CHECK(tu_log_count(log, "UploadPart", 200) == 3, "expected 3 parts");
    CHECK(tu_log_count(log, "PutObject", -1) == 0, "a PutObject for a multipart stream");
    free(log);
    tos_upload_stream_output_free(output);
    tos_error_free(error);
}

static void test_small(const tos_client *client) {
    const uint64_t size = MiB + 17;
    struct source s;
    tos_upload_stream_input input;
    tos_upload_stream_output *output = NULL;
    tos_error *error = NULL;
    int matches = 0;
    char *log;
    tos_result rc;

    source_init(&s, size, 65536);
    input_for(&input, "stream/small.bin", &s);
    tu_clear_log();
    rc = tos_upload_stream(client, &input, &output, &error);
    CHECK(rc == TOS_OK, "small: %s: %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    CHECK(object_status("stream/small.bin", size, &matches) == 200 && matches, "small: object differs");
    CHECK(output != NULL && tos_upload_stream_output_upload_id(output)[0] == '\0', "small: an upload id");
    log = tu_log();
    CHECK(tu_log_count(log, "PutObject", 200) == 1, "small: expected one PutObject");
    CHECK(tu_log_count(log, "CreateMultipartUpload", -1) == 0, "small: a multipart upload was made");
    free(log);
    tos_upload_stream_output_free(output);
    tos_error_free(error);
}

static void test_read_errors(const tos_client *client) {
    struct source s;
    tos_upload_stream_input input;
    tos_upload_stream_output *output = NULL;
    tos_error *error = NULL;
    int matches = 0;
    tos_result rc;

    source_init(&s, 30 * MiB, 1 << 20);
    s.fail_at = 7 * MiB;
    s.fail_with = -5;
    input_for(&input, "stream/broken.bin", &s);
    rc = tos_upload_stream(client, &input, &output, &error);
    CHECK(rc == TOS_ERR_STREAM_READ, "read error: %s", tos_result_name(rc));
    CHECK(output == NULL, "read error: output written");
    CHECK(error != NULL && tos_error_result(error) == TOS_ERR_STREAM_READ, "read error: error object");
    CHECK(error != NULL && strstr(tos_error_cause(error), "-5") != NULL, "read error: cause %s",
          error ? tos_error_cause(error) : "");
    /* The header promises the callback's value in the message itself. */
    CHECK(error != NULL && strstr(tos_error_message(error), "returned -5") != NULL, "read error: message %s",
          error ? tos_error_message(error) : "");
    printf("read error: %s (%s)\n", error ? tos_error_message(error) : "", error ? tos_error_cause(error) : "");
    CHECK(object_status("stream/broken.bin", 0, &matches) == 404, "read error: an object was created");
    check_no_open_upload("read error");
    tos_error_free(error);
    error = NULL;

    source_init(&s, 30 * MiB, 1 << 20);
    s.overfill = 1;
    input_for(&input, "stream/overfill.bin", &s);
    rc = tos_upload_stream(client, &input, &output, &error);
    CHECK(rc == TOS_ERR_STREAM_READ, "overfill: %s", tos_result_name(rc));
    CHECK(object_status("stream/overfill.bin", 0, &matches) == 404, "overfill: an object was created");
    tos_error_free(error);
}

/* An endless stream, cancelled after a second: with every part stalled by the server
 * (reading waits on the buffers), or under a low rate limit (reading and sending). */
static void test_cancel(const tos_client *client, int is_abort, const tos_rate_limiter *limiter) {
    const double limit_s = tu_cancel_limit_s();
    struct source s;
    struct tu_canceller c;
    pthread_t thread;
    tos_upload_stream_input input;
    tos_upload_stream_output *output = NULL;
    tos_error *error = NULL;
    double latency;
    int matches = 0;
    tos_result rc;

    source_init(&s, UINT64_MAX, 1 << 20);
    input_for(&input, is_abort ? "stream/abort.bin" : "stream/pause.bin", &s);
    input.rate_limiter = limiter;
    c.hook = tos_cancel_hook_new();
    c.is_abort = is_abort;
    c.delay_s = tu_under_valgrind() ? 4.0 : 1.0;
    c.cancelled_at = 0;
    input.cancel_hook = c.hook;
    pthread_create(&thread, NULL, tu_cancel_later, &c);
    rc = tos_upload_stream(client, &input, &output, &error);
    latency = tu_now() - c.cancelled_at;
    pthread_join(thread, NULL);
    printf("%s: %s after %.1f ms (limit %.0f ms), %llu bytes read: %s\n", is_abort ? "abort" : "pause",
           tos_result_name(rc), latency * 1000, limit_s * 1000, (unsigned long long)s.at,
           error ? tos_error_message(error) : "");
    CHECK(rc == TOS_ABORTED, "%s: %s", is_abort ? "abort" : "pause", tos_result_name(rc));
    CHECK(c.cancelled_at > 0 && latency <= limit_s, "returned %.1f ms after tos_cancel", latency * 1000);
    CHECK(output == NULL, "cancel: output written");
    CHECK(is_abort || (error != NULL && strstr(tos_error_message(error), "cannot be resumed") != NULL),
          "pause: the message does not say why it aborted");
    CHECK(object_status(input.key, 0, &matches) == 404, "cancel: an object was created");
    check_no_open_upload(is_abort ? "abort" : "pause");
    tos_error_free(error);
    tos_cancel_hook_free(c.hook);
}

static void test_bad_input(const tos_client *client) {
    struct source s;
    tos_upload_stream_input input;
    tos_upload_stream_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;

    source_init(&s, 10, 10);
    CHECK(tos_upload_stream_input_init(NULL) == TOS_ERR_NULL_ARGUMENT, "init(NULL)");
    input_for(&input, "stream/bad.bin", &s);
    rc = tos_upload_stream(NULL, &input, &output, &error);
    CHECK(rc == TOS_ERR_NULL_ARGUMENT && error != NULL, "NULL client: %s", tos_result_name(rc));
    tos_error_free(error);
    error = NULL;
    CHECK(tos_upload_stream(client, NULL, &output, NULL) == TOS_ERR_NULL_ARGUMENT, "NULL input");

    input.struct_size = 0;
    CHECK(tos_upload_stream(client, &input, &output, NULL) == TOS_ERR_STRUCT_SIZE, "struct_size 0");
    input_for(&input, "stream/bad.bin", &s);
    input.read_cb = NULL;
    rc = tos_upload_stream(client, &input, &output, &error);
    CHECK(rc == TOS_ERR_NULL_ARGUMENT && error != NULL && strstr(tos_error_message(error), "read_cb") != NULL,
          "NULL read_cb: %s", tos_result_name(rc));
    tos_error_free(error);
    error = NULL;
    input_for(&input, "stream/bad.bin", &s);
    input.bucket = NULL;
    CHECK(tos_upload_stream(client, &input, &output, NULL) == TOS_ERR_NULL_ARGUMENT, "NULL bucket");
    input_for(&input, "stream/bad.bin", &s);
    input.key = "\xff\xfe";
    CHECK(tos_upload_stream(client, &input, &output, NULL) == TOS_ERR_INVALID_UTF8, "key not UTF-8");
    input_for(&input, "stream/bad.bin", &s);
    input.part_size = 1024;
    CHECK(tos_upload_stream(client, &input, &output, NULL) == TOS_ERR_INVALID_PART_SIZE, "part size 1 KiB");
    input_for(&input, "stream/bad.bin", &s);
    input.bucket = "Not_A_Bucket";
    CHECK(tos_upload_stream(client, &input, &output, NULL) == TOS_ERR_INVALID_BUCKET, "bad bucket");
    CHECK(s.calls == 0, "the stream was read %d times for refused inputs", s.calls);
    CHECK(output == NULL, "output written on failure");
}

int main(void) {
    const tos_client *client = tu_client();
    const tos_rate_limiter *limiter;

    test_bad_input(client);
    test_multipart(client);
    test_small(client);
    test_read_errors(client);
    tu_add_fault("{\"op\":\"UploadPart\",\"action\":{\"kind\":\"stall\",\"ms\":30000}}");
    test_cancel(client, 0, NULL);
    tu_clear_faults();
    limiter = tu_rate_limiter(4 * 1024 * 1024, 512 * 1024);
    test_cancel(client, 1, limiter);
    tos_rate_limiter_free(limiter);
    tos_client_free(client);
    printf("test_upload_stream: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
