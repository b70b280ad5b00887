/*
 * Hostile values through the public C API: every one is refused before anything is sent,
 * with its specific tos_result code and a message naming the field or value at fault.
 * The server's request log must stay empty. (tests/c/test_bad_input.c covers NULLs,
 * struct sizes and the file itself; this covers what reaches headers, URLs and paths.)
 */
#include "test_util.h"

#include <string.h>
#include <sys/stat.h>

static const tos_client *client;
static char dir[] = "/tmp/tos-bad-values-XXXXXX";
static char small_file[256];
static int cases;

static void expect(const char *what, tos_result rc, tos_error *error, tos_result expected, const char *named) {
    const char *message = error ? tos_error_message(error) : "";
    cases++;
    CHECK(rc == expected, "%s: expected %s, got %s (%s)", what, tos_result_name(expected), tos_result_name(rc),
          message);
    CHECK(error != NULL && message[0] != '\0', "%s: no message", what);
    CHECK(named == NULL || strstr(message, named) != NULL, "%s: the message does not name %s: %s", what, named,
          message);
    printf("ok  %-44s %-28s %s\n", what, tos_result_name(rc), message);
    tos_error_free(error);
}

static void expect_client(const char *what, const tos_client_options *options, tos_result expected,
                          const char *named) {
    const tos_client *made = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_client_new(options, &made, &error);
    CHECK(made == NULL, "%s: client made", what);
    tos_client_free(made);
    expect(what, rc, error, expected, named);
}

static void ignore_line(uint32_t level, const char *message, void *user_data) {
    (void)level;
    (void)message;
    (void)user_data;
}

static void base_input(tos_upload_file_input *input) {
    tos_upload_file_input_init(input);
    input->bucket = tu_env("TOS_TEST_BUCKET");
    input->key = "bad-values/object.bin";
    input->file_path = small_file;
}

static void expect_file(const char *what, const tos_upload_file_input *input, tos_result expected,
                        const char *named) {
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_upload_file(client, input, &output, &error);
    CHECK(output == NULL, "%s: output written on failure", what);
    tos_upload_file_output_free(output);
    expect(what, rc, error, expected, named);
}

static void expect_dir(const char *what, const tos_upload_dir_input *input, tos_result expected,
                       const char *named) {
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_upload_dir(client, input, &output, &error);
    CHECK(output == NULL, "%s: output written on failure", what);
    tos_upload_dir_output_free(output);
    expect(what, rc, error, expected, named);
}

