/*
 * The one re-entrancy rule: from inside any callback of the library, every call that sends
 * requests or makes a client returns TOS_ERR_REENTRANT_CALL and does nothing, for every
 * callback of every call (file: progress, event, rate limiter; stream: read, progress, event;
 * folder: progress, event, rate limiter; the log callback). tos_pause and getters still work
 * there, and tos_client_free returns at once. Before 1.0 the folder callbacks let such calls
 * through (they are served outside the engine's runtime), which this test catches.
 */
#include "test_util.h"

#include <sys/stat.h>

enum site { FILE_PROGRESS, FILE_EVENT, FILE_RATE, STREAM_READ, STREAM_PROGRESS, STREAM_EVENT,
            DIR_PROGRESS, DIR_EVENT, DIR_RATE, LOG_LINE, SITES };
static const char *site_names[SITES] = {"file progress", "file event",      "file rate limiter",
                                        "stream read",   "stream progress", "stream event",
                                        "dir progress",  "dir event",       "dir rate limiter",
                                        "log line"};

static const tos_client *client;
static const char *bucket;
static char file_path[256];
static char dir_path[256];
static int probed[SITES];
static int refused[SITES]; /* calls that returned TOS_ERR_REENTRANT_CALL */
static const tos_client *spare_client;
static double spare_free_seconds = -1;

#define NESTED_CALLS 6

/* Each call that sends requests or makes a client, made from inside a callback. */
static void probe(enum site site) {
    tos_upload_file_input file;
    tos_upload_stream_input stream;
    tos_upload_dir_input dir;
    tos_list_multipart_uploads_input list;
    tos_abort_multipart_upload_input abort_input;
    tos_client_options options;
    tos_upload_file_output *file_out = NULL;
    tos_upload_stream_output *stream_out = NULL;
    tos_upload_dir_output *dir_out = NULL;
    tos_list_multipart_uploads_output *list_out = NULL;
    const tos_client *nested_client = NULL;
    tos_error *error = NULL;
    tos_result rc[NESTED_CALLS];
    int i;
    if (probed[site]++) {
        return;
    }
    tos_upload_file_input_init(&file);
    file.bucket = bucket;
    file.key = "reentrancy/nested.bin";
    file.file_path = file_path;
    rc[0] = tos_upload_file(client, &file, &file_out, &error);
    tos_error_free(error);
    error = NULL;
    tos_upload_stream_input_init(&stream);
    stream.bucket = bucket;
    stream.key = "reentrancy/nested-stream.bin";
    rc[1] = tos_upload_stream(client, &stream, &stream_out, NULL);
    tos_upload_dir_input_init(&dir);
    dir.bucket = bucket;
    dir.dir = dir_path;
    rc[2] = tos_upload_dir(client, &dir, &dir_out, NULL);
    tos_list_multipart_uploads_input_init(&list);
    list.bucket = bucket;
    rc[3] = tos_list_multipart_uploads(client, &list, &list_out, NULL);
    tos_abort_multipart_upload_input_init(&abort_input);
    abort_input.bucket = bucket;
    abort_input.key = "k";
    abort_input.upload_id = "id";
    rc[4] = tos_abort_multipart_upload(client, &abort_input, NULL);
    tos_client_options_init(&options);
    rc[5] = tos_client_new(&options, &nested_client, NULL);
    for (i = 0; i < NESTED_CALLS; i++) {
        refused[site] += rc[i] == TOS_ERR_REENTRANT_CALL;
        if (rc[i] != TOS_ERR_REENTRANT_CALL) {
            fprintf(stderr, "%s: nested call %d returned %s\n", site_names[site], i, tos_result_name(rc[i]));
        }
    }
    CHECK(file_out == NULL && stream_out == NULL && dir_out == NULL && list_out == NULL && nested_client == NULL,
          "%s: a refused call wrote its output", site_names[site]);
    if (site == FILE_PROGRESS && spare_client != NULL) {
        double start = tu_now();
        tos_client_free(spare_client); /* freed on a thread of its own */
        spare_free_seconds = tu_now() - start;
        spare_client = NULL;
    }
}

static void on_progress(const tos_upload_progress *progress, void *user_data) {
    (void)progress;
    probe(*(enum site *)user_data);
}

static void on_event(const tos_upload_event *event, void *user_data) {
    (void)event;
    probe(*(enum site *)user_data);
}

static int on_rate(uint64_t want, uint64_t *wait_ms_out, void *user_data) {
    (void)want;
    (void)wait_ms_out;
    probe(*(enum site *)user_data);
    return 1;
}

static void on_dir_progress(const tos_upload_dir_progress *progress, void *user_data) {
    (void)progress;
    probe(DIR_PROGRESS);
    (void)user_data;
}

static void on_dir_event(const tos_upload_dir_event *event, void *user_data) {
    (void)event;
    probe(DIR_EVENT);
    (void)user_data;
}

