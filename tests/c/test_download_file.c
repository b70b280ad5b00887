/*
 * tos_download_file through the C API, against the local server:
 *
 *   - bad input is refused before any request (the server's log stays empty) with its code,
 *     and nothing appears at the destination;
 *   - a download of several ranges is byte-exact, and its output getters agree with the file;
 *   - a pause from the progress callback after the first range returns TOS_PAUSED with nothing
 *     at the destination; the same call then resumes and fetches no finished range again;
 *   - an abort returns TOS_ABORTED and removes the temporary file and the checkpoint;
 *   - a connection reset in the middle of a range's body is retried: still byte-exact;
 *   - an object replaced during the download (by another thread, while the rate limiter
 *     callback holds the second range) fails it with TOS_ERR_OBJECT_CHANGED, leaving nothing;
 *   - tos_download_file from inside an upload's callback is TOS_ERR_REENTRANT_CALL.
 */
#include "test_util.h"

#include <dirent.h>
#include <pthread.h>

#define MIB (1024ULL * 1024)
#define RANGE_SIZE (5 * MIB)

static const tos_client *client;
static const char *bucket;
static char work_dir[] = "/tmp/tos-test-download-XXXXXX";

/* ---- files ------------------------------------------------------------------------------- */

static void path_in(char *out, size_t len, const char *name) {
    snprintf(out, len, "%s/%s", work_dir, name);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Entries of `dir` other than . and ..; -1 when it cannot be read. */
static int entry_count(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *entry;
    int count = 0;
    if (d == NULL) {
        return -1;
    }
    while ((entry = readdir(d)) != NULL) {
        count += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
    }
    closedir(d);
    return count;
}

/* Removes the files in `dir` (flat: the tests make no subdirectories in them) and `dir`. */
static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *entry;
    char path[512];
    if (d == NULL) {
        return;
    }
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

static uint64_t file_crc64(const char *path) {
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 16];
    uint64_t crc = 0;
    size_t n;
    if (f == NULL) {
        return 0;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crc = tos_crc64_update(crc, buf, n);
    }
    fclose(f);
    return crc;
}

/* A file of `size` bytes that differs from every other one made with another `seed`. */
static void make_seeded_file(const char *path, uint64_t size, unsigned seed) {
    FILE *f;
    if (tu_make_file(path, size) != 0 || (f = fopen(path, "r+b")) == NULL) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fprintf(f, "seed %u", seed); /* the pattern's first bytes, so two seeds never match */
    fclose(f);
}

/* ---- the server ---------------------------------------------------------------------------- */

static tos_result upload_with(const tos_client *with, const char *key, const char *file) {
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = key;
    input.file_path = file;
    input.part_size = RANGE_SIZE;
    input.disable_checkpoint = true;
    rc = tos_upload_file(with, &input, &output, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "upload of %s: %s: %s\n", key, tos_result_name(rc), tos_error_message(error));
    }
    tos_upload_file_output_free(output);
    tos_error_free(error);
    return rc;
}

static void upload(const char *key, const char *file) {
    if (upload_with(client, key, file) != TOS_OK) {
        exit(1);
    }
}

/* GetObject entries in the server's log asking for `range` ("bytes=S-E"). */
static int gets_of_range(const char *log, const char *range) {
    int count = 0;
    const char *p = log;
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (end == NULL) {
            break;
        }
        count += tu_json_str_is(p, end, "op", "GetObject") && tu_json_str_is(p, end, "range", range);
        p = end + 1;
    }
    return count;
}

/* Sum of response_bytes of the GetObject entries. */
static uint64_t bytes_served(const char *log) {
    uint64_t total = 0;
    const char *p = log;
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        long bytes;
        if (end == NULL) {
            break;
        }
        bytes = tu_json_int(p, end, "response_bytes");
        if (tu_json_str_is(p, end, "op", "GetObject") && bytes > 0) {
            total += (uint64_t)bytes;
        }
        p = end + 1;
    }
    return total;
}

