/*
 * The C API of directory upload, on a small tree (so it also runs under valgrind):
 *  - bad input refused with its code and no output, before anything is sent: NULL client,
 *    input, bucket, dir, include array; wrong struct_size; a missing dir; a file as dir;
 *  - a normal upload: events (started/succeeded per file, skipped for a symlink), progress
 *    (monotonic, final totals), output counts, keys on the server;
 *  - failures: a dangling symlink followed, with continue_on_error -> TOS_ERR_SOME_FILES_FAILED
 *    with BOTH the output (listing the failure) and the error set;
 *  - tos_crc64_update / tos_crc64_combine, and tos_set_log_callback (a request line at debug
 *    level, never the secret key or a signature).
 */
#include "test_util.h"

#include <pthread.h>

static const tos_client *client;
static char dir[] = "/tmp/tos-dir-api-XXXXXX";
static char tree[256];

static void expect_refused(const char *what, const tos_upload_dir_input *input, tos_result expected) {
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_upload_dir(client, input, &output, &error);
    CHECK(rc == expected, "%s: expected %s, got %s (%s)", what, tos_result_name(expected), tos_result_name(rc),
          error ? tos_error_message(error) : "no error");
    CHECK(output == NULL, "%s: output written on failure", what);
    CHECK(error != NULL && tos_error_result(error) == rc, "%s: error object", what);
    if (error != NULL) {
        CHECK(tos_error_message(error)[0] != '\0', "%s: empty message", what);
        printf("ok  %-36s %-26s %s\n", what, tos_result_name(rc), tos_error_message(error));
    }
    tos_upload_dir_output_free(output);
    tos_error_free(error);
}

static void base_input(tos_upload_dir_input *input) {
    tos_upload_dir_input_init(input);
    input->bucket = tu_env("TOS_TEST_BUCKET");
    input->prefix = "dir-api/";
    input->dir = tree;
    input->part_size = 5 * 1024 * 1024;
}

struct counts {
    int started, succeeded, failed, skipped, progress_calls, backwards, final_walk_complete;
    int concurrency_events;
    uint64_t last_bytes, bytes_total, files_total, files_done;
    int bad_event;
};

static void on_event(const tos_upload_dir_event *event, void *user_data) {
    struct counts *c = user_data;
    if (event->kind == TOS_UPLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED) {
        /* Not about a file: automatic file concurrency (the default) reports its count. */
        if (event->file_concurrency == 0 || event->path == NULL || event->key == NULL) {
            c->bad_event = 1;
        }
        c->concurrency_events++;
        return;
    }
    if (event->path == NULL || event->key == NULL || strncmp(event->key, "dir-api/", 8) != 0) {
        c->bad_event = 1;
    }
    switch (event->kind) {
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_STARTED:
        c->started++;
        break;
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_SUCCEEDED:
        c->succeeded++;
        if (event->etag == NULL || !event->has_crc64 || event->error != NULL) {
            c->bad_event = 1;
        }
        break;
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_FAILED:
        c->failed++;
        if (event->error == NULL || tos_error_message(event->error)[0] == '\0') {
            c->bad_event = 1;
        }
        break;
    case TOS_UPLOAD_DIR_EVENT_KIND_FILE_SKIPPED:
        c->skipped++;
        if (event->reason == NULL) {
            c->bad_event = 1;
        }
        break;
    default:
        c->bad_event = 1;
    }
}

static void on_progress(const tos_upload_dir_progress *p, void *user_data) {
    struct counts *c = user_data;
    c->progress_calls++;
    if (p->bytes_done < c->last_bytes || p->bytes_done > p->bytes_total) {
        c->backwards = 1;
    }
    c->last_bytes = p->bytes_done;
    c->bytes_total = p->bytes_total;
    c->files_total = p->files_total;
    c->files_done = p->files_done;
    c->final_walk_complete = p->walk_complete;
}

/* ---- log callback: called from any library thread ---------------------------------------- */
struct log_capture {
    pthread_mutex_t lock;
    int lines, request_lines, leaked;
};

static void on_log(uint32_t level, const char *message, void *user_data) {
    struct log_capture *log = user_data;
    pthread_mutex_lock(&log->lock);
    log->lines++;
    if (level == TOS_LOG_LEVEL_DEBUG && strstr(message, "request id") != NULL) {
        log->request_lines++;
    }
    if (strstr(message, tu_env("TOS_SECRET_KEY")) != NULL || strstr(message, "Signature=") != NULL) {
        log->leaked++;
    }
    pthread_mutex_unlock(&log->lock);
}

static void make(const char *relative, uint64_t size) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tree, relative);
    if (tu_make_file(path, size) != 0) {
        perror(path);
        exit(1);
    }
}

