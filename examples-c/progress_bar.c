/*
 * progress_bar: a text progress bar drawn from the progress callback.
 *
 *   progress_bar [FILE]
 *
 * Environment as in upload_file.c. Without FILE it uploads a 40 MiB file it makes itself.
 * Exits 0 when the upload completed and the progress reached exactly the file's size.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct progress_state {
    unsigned long long last_consumed;
    unsigned long long total;
    int calls;
    int started;
    int succeeded;
    int went_backwards;
};

/* Runs on the thread that called tos_upload_file, one call at a time: no locking needed. */
static void on_progress(const tos_upload_progress *progress, void *user_data) {
    struct progress_state *state = user_data;
    const int width = 40;
    int filled, i;
    double fraction;

    state->calls++;
    if (progress->kind == TOS_UPLOAD_PROGRESS_KIND_STARTED) {
        state->started = 1;
    } else if (progress->kind == TOS_UPLOAD_PROGRESS_KIND_SUCCEEDED) {
        state->succeeded = 1;
    }
    if (progress->consumed_bytes < state->last_consumed) {
        state->went_backwards = 1;
    }
    state->last_consumed = progress->consumed_bytes;
    state->total = progress->total_bytes;

    fraction = progress->total_bytes ? (double)progress->consumed_bytes / (double)progress->total_bytes : 1.0;
    filled = (int)(fraction * width);
    fprintf(stderr, "\r[");
    for (i = 0; i < width; i++) {
        fputc(i < filled ? '#' : '.', stderr);
    }
    fprintf(stderr, "] %5.1f%% %llu/%llu bytes", fraction * 100.0, (unsigned long long)progress->consumed_bytes,
            (unsigned long long)progress->total_bytes);
    if (progress->kind == TOS_UPLOAD_PROGRESS_KIND_SUCCEEDED || progress->kind == TOS_UPLOAD_PROGRESS_KIND_FAILED) {
        fputc('\n', stderr);
    }
}

static int make_file(const char *path, long size) {
    FILE *f = fopen(path, "wb");
    long i;
    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < size; i++) {
        fputc((int)((i ^ (i >> 11)) & 0xff), f);
    }
    return fclose(f);
}

int main(int argc, char **argv) {
    const char *bucket = getenv("TOS_TEST_BUCKET");
    char tmpdir[] = "/tmp/tos-progress-XXXXXX";
    char made[64] = "";
    const char *file = argc > 1 ? argv[1] : NULL;
    tos_client_options options;
    tos_upload_file_input input;
    const tos_client *client = NULL;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct progress_state state;
    tos_result rc;
    int status = 1;

    if (bucket == NULL) {
        fprintf(stderr, "set TOS_TEST_BUCKET and the TOS_* connection variables\n");
        return 1;
    }
    if (file == NULL) {
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(made, sizeof made, "%s/data.bin", tmpdir);
        if (make_file(made, 40L * 1024 * 1024) != 0) {
            perror("writing the test file");
            return 1;
        }
        file = made;
    }
    memset(&state, 0, sizeof state);
    tos_client_options_init(&options); /* everything from the TOS_* environment */
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = "examples/progress_bar.bin";
    input.file_path = file;
    input.part_size = 5 * 1024 * 1024;
    input.task_num = 3;
    input.disable_checkpoint = true;
    input.progress_cb = on_progress;
    input.progress_user_data = &state;
    rc = tos_upload_file(client, &input, &output, &error);
    tos_upload_file_output_free(output);
    if (rc != TOS_OK) {
        fprintf(stderr, "\nupload failed: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    if (!state.started || !state.succeeded || state.went_backwards || state.last_consumed != state.total) {
        fprintf(stderr, "inconsistent progress: started %d succeeded %d backwards %d %llu/%llu\n", state.started,
                state.succeeded, state.went_backwards, state.last_consumed, state.total);
        goto out;
    }
    printf("done: %d progress calls\n", state.calls);
    status = 0;
out:
    tos_error_free(error);
    tos_client_free(client);
    if (made[0] != '\0') {
        unlink(made);
        rmdir(tmpdir);
    }
    return status;
}