/* ---- what the callbacks saw ------------------------------------------------------------------ */

#define MAX_RANGES 16

struct observed {
    const tos_cancel_hook *hook;
    int pause_after_first; /* tos_pause from the progress callback once a range is done */
    int abort_after_first; /* tos_abort from the event callback after the first range */
    uint64_t bytes_asked; /* by the rate limiter callback */
    int cancelled;
    int ranges_done, retries, resumed;
    uint64_t done_start[MAX_RANGES], done_end[MAX_RANGES];
    uint64_t last_consumed;
    int progress_went_back, succeeded_calls;
    char temp_file[512], checkpoint_file[512];
};

static void *replace_object(void *arg);

static void on_progress(const tos_download_progress *progress, void *user_data) {
    struct observed *seen = user_data;
    if (progress->consumed_bytes < seen->last_consumed) {
        seen->progress_went_back = 1;
    }
    seen->last_consumed = progress->consumed_bytes;
    seen->succeeded_calls += progress->kind == TOS_DOWNLOAD_PROGRESS_KIND_SUCCEEDED;
    if (seen->pause_after_first && seen->ranges_done > 0 && !seen->cancelled) {
        CHECK(tos_pause(seen->hook) == TOS_OK, "tos_pause from the progress callback");
        seen->cancelled = 1;
    }
}

static void on_event(const tos_download_event *event, void *user_data) {
    struct observed *seen = user_data;
    if (event->temp_file != NULL) {
        snprintf(seen->temp_file, sizeof seen->temp_file, "%s", event->temp_file);
    }
    if (event->checkpoint_file != NULL) {
        snprintf(seen->checkpoint_file, sizeof seen->checkpoint_file, "%s", event->checkpoint_file);
    }
    seen->retries += event->kind == TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_RETRY;
    seen->resumed += event->kind == TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_RESUMED;
    if (event->kind != TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_SUCCEEDED || !event->has_part) {
        return;
    }
    if (seen->ranges_done < MAX_RANGES) {
        seen->done_start[seen->ranges_done] = event->part.range_start;
        seen->done_end[seen->ranges_done] = event->part.range_end;
    }
    seen->ranges_done++;
    if (seen->abort_after_first && !seen->cancelled) {
        CHECK(tos_abort(seen->hook) == TOS_OK, "tos_abort from the event callback");
        seen->cancelled = 1;
    }
}

/* The download's rate limiter: once the first range's bytes have all been asked for, the
 * object is replaced. The limiter is asked before each chunk of a range is written, on the
 * calling thread, so with one range at a time the second range's GET is then under way and
 * no later range has been asked for: they are all asked for after the replacement, whatever
 * the timing (events, in contrast, may reach the callback after several more ranges). Calls
 * that send requests are refused in a callback, so another thread, with its own client,
 * replaces the object; the callback waits for it. */
static int replace_during_second_range(uint64_t want, uint64_t *wait_ms_out, void *user_data) {
    struct observed *seen = user_data;
    (void)wait_ms_out;
    if (seen->bytes_asked >= RANGE_SIZE && !seen->cancelled) {
        pthread_t writer;
        seen->cancelled = 1;
        CHECK(pthread_create(&writer, NULL, replace_object, NULL) == 0, "pthread_create");
        pthread_join(writer, NULL);
    }
    seen->bytes_asked += want;
    return 1;
}

static char replaced_key[] = "download/changed.bin";

static void *replace_object(void *arg) {
    const tos_client *other = tu_client();
    char file[512];
    (void)arg;
    path_in(file, sizeof file, "replacement.bin");
    make_seeded_file(file, 18 * MIB, 2);
    CHECK(upload_with(other, replaced_key, file) == TOS_OK, "overwriting from another thread");
    unlink(file);
    tos_client_free(other);
    return NULL;
}