static int64_t read_once(uint8_t *buf, size_t capacity, void *user_data) {
    int *left = user_data;
    probe(STREAM_READ);
    if (*left == 0) {
        return 0;
    }
    *left = 0;
    memset(buf, 'r', capacity < 1000 ? capacity : 1000);
    return capacity < 1000 ? (int64_t)capacity : 1000;
}

static void on_log(uint32_t level, const char *message, void *user_data) {
    (void)level;
    (void)message;
    (void)user_data;
    probe(LOG_LINE);
}

int main(void) {
    static enum site sites[SITES] = {FILE_PROGRESS, FILE_EVENT, FILE_RATE, STREAM_READ, STREAM_PROGRESS,
                                     STREAM_EVENT, DIR_PROGRESS, DIR_EVENT, DIR_RATE, LOG_LINE};
    tos_upload_file_input file;
    tos_upload_stream_input stream;
    tos_upload_dir_input dir;
    tos_upload_file_output *file_out = NULL;
    tos_upload_stream_output *stream_out = NULL;
    tos_upload_dir_output *dir_out = NULL;
    tos_error *error = NULL;
    char small_path[300];
    int stream_left = 1, i;
    tos_result rc;

    client = tu_client();
    spare_client = tu_client();
    bucket = tu_env("TOS_TEST_BUCKET");
    snprintf(file_path, sizeof file_path, "/tmp/tos-reentrancy-%d.bin", (int)getpid());
    snprintf(dir_path, sizeof dir_path, "/tmp/tos-reentrancy-%d", (int)getpid());
    snprintf(small_path, sizeof small_path, "%s/small.txt", dir_path);
    CHECK(tu_make_file(file_path, 6 * 1024 * 1024) == 0, "test file");
    CHECK(mkdir(dir_path, 0700) == 0 && tu_make_file(small_path, 1000) == 0, "test folder");

    tos_set_log_callback(on_log, TOS_LOG_LEVEL_DEBUG, NULL);
    tos_upload_file_input_init(&file);
    file.bucket = bucket;
    file.key = "reentrancy/file.bin";
    file.file_path = file_path;
    file.part_size = 5 * 1024 * 1024;
    file.disable_checkpoint = true;
    file.progress_cb = on_progress;
    file.progress_user_data = &sites[FILE_PROGRESS];
    file.event_cb = on_event;
    file.event_user_data = &sites[FILE_EVENT];
    file.rate_limiter_cb = on_rate;
    file.rate_limiter_user_data = &sites[FILE_RATE];
    rc = tos_upload_file(client, &file, &file_out, &error);
    CHECK(rc == TOS_OK, "file upload: %s %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    tos_set_log_callback(NULL, 0, NULL);

    tos_upload_stream_input_init(&stream);
    stream.bucket = bucket;
    stream.key = "reentrancy/stream.bin";
    stream.read_cb = read_once;
    stream.read_user_data = &stream_left;
    stream.progress_cb = on_progress;
    stream.progress_user_data = &sites[STREAM_PROGRESS];
    stream.event_cb = on_event;
    stream.event_user_data = &sites[STREAM_EVENT];
    rc = tos_upload_stream(client, &stream, &stream_out, NULL);
    CHECK(rc == TOS_OK, "stream upload: %s", tos_result_name(rc));

    tos_upload_dir_input_init(&dir);
    dir.bucket = bucket;
    dir.prefix = "reentrancy/dir/";
    dir.dir = dir_path;
    dir.progress_cb = on_dir_progress;
    dir.event_cb = on_dir_event;
    dir.rate_limiter_cb = on_rate;
    dir.rate_limiter_user_data = &sites[DIR_RATE];
    rc = tos_upload_dir(client, &dir, &dir_out, NULL);
    CHECK(rc == TOS_OK, "folder upload: %s", tos_result_name(rc));

    for (i = 0; i < SITES; i++) {
        if (i == STREAM_EVENT) {
            continue; /* a short stream is one PutObject: no event to probe from */
        }
        CHECK(probed[i] > 0, "%s: the callback never ran", site_names[i]);
        CHECK(refused[i] == NESTED_CALLS, "%s: %d of %d nested calls refused with TOS_ERR_REENTRANT_CALL",
              site_names[i], refused[i], NESTED_CALLS);
    }
    CHECK(spare_free_seconds >= 0 && spare_free_seconds < 0.1, "tos_client_free inside a callback took %.3f s",
          spare_free_seconds);

    tos_error_free(error);
    tos_upload_file_output_free(file_out);
    tos_upload_stream_output_free(stream_out);
    tos_upload_dir_output_free(dir_out);
    tos_client_free(client);
    unlink(small_path);
    rmdir(dir_path);
    unlink(file_path);
    printf("test_reentrancy: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