int main(void) {
    tos_client_options options;
    tos_upload_file_input input;
    tos_upload_dir_input dir_input;
    tos_meta_entry meta;
    char long_key[700], long_bucket[70], fifo[300];
    char *log;
    int entries;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(small_file, sizeof small_file, "%s/small.bin", dir);
    snprintf(fifo, sizeof fifo, "%s/checkpoint.fifo", dir);
    if (tu_make_file(small_file, 4096) != 0 || mkfifo(fifo, 0600) != 0) {
        perror("test files");
        return 1;
    }
    client = tu_client();
    tu_clear_log();
    unsetenv("AWS_ENDPOINT_URL"); /* the S3 case below relies on there being no endpoint */

    /* the client: endpoint, protocol, credentials */
    tos_client_options_init(&options);
    options.endpoint = "http://";
    expect_client("endpoint without a host", &options, TOS_ERR_INVALID_ENDPOINT, "http://");
    options.endpoint = "http://127.0.0.1:99999";
    expect_client("endpoint port 99999", &options, TOS_ERR_INVALID_ENDPOINT, "99999");
    options.endpoint = "ftp://127.0.0.1";
    expect_client("endpoint scheme ftp", &options, TOS_ERR_INVALID_ENDPOINT, "ftp://");
    options.endpoint = "http://user@127.0.0.1";
    expect_client("endpoint with user info", &options, TOS_ERR_INVALID_ENDPOINT, "user@");
    options.endpoint = "http://127.0.0.1/path";
    expect_client("endpoint with a path", &options, TOS_ERR_INVALID_ENDPOINT, "/path");
    tos_client_options_init(&options);
    options.endpoint = "http://127.0.0.1:1";
    options.protocol = 9;
    expect_client("protocol out of range", &options, TOS_ERR_INVALID_ARGUMENT, "protocol");
    tos_client_options_init(&options);
    options.protocol = TOS_PROTOCOL_S3; /* AWS_ENDPOINT_URL is not set here */
    expect_client("S3 without an endpoint", &options, TOS_ERR_INVALID_ENDPOINT, "AWS_ENDPOINT_URL");
    tos_client_options_init(&options);
    options.protocol = TOS_PROTOCOL_S3;
    options.endpoint = "http://127.0.0.1:1";
    options.access_key = "AK";
    options.secret_key = "SK";
    {
        /* TOS-only attributes over S3: refused, not silently dropped */
        const tos_client *s3 = NULL;
        tos_upload_file_output *output = NULL;
        tos_error *error = NULL;
        CHECK(tos_client_new(&options, &s3, NULL) == TOS_OK, "S3 client");
        tos_result rc;
        base_input(&input);
        input.attributes.traffic_limit = 819200;
        rc = tos_upload_file(s3, &input, &output, &error);
        expect("S3: traffic_limit", rc, error, TOS_ERR_INVALID_ARGUMENT, "traffic_limit");
        base_input(&input);
        input.attributes.forbid_overwrite = true;
        error = NULL;
        rc = tos_upload_file(s3, &input, &output, &error);
        expect("S3: forbid_overwrite", rc, error, TOS_ERR_INVALID_ARGUMENT, "forbid_overwrite");
        CHECK(output == NULL, "S3: output written on failure");
        tos_client_free(s3);
    }

    /* names */
    base_input(&input);
    memset(long_key, 'k', 697);
    long_key[697] = '\0';
    input.key = long_key;
    expect_file("key of 697 bytes", &input, TOS_ERR_INVALID_KEY, "696");
    /* A leading '/' or '\\' and DEL are TOS keys (docs/protocol.md, "Names"). */
    base_input(&input);
    input.key = "line\nbreak";
    expect_file("key with a line break", &input, TOS_ERR_INVALID_KEY, "control");
    base_input(&input);
    input.key = "ctl\001char";
    expect_file("key with a control character", &input, TOS_ERR_INVALID_KEY, "control");
    base_input(&input);
    input.key = "a/../b";
    expect_file("key with a .. segment", &input, TOS_ERR_INVALID_KEY, "..");
    base_input(&input);
    memset(long_bucket, 'b', 64);
    long_bucket[64] = '\0';
    input.bucket = long_bucket;
    expect_file("bucket of 64 characters", &input, TOS_ERR_INVALID_BUCKET, "bbbb");
    base_input(&input);
    input.bucket = "-starts-with-dash";
    expect_file("bucket starting with -", &input, TOS_ERR_INVALID_BUCKET, "-starts-with-dash");

    /* header values: CR/LF would split the request */
    base_input(&input);
    input.attributes.content_type = "text/plain\r\nX-Injected: 1";
    expect_file("content_type with CR/LF", &input, TOS_ERR_INVALID_ARGUMENT, "content_type");
    base_input(&input);
    input.attributes.cache_control = "no-cache\n";
    expect_file("cache_control with LF", &input, TOS_ERR_INVALID_ARGUMENT, "cache_control");
    base_input(&input);
    input.attributes.content_disposition = "attachment\r";
    expect_file("content_disposition with CR", &input, TOS_ERR_INVALID_ARGUMENT, "content_disposition");
    base_input(&input);
    input.attributes.content_encoding = "gzip\001";
    expect_file("content_encoding with a control char", &input, TOS_ERR_INVALID_ARGUMENT, "content_encoding");
    base_input(&input);
    input.attributes.content_language = "en\n";
    expect_file("content_language with LF", &input, TOS_ERR_INVALID_ARGUMENT, "content_language");
    base_input(&input);
    input.attributes.tagging = "a=b\r\nc=d";
    expect_file("tagging with CR/LF", &input, TOS_ERR_INVALID_ARGUMENT, "tagging");
    base_input(&input);
    input.attributes.website_redirect_location = "/x\n";
    expect_file("website_redirect_location with LF", &input, TOS_ERR_INVALID_ARGUMENT, "website_redirect_location");
    base_input(&input);
    input.attributes.server_side_encryption = "AES256\r\n";
    expect_file("server_side_encryption with CR/LF", &input, TOS_ERR_INVALID_ARGUMENT, "server_side_encryption");
    base_input(&input);
    meta.key = "bad name";
    meta.value = "v";
    input.attributes.meta = &meta;
    input.attributes.meta_count = 1;
    expect_file("meta name with a space", &input, TOS_ERR_INVALID_ARGUMENT, "bad name");
    base_input(&input);
    meta.key = "ok";
    meta.value = "line\nbreak";
    input.attributes.meta = &meta;
    input.attributes.meta_count = 1;
    expect_file("meta value with LF", &input, TOS_ERR_INVALID_ARGUMENT, "meta");
    base_input(&input);
    meta.key = "";
    meta.value = "v";
    input.attributes.meta = &meta;
    input.attributes.meta_count = 1;
    expect_file("empty meta name", &input, TOS_ERR_INVALID_ARGUMENT, "meta");
    base_input(&input);
    input.attributes.expires = -1;
    expect_file("expires before 1970", &input, TOS_ERR_INVALID_ARGUMENT, "expires");
    base_input(&input);
    input.attributes.expires = INT64_MAX;
    expect_file("expires past year 9999", &input, TOS_ERR_INVALID_ARGUMENT, "expires");
    base_input(&input);
    input.attributes.acl = "everyone-writes";
    expect_file("unknown acl", &input, TOS_ERR_INVALID_ARGUMENT, "everyone-writes");
    base_input(&input);
    input.attributes.storage_class = "FAST";
    expect_file("unknown storage class", &input, TOS_ERR_INVALID_ARGUMENT, "FAST");
    base_input(&input);
    input.attributes.ssec_algorithm = "AES256";
    expect_file("SSE-C algorithm without key", &input, TOS_ERR_INVALID_ARGUMENT, "SSE-C");
    base_input(&input);
    input.attributes.ssec_algorithm = "AES128";
    input.attributes.ssec_key = "a2V5";
    input.attributes.ssec_key_md5 = "bWQ1";
    expect_file("SSE-C algorithm AES128", &input, TOS_ERR_INVALID_ARGUMENT, "AES128");

    /* paths that would block or never end */
    base_input(&input);
    input.checkpoint_file = fifo;
    expect_file("checkpoint path is a FIFO", &input, TOS_ERR_CHECKPOINT_PATH, "checkpoint.fifo");
    base_input(&input);
    input.checkpoint_file = "/dev/zero";
    expect_file("checkpoint path is /dev/zero", &input, TOS_ERR_CHECKPOINT_PATH, "/dev/zero");
    base_input(&input);
    input.file_path = "/proc/version";
    expect_file("a /proc file (stat size 0)", &input, TOS_ERR_FILE_UNREADABLE, "/proc/version");
    base_input(&input);
    input.file_path = "/dev/null";
    expect_file("a character device", &input, TOS_ERR_FILE_UNREADABLE, "/dev/null");

    /* the folder upload */
    tos_upload_dir_input_init(&dir_input);
    dir_input.bucket = tu_env("TOS_TEST_BUCKET");
    dir_input.dir = dir;
    dir_input.prefix = "tab\there/";
    expect_dir("folder prefix with a control char", &dir_input, TOS_ERR_INVALID_KEY, "control");
    dir_input.prefix = "ok/";
    dir_input.attributes.content_type = "x\r\ny";
    expect_dir("folder content_type with CR/LF", &dir_input, TOS_ERR_INVALID_ARGUMENT, "content_type");
    dir_input.attributes.content_type = NULL;
    dir_input.dir = small_file;
    expect_dir("folder that is a regular file", &dir_input, TOS_ERR_INVALID_ARGUMENT, "small.bin");
    dir_input.dir = dir;
    dir_input.checkpoint_dir = fifo;
    expect_dir("folder checkpoint dir is a FIFO", &dir_input, TOS_ERR_CHECKPOINT_PATH, "checkpoint.fifo");
    dir_input.checkpoint_dir = NULL;

    /* out of range: refused, never clamped (1.0's rule) */
    dir_input.task_num = 1001;
    expect_dir("folder task_num above 1000", &dir_input, TOS_ERR_INVALID_ARGUMENT, "1001");
    dir_input.task_num = 0;
    base_input(&input);
    input.task_num = 1001;
    expect_file("task_num above 1000", &input, TOS_ERR_INVALID_ARGUMENT, "1001");
    {
        const tos_rate_limiter *limiter = NULL;
        tos_error *error = NULL;
        tos_result rc = tos_rate_limiter_new(1023, 0, &limiter, &error);
        CHECK(limiter == NULL, "a limiter made below 1 KiB/s");
        expect("rate limit below 1 KiB/s", rc, error, TOS_ERR_INVALID_ARGUMENT, "1023");
        error = NULL;
        rc = tos_rate_limiter_new(4096, 100, &limiter, &error);
        CHECK(limiter == NULL, "a limiter made with a 100-byte burst");
        expect("rate limiter burst below 10 KiB", rc, error, TOS_ERR_INVALID_ARGUMENT, "100");
        error = NULL;
        rc = tos_rate_limiter_new(4096, 0, &limiter, &error);
        CHECK(rc == TOS_OK && limiter != NULL, "a limiter of 4 KiB/s: %s", tos_result_name(rc));
        CHECK(tos_rate_limiter_set_rate(limiter, 10, 0) == TOS_ERR_INVALID_ARGUMENT, "set_rate below 1 KiB/s");
        CHECK(tos_rate_limiter_new(4096, 0, NULL, NULL) == TOS_ERR_NULL_ARGUMENT, "NULL limiter_out");
        tos_rate_limiter_free(limiter);
    }
    CHECK(tos_set_log_callback(ignore_line, TOS_LOG_LEVEL_TRACE + 1, NULL) == TOS_ERR_INVALID_ARGUMENT,
          "a log level above TRACE");

    /* nothing reached the server */
    log = tu_log();
    entries = tu_log_entries(log);
    CHECK(entries == 0, "the server saw %d requests: %.200s", entries, log);
    free(log);
    CHECK(cases >= 42, "only %d cases ran", cases);

    tos_client_free(client);
    unlink(fifo);
    unlink(small_file);
    rmdir(dir);
    printf("test_bad_values: %d cases, %s\n", cases, tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