static void init_input(tos_download_file_input *input, const char *key, const char *destination,
                       struct observed *seen) {
    tos_download_file_input_init(input);
    input->bucket = bucket;
    input->key = key;
    input->file_path = destination;
    input->part_size = RANGE_SIZE;
    input->progress_cb = on_progress;
    input->progress_user_data = seen;
    input->event_cb = on_event;
    input->event_user_data = seen;
    input->cancel_hook = seen->hook;
}

/* ---- the cases ------------------------------------------------------------------------------ */

static void expect_refused(const char *what, const tos_client *with, const tos_download_file_input *input,
                           int pass_output, tos_result expected) {
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_download_file(with, input, pass_output ? &output : NULL, &error);
    CHECK(rc == expected, "%s: got %s, expected %s (%s)", what, tos_result_name(rc), tos_result_name(expected),
          error ? tos_error_message(error) : "no error");
    CHECK(output == NULL, "%s: no output on failure", what);
    CHECK(error != NULL && tos_error_result(error) == rc, "%s: the error carries the code", what);
    tos_download_file_output_free(output);
    tos_error_free(error);
}

static void test_bad_input(void) {
    tos_download_file_input input;
    char destination[512], dir[512];
    char *log;
    path_in(dir, sizeof dir, "bad");
    mkdir(dir, 0700);
    path_in(destination, sizeof destination, "bad/out.bin");
    tu_clear_log();

#define FRESH() init_input(&input, "download/any.bin", destination, &(struct observed){0})
    FRESH();
    expect_refused("client NULL", NULL, &input, 1, TOS_ERR_NULL_ARGUMENT);
    expect_refused("input NULL", client, NULL, 1, TOS_ERR_NULL_ARGUMENT);
    expect_refused("output_out NULL", client, &input, 0, TOS_ERR_NULL_ARGUMENT);
    FRESH();
    input.bucket = NULL;
    expect_refused("bucket NULL", client, &input, 1, TOS_ERR_NULL_ARGUMENT);
    FRESH();
    input.key = NULL;
    expect_refused("key NULL", client, &input, 1, TOS_ERR_NULL_ARGUMENT);
    FRESH();
    input.file_path = NULL;
    expect_refused("file_path NULL", client, &input, 1, TOS_ERR_NULL_ARGUMENT);
    FRESH();
    input.struct_size = 0;
    expect_refused("struct_size 0", client, &input, 1, TOS_ERR_STRUCT_SIZE);
    FRESH();
    input.struct_size = sizeof(size_t) + 1; /* smaller than any version of the struct */
    expect_refused("struct_size too small", client, &input, 1, TOS_ERR_STRUCT_SIZE);
    FRESH();
    input.task_num = 1001;
    expect_refused("task_num 1001", client, &input, 1, TOS_ERR_INVALID_ARGUMENT);
    FRESH();
    input.part_size = 5 * MIB - 1;
    expect_refused("part_size below 5 MiB", client, &input, 1, TOS_ERR_INVALID_PART_SIZE);
    FRESH();
    input.part_size = 5 * 1024 * MIB + 1;
    expect_refused("part_size above 5 GiB", client, &input, 1, TOS_ERR_INVALID_PART_SIZE);
    FRESH();
    input.key = "../x";
    expect_refused("key ../x", client, &input, 1, TOS_ERR_INVALID_KEY);
    FRESH();
    input.key = "a/..";
    expect_refused("key a/..", client, &input, 1, TOS_ERR_INVALID_KEY);
    FRESH();
    input.key = "";
    expect_refused("empty key", client, &input, 1, TOS_ERR_INVALID_KEY);
#undef FRESH

    log = tu_log();
    CHECK(tu_log_entries(log) == 0, "bad input sent no request, the log has: %s", log);
    free(log);
    CHECK(entry_count(dir) == 0, "bad input left nothing in %s", dir);
    remove_dir(dir);
}

