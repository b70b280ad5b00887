/*
 * `tosput put - tos://BUCKET/KEY`: standard input through tos_upload_stream. Parts are held
 * in memory until the server confirms them (about part size x (tasks + 1)), so piping in
 * something larger than memory works; nothing is resumable, so Ctrl-C (pause or abort)
 * deletes the multipart upload and exits with EXIT_ABORTED.
 */
#include "tosput.h"
#include "tosupload.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Reads of at most this much, so progress moves while a large part fills. */
#define STDIN_READ_MAX (1 << 20)
/* How often a read waiting for input looks whether Ctrl-C asked the upload to stop. */
#define STDIN_POLL_MS 100

struct stdin_source {
    int (*cancel_called)(void *arg);
    void *cancel_arg;
    int read_errno; /* the read(2) error that ended the stream, for the message */
};

static int64_t read_stdin(uint8_t *buf, size_t capacity, void *user_data) {
    struct stdin_source *source = user_data;
    size_t want = capacity < STDIN_READ_MAX ? capacity : STDIN_READ_MAX;
    for (;;) {
        struct pollfd fd = {STDIN_FILENO, POLLIN, 0};
        ssize_t n;
        /* A producer that sends nothing must not keep a cancelled upload waiting: an error
         * once tos_cancel was called makes it return TOS_ABORTED at once. */
        if (source->cancel_called(source->cancel_arg)) {
            return -1;
        }
        if (poll(&fd, 1, STDIN_POLL_MS) == 0) {
            continue;
        }
        n = read(STDIN_FILENO, buf, want);
        if (n >= 0) {
            return (int64_t)n;
        }
        if (errno != EINTR && errno != EAGAIN) {
            source->read_errno = errno;
            return -1;
        }
    }
}

static void on_stream_progress(const tos_upload_progress *progress, void *user_data) {
    /* The total is the bytes read so far, not a size to aim at: shown without a bar. */
    progress_update(user_data, progress->consumed_bytes, 0);
}

int tosput_put_stream(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
                      const tos_rate_limiter *limiter, int (*cancel_called)(void *arg), void *cancel_arg) {
    tos_upload_stream_input input;
    tos_upload_stream_output *output = NULL;
    tos_error *error = NULL;
    struct stdin_source source;
    struct progress progress;
    tos_result rc;
    int status;

    /* args.c has refused a prefix as the key, and the checkpoint options. */
    memset(&source, 0, sizeof source);
    source.cancel_called = cancel_called;
    source.cancel_arg = cancel_arg;
    progress_init(&progress, args->quiet, 0);
    progress.unknown_total = 1;
    tos_upload_stream_input_init(&input);
    input.bucket = args->bucket;
    input.key = args->key;
    input.read_cb = read_stdin;
    input.read_user_data = &source;
    input.part_size = args->part_size;
    input.task_num = args->tasks;
    input.cancel_hook = hook;
    input.rate_limiter = limiter;
    input.progress_cb = on_stream_progress;
    input.progress_user_data = &progress;
    rc = tos_upload_stream(client, &input, &output, &error);
    progress_finish(&progress);

    if (rc == TOS_ABORTED) {
        fprintf(stderr, "tosput: aborted: standard input cannot be resumed, so the multipart upload was deleted\n");
        status = EXIT_ABORTED;
    } else if (rc != TOS_OK) {
        tosput_print_error("upload of standard input failed", rc, error);
        if (source.read_errno != 0) {
            fprintf(stderr, "tosput:   reading standard input: %s\n", strerror(source.read_errno));
        }
        status = tosput_auth_failure(error, args) ? EXIT_CLIENT : EXIT_FAILED;
    } else {
        struct tosput_stored stored = {
            tos_upload_stream_output_bucket(output),     tos_upload_stream_output_key(output),
            tos_upload_stream_output_etag(output),       tos_upload_stream_output_upload_id(output),
            tos_upload_stream_output_location(output),   tos_upload_stream_output_version_id(output),
            tos_upload_stream_output_request_id(output), tos_upload_stream_output_crc64(output),
            tos_upload_stream_output_part_size(output),  tos_upload_stream_output_bytes_sent(output),
        };
        tosput_print_stored(&stored);
        status = EXIT_OK;
    }
    tos_upload_stream_output_free(output);
    tos_error_free(error);
    return status;
}