int main(void) {
    tos_upload_dir_input input;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    struct counts counts;
    struct log_capture log_capture;
    const char *patterns[1] = {NULL};
    char path[512], *log;
    tos_result rc;
    uint64_t total = 0;
    int entries;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(tree, sizeof tree, "%s/tree", dir);
    mkdir(tree, 0755);
    snprintf(path, sizeof path, "%s/sub dir", tree);
    mkdir(path, 0755);
    make("a.txt", 10);
    make("b.bin", 70000);
    make("sub dir/\xc3\xa9t\xc3\xa9.txt", 3000); /* été.txt */
    make("sub dir/large.bin", 5 * 1024 * 1024 + 17);
    total = 10 + 70000 + 3000 + 5 * 1024 * 1024 + 17;
    snprintf(path, sizeof path, "%s/dangling", tree);
    if (symlink("does-not-exist", path) != 0) {
        perror("symlink");
        return 1;
    }
    client = tu_client();
    tu_clear_log();

    /* ---- bad input ---- */
    CHECK(tos_upload_dir_input_init(NULL) == TOS_ERR_NULL_ARGUMENT, "init(NULL)");
    base_input(&input);
    CHECK(!input.top_level_only, "init leaves top_level_only false (recurse)");
    CHECK(input.struct_size == sizeof input, "init sets struct_size");
    rc = tos_upload_dir(client, NULL, NULL, &error);
    CHECK(rc == TOS_ERR_NULL_ARGUMENT, "NULL input: %s", tos_result_name(rc));
    tos_error_free(error);
    error = NULL;
    rc = tos_upload_dir(NULL, &input, NULL, &error);
    CHECK(rc == TOS_ERR_NULL_ARGUMENT, "NULL client: %s", tos_result_name(rc));
    tos_error_free(error);
    error = NULL;
    CHECK(tos_upload_dir(client, NULL, NULL, NULL) == TOS_ERR_NULL_ARGUMENT, "NULL error_out is allowed");
    base_input(&input);
    input.struct_size = 0;
    expect_refused("struct_size 0", &input, TOS_ERR_STRUCT_SIZE);
    base_input(&input);
    input.struct_size = sizeof input + 8;
    expect_refused("struct_size too big", &input, TOS_ERR_STRUCT_SIZE);
    base_input(&input);
    input.bucket = NULL;
    expect_refused("NULL bucket", &input, TOS_ERR_NULL_ARGUMENT);
    base_input(&input);
    input.dir = NULL;
    expect_refused("NULL dir", &input, TOS_ERR_NULL_ARGUMENT);
    base_input(&input);
    input.include_count = 1;
    expect_refused("NULL include with count 1", &input, TOS_ERR_NULL_ARGUMENT);
    base_input(&input);
    input.exclude = patterns;
    input.exclude_count = 1;
    expect_refused("NULL exclude[0]", &input, TOS_ERR_NULL_ARGUMENT);
    base_input(&input);
    snprintf(path, sizeof path, "%s/missing", dir);
    input.dir = path;
    expect_refused("missing dir", &input, TOS_ERR_FILE_NOT_FOUND);
    base_input(&input);
    snprintf(path, sizeof path, "%s/a.txt", tree);
    input.dir = path;
    expect_refused("a file as dir", &input, TOS_ERR_INVALID_ARGUMENT);
    base_input(&input);
    input.part_size = 1024;
    expect_refused("part size 1 KiB", &input, TOS_ERR_INVALID_PART_SIZE);
    base_input(&input);
    input.bucket = "Bad_Bucket!";
    expect_refused("invalid bucket", &input, TOS_ERR_INVALID_BUCKET);
    base_input(&input);
    input.prefix = "bad-\xc3\x28";
    expect_refused("invalid UTF-8 prefix", &input, TOS_ERR_INVALID_UTF8);
    log = tu_log();
    entries = tu_log_entries(log);
    CHECK(entries == 0, "bad input reached the server: %d requests", entries);
    free(log);

    /* ---- a normal upload, with the log callback on ---- */
    memset(&log_capture, 0, sizeof log_capture);
    pthread_mutex_init(&log_capture.lock, NULL);
    CHECK(tos_set_log_callback(on_log, TOS_LOG_LEVEL_DEBUG, &log_capture) == TOS_OK, "tos_set_log_callback");
    memset(&counts, 0, sizeof counts);
    base_input(&input);
    input.event_cb = on_event;
    input.event_user_data = &counts;
    input.progress_cb = on_progress;
    input.progress_user_data = &counts;
    rc = tos_upload_dir(client, &input, &output, &error);
    CHECK(tos_set_log_callback(NULL, 0, NULL) == TOS_OK, "log callback off");
    CHECK(rc == TOS_OK, "upload: %s %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    CHECK(error == NULL, "error set on success");
    CHECK(tos_upload_dir_output_files_uploaded(output) == 4, "files_uploaded %llu",
          (unsigned long long)tos_upload_dir_output_files_uploaded(output));
    CHECK(tos_upload_dir_output_bytes_uploaded(output) == total, "bytes_uploaded %llu",
          (unsigned long long)tos_upload_dir_output_bytes_uploaded(output));
    CHECK(tos_upload_dir_output_files_skipped(output) == 0, "files_skipped");
    CHECK(tos_upload_dir_output_failure_count(output) == 0, "failure_count");
    CHECK(tos_upload_dir_output_failure_path(output, 0) == NULL, "failure_path out of range");
    CHECK(tos_upload_dir_output_failure_error(output, 0) == NULL, "failure_error out of range");
    CHECK(counts.started == 4 && counts.succeeded == 4 && counts.failed == 0 && counts.skipped == 1,
          "events: started %d succeeded %d failed %d skipped %d", counts.started, counts.succeeded, counts.failed,
          counts.skipped);
    CHECK(!counts.bad_event, "an event lacked a field");
    CHECK(counts.progress_calls > 0 && !counts.backwards, "progress: %d calls, backwards %d", counts.progress_calls,
          counts.backwards);
    CHECK(counts.final_walk_complete && counts.bytes_total == total && counts.last_bytes == total &&
              counts.files_total == 4 && counts.files_done == 4,
          "final progress %llu/%llu bytes, %llu/%llu files", (unsigned long long)counts.last_bytes,
          (unsigned long long)counts.bytes_total, (unsigned long long)counts.files_done,
          (unsigned long long)counts.files_total);
    CHECK(log_capture.request_lines >= 4, "debug log: %d request lines of %d", log_capture.request_lines,
          log_capture.lines);
    CHECK(log_capture.leaked == 0, "the log leaked a secret or a signature (%d lines)", log_capture.leaked);
    pthread_mutex_destroy(&log_capture.lock);
    tos_upload_dir_output_free(output);
    output = NULL;
    tos_error_free(error);
    error = NULL;
    log = tu_log();
    CHECK(tu_log_count(log, "PutObject", 200) == 3, "PutObject 200 x %d", tu_log_count(log, "PutObject", 200));
    CHECK(tu_log_count(log, "CompleteMultipartUpload", 200) == 1, "one multipart file");
    free(log);

    /* ---- a dangling symlink followed: some files failed, output AND error set ---- */
    memset(&counts, 0, sizeof counts);
    base_input(&input);
    input.follow_symlinks = true;
    input.continue_on_error = true;
    input.event_cb = on_event;
    input.event_user_data = &counts;
    rc = tos_upload_dir(client, &input, &output, &error);
    CHECK(rc == TOS_ERR_SOME_FILES_FAILED, "dangling followed: %s", tos_result_name(rc));
    CHECK(output != NULL, "no output with TOS_ERR_SOME_FILES_FAILED");
    CHECK(error != NULL && tos_error_result(error) == TOS_ERR_SOME_FILES_FAILED, "error object");
    if (error != NULL) {
        CHECK(strstr(tos_error_message(error), "dangling") != NULL, "message names the file: %s",
              tos_error_message(error));
        printf("ok  %-36s %-26s %s\n", "dangling symlink followed", tos_result_name(rc), tos_error_message(error));
    }
    CHECK(tos_upload_dir_output_failure_count(output) == 1, "failure_count %zu",
          tos_upload_dir_output_failure_count(output));
    CHECK(tos_upload_dir_output_files_uploaded(output) == 4, "the other files went up");
    if (tos_upload_dir_output_failure_count(output) == 1) {
        const tos_error *failure = tos_upload_dir_output_failure_error(output, 0);
        CHECK(strstr(tos_upload_dir_output_failure_path(output, 0), "/dangling") != NULL, "failure path %s",
              tos_upload_dir_output_failure_path(output, 0));
        CHECK(strcmp(tos_upload_dir_output_failure_key(output, 0), "dir-api/dangling") == 0, "failure key %s",
              tos_upload_dir_output_failure_key(output, 0));
        CHECK(failure != NULL && tos_error_result(failure) == TOS_ERR_FILE_NOT_FOUND, "failure error %s",
              failure ? tos_result_name(tos_error_result(failure)) : "NULL");
    }
    CHECK(counts.failed == 1 && counts.succeeded == 4, "events: failed %d succeeded %d", counts.failed,
          counts.succeeded);
    tos_upload_dir_output_free(output);
    tos_error_free(error);
    tos_upload_dir_output_free(NULL);

    /* ---- CRC-64 ---- */
    {
        const char *check = "123456789";
        uint64_t a = tos_crc64_update(0, check, 4);
        uint64_t b = tos_crc64_update(0, check + 4, 5);
        CHECK(tos_crc64_update(0, check, 9) == 0x995DC9BBDF1939FAULL, "crc64 check value");
        CHECK(tos_crc64_update(a, check + 4, 5) == 0x995DC9BBDF1939FAULL, "crc64 incremental");
        CHECK(tos_crc64_combine(a, b, 5) == 0x995DC9BBDF1939FAULL, "crc64 combine");
        CHECK(tos_crc64_update(42, NULL, 0) == 42, "crc64 of nothing");
    }

    tos_client_free(client);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0) {
        fprintf(stderr, "cleanup failed\n");
    }
    printf("test_upload_dir_api: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