static void test_multi_range(void) {
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct observed seen;
    char source[512], destination[512];
    uint64_t size = 23 * MIB + 12345; /* 5 ranges, the last one short */
    tos_result rc;
    char *log;

    path_in(source, sizeof source, "multi-source.bin");
    path_in(destination, sizeof destination, "multi.bin");
    make_seeded_file(source, size, 1);
    upload("download/multi.bin", source);
    tu_clear_log();
    memset(&seen, 0, sizeof seen);
    init_input(&input, "download/multi.bin", destination, &seen);
    input.task_num = 3;
    rc = tos_download_file(client, &input, &output, &error);
    CHECK(rc == TOS_OK, "multi-range download: %s: %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    if (rc == TOS_OK) {
        CHECK(tu_same_bytes(source, destination), "the download is byte-exact");
        CHECK(tos_download_file_output_size(output) == size, "size %llu",
              (unsigned long long)tos_download_file_output_size(output));
        CHECK(tos_download_file_output_bytes_received(output) == size, "bytes_received %llu",
              (unsigned long long)tos_download_file_output_bytes_received(output));
        CHECK(tos_download_file_output_has_crc64(output), "the server's CRC-64 was checked");
        CHECK(tos_download_file_output_crc64(output) == file_crc64(destination), "crc64 is the file's");
        CHECK(strcmp(tos_download_file_output_file_path(output), destination) == 0, "file_path %s",
              tos_download_file_output_file_path(output));
        CHECK(strcmp(tos_download_file_output_key(output), "download/multi.bin") == 0, "key");
        CHECK(strcmp(tos_download_file_output_bucket(output), bucket) == 0, "bucket");
        CHECK(tos_download_file_output_etag(output)[0] == '"', "a quoted etag: %s",
              tos_download_file_output_etag(output));
    }
    CHECK(seen.ranges_done == 5, "5 range events, got %d", seen.ranges_done);
    CHECK(!seen.progress_went_back && seen.last_consumed == size && seen.succeeded_calls == 1,
          "progress rose to the size and succeeded once");
    CHECK(seen.checkpoint_file[0] != '\0' && !exists(seen.checkpoint_file), "the checkpoint is gone after success");
    log = tu_log();
    CHECK(tu_log_count(log, "GetObject", 206) == 5, "5 ranged GETs answered 206: %s", log);
    CHECK(bytes_served(log) == size, "the server sent the object once (%llu bytes)",
          (unsigned long long)bytes_served(log));
    free(log);
    tos_download_file_output_free(output);
    tos_error_free(error);
    unlink(source);
    unlink(destination);
}

static void test_pause_resume(void) {
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct observed first, second;
    char source[512], destination[512], range[64];
    uint64_t size = 18 * MIB; /* 4 ranges */
    tos_result rc;
    char *log;
    int i, refetched = 0;

    path_in(source, sizeof source, "pause-source.bin");
    path_in(destination, sizeof destination, "paused.bin");
    make_seeded_file(source, size, 3);
    upload("download/paused.bin", source);

    memset(&first, 0, sizeof first);
    first.hook = tos_cancel_hook_new();
    first.pause_after_first = 1;
    init_input(&input, "download/paused.bin", destination, &first);
    input.task_num = 1; /* one range at a time, so most are still to fetch at the pause */
    rc = tos_download_file(client, &input, &output, &error);
    CHECK(rc == TOS_PAUSED, "paused: got %s", tos_result_name(rc));
    CHECK(output == NULL, "no output after a pause");
    CHECK(!exists(destination), "nothing at the destination after a pause");
    CHECK(first.ranges_done >= 1 && first.ranges_done < 4, "%d of 4 ranges before the pause", first.ranges_done);
    CHECK(first.temp_file[0] != '\0' && exists(first.temp_file), "the temporary file is kept");
    CHECK(first.checkpoint_file[0] != '\0' && exists(first.checkpoint_file), "the checkpoint is kept");
    tos_error_free(error);
    error = NULL;
    tos_cancel_hook_free(first.hook);

    /* The same call again (a hook is pulled for good once paused: a fresh one). */
    tu_clear_log();
    memset(&second, 0, sizeof second);
    second.hook = tos_cancel_hook_new();
    init_input(&input, "download/paused.bin", destination, &second);
    input.task_num = 1;
    rc = tos_download_file(client, &input, &output, &error);
    CHECK(rc == TOS_OK, "resumed: %s: %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    CHECK(second.resumed == 1, "a DOWNLOAD_RESUMED event");
    if (rc == TOS_OK) {
        CHECK(tu_same_bytes(source, destination), "the resumed download is byte-exact");
        CHECK(tos_download_file_output_bytes_received(output) + (uint64_t)first.ranges_done * RANGE_SIZE == size,
              "bytes_received %llu leaves out the %d kept ranges",
              (unsigned long long)tos_download_file_output_bytes_received(output), first.ranges_done);
    }
    log = tu_log();
    for (i = 0; i < first.ranges_done && i < MAX_RANGES; i++) {
        snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)first.done_start[i],
                 (unsigned long long)first.done_end[i]);
        refetched += gets_of_range(log, range);
    }
    CHECK(refetched == 0, "no range finished before the pause was fetched again: %s", log);
    CHECK(bytes_served(log) < size, "the resume fetched less than the object (%llu bytes)",
          (unsigned long long)bytes_served(log));
    free(log);
    CHECK(!exists(first.temp_file) && !exists(first.checkpoint_file), "temp and checkpoint gone after success");
    tos_download_file_output_free(output);
    tos_error_free(error);
    tos_cancel_hook_free(second.hook);
    unlink(source);
    unlink(destination);
}

static void test_abort(void) {
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct observed seen;
    char source[512], dir[512], destination[512];
    tos_result rc;

    path_in(source, sizeof source, "abort-source.bin");
    path_in(dir, sizeof dir, "abort");
    mkdir(dir, 0700);
    path_in(destination, sizeof destination, "abort/aborted.bin");
    make_seeded_file(source, 18 * MIB, 4);
    upload("download/aborted.bin", source);
    memset(&seen, 0, sizeof seen);
    seen.hook = tos_cancel_hook_new();
    seen.abort_after_first = 1;
    init_input(&input, "download/aborted.bin", destination, &seen);
    input.task_num = 1;
    rc = tos_download_file(client, &input, &output, &error);
    CHECK(rc == TOS_ABORTED, "aborted: got %s", tos_result_name(rc));
    CHECK(seen.temp_file[0] != '\0' && !exists(seen.temp_file), "the temporary file is removed");
    CHECK(seen.checkpoint_file[0] != '\0' && !exists(seen.checkpoint_file), "the checkpoint is removed");
    CHECK(entry_count(dir) == 0, "nothing left in the destination's directory (%d entries)", entry_count(dir));
    tos_download_file_output_free(output);
    tos_error_free(error);
    tos_cancel_hook_free(seen.hook);
    unlink(source);
    remove_dir(dir);
}

static void test_reset_mid_range(void) {
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct observed seen;
    char source[512], destination[512];
    tos_result rc;
    char *log;

    path_in(source, sizeof source, "reset-source.bin");
    path_in(destination, sizeof destination, "reset.bin");
    make_seeded_file(source, 12 * MIB, 5);
    upload("download/reset.bin", source);
    tu_clear_log();
    /* The first range's body is cut by a reset after 1 MB: the retry asks for the rest. */
    tu_add_fault("{\"op\":\"GetObject\",\"key\":\"download/reset.bin\",\"times\":1,"
                 "\"action\":{\"kind\":\"reset_response\",\"after_bytes\":1000000}}");
    memset(&seen, 0, sizeof seen);
    init_input(&input, "download/reset.bin", destination, &seen);
    input.task_num = 1;
    rc = tos_download_file(client, &input, &output, &error);
    tu_clear_faults();
    CHECK(rc == TOS_OK, "download through a reset: %s: %s", tos_result_name(rc),
          error ? tos_error_message(error) : "");
    CHECK(rc == TOS_OK && tu_same_bytes(source, destination), "byte-exact after the reset");
    CHECK(seen.retries == 1, "one retry event, got %d", seen.retries);
    log = tu_log();
    CHECK(strstr(log, "reset_response") != NULL, "the fault was served: %s", log);
    CHECK(bytes_served(log) == 12 * MIB, "the retry asked only for the rest (%llu bytes served)",
          (unsigned long long)bytes_served(log));
    free(log);
    tos_download_file_output_free(output);
    tos_error_free(error);
    unlink(source);
    unlink(destination);
}

static void test_object_changed(void) {
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct observed seen;
    char source[512], dir[512], destination[512];
    tos_result rc;

    path_in(source, sizeof source, "changed-source.bin");
    path_in(dir, sizeof dir, "changed");
    mkdir(dir, 0700);
    path_in(destination, sizeof destination, "changed/changed.bin");
    make_seeded_file(source, 18 * MIB, 6);
    upload(replaced_key, source);
    tu_clear_log();
    memset(&seen, 0, sizeof seen);
    init_input(&input, replaced_key, destination, &seen);
    input.task_num = 1;
    input.rate_limiter_cb = replace_during_second_range;
    input.rate_limiter_user_data = &seen;
    rc = tos_download_file(client, &input, &output, &error);
    CHECK(rc == TOS_ERR_OBJECT_CHANGED, "object replaced: got %s: %s", tos_result_name(rc),
          error ? tos_error_message(error) : "");
    if (rc != TOS_ERR_OBJECT_CHANGED) {
        char *log = tu_log();
        fprintf(stderr, "the server's log: %s\n%d range events\n", log, seen.ranges_done);
        free(log);
    }
    CHECK(!exists(destination), "nothing at the destination");
    CHECK(entry_count(dir) == 0, "temp and checkpoint removed (%d entries left)", entry_count(dir));
    tos_download_file_output_free(output);
    tos_error_free(error);
    unlink(source);
    remove_dir(dir);
}

/* ---- re-entrancy ---------------------------------------------------------------------------- */

static tos_result nested_result = TOS_OK;
static int nested_calls = 0;

static void download_from_upload_callback(const tos_upload_progress *progress, void *user_data) {
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    char destination[512];
    (void)progress;
    (void)user_data;
    if (nested_calls++) {
        return;
    }
    path_in(destination, sizeof destination, "nested.bin");
    tos_download_file_input_init(&input);
    input.bucket = bucket;
    input.key = "download/multi.bin";
    input.file_path = destination;
    nested_result = tos_download_file(client, &input, &output, NULL);
    tos_download_file_output_free(output);
}

static void test_reentrant(void) {
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    char source[512], destination[512];
    tos_result rc;
    path_in(source, sizeof source, "nested-source.bin");
    path_in(destination, sizeof destination, "nested.bin");
    make_seeded_file(source, 1 * MIB, 7);
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = "download/nested-upload.bin";
    input.file_path = source;
    input.disable_checkpoint = true;
    input.progress_cb = download_from_upload_callback;
    rc = tos_upload_file(client, &input, &output, NULL);
    CHECK(rc == TOS_OK, "the upload around the nested call: %s", tos_result_name(rc));
    CHECK(nested_calls > 0 && nested_result == TOS_ERR_REENTRANT_CALL,
          "tos_download_file in an upload callback: got %s", tos_result_name(nested_result));
    CHECK(!exists(destination), "the refused download wrote nothing");
    tos_upload_file_output_free(output);
    unlink(source);
}

int main(void) {
    bucket = tu_env("TOS_TEST_BUCKET");
    if (mkdtemp(work_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    client = tu_client();
    test_bad_input();
    test_multi_range();
    test_pause_resume();
    test_abort();
    test_reset_mid_range();
    test_object_changed();
    test_reentrant();
    tos_client_free(client);
    remove_dir(work_dir);
    if (tu_failures) {
        fprintf(stderr, "test_download_file: %d failures\n", tu_failures);
        return 1;
    }
    printf("test_download_file: all checks passed\n");
    return 0;
}
