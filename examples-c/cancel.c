/*
 * cancel: pause an upload and resume it, then abort another.
 *
 *   cancel
 *
 * 1. Uploads a 40 MiB file in 5 MiB parts and pauses it from inside the event callback
 *    once 2 parts are done: tos_upload_file returns TOS_PAUSED and the checkpoint file
 *    stays. The same call again resumes it to completion, sending only what was missing.
 * 2. Uploads it again under another key and aborts after the first part: TOS_ABORTED, and
 *    the checkpoint file is gone.
 * Environment as in upload_file.c. Exits 0 on success.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct watcher {
    const tos_cancel_hook *hook;
    int stop_after_parts;
    int is_abort;
    int parts;
    char checkpoint[4096]; /* copied: the event's pointers die with the callback */
};

static void on_event(const tos_upload_event *event, void *user_data) {
    struct watcher *w = user_data;
    if (event->checkpoint_file != NULL && w->checkpoint[0] == '\0') {
        snprintf(w->checkpoint, sizeof w->checkpoint, "%s", event->checkpoint_file);
    }
    if (event->kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
        w->parts++;
        if (w->stop_after_parts > 0 && w->parts == w->stop_after_parts) {
            /* tos_pause and tos_abort are allowed inside a callback. */
            printf("%s after %d parts\n", w->is_abort ? "aborting" : "pausing", w->parts);
            if (w->is_abort) {
                tos_abort(w->hook);
            } else {
                tos_pause(w->hook);
            }
        }
    }
}

static int make_file(const char *path, long size) {
    FILE *f = fopen(path, "wb");
    long i;
    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < size; i++) {
        fputc((int)((i * 17 + (i >> 12)) & 0xff), f);
    }
    return fclose(f);
}

/* Uploads FILE as KEY; the output, on success, goes to *output (or is freed when output is
 * NULL: the result pointer of tos_upload_file itself is required). */
static tos_result upload(const tos_client *client, const char *file, const char *key, struct watcher *w,
                         tos_upload_file_output **output) {
    tos_upload_file_input input;
    tos_upload_file_output *made = NULL;
    tos_error *error = NULL;
    tos_result rc;
    tos_upload_file_input_init(&input); /* checkpointing on */
    input.bucket = getenv("TOS_TEST_BUCKET");
    input.key = key;
    input.file_path = file;
    input.part_size = 5 * 1024 * 1024;
    input.task_num = 1; /* one part at a time, so "after 2 parts" is exact */
    input.event_cb = on_event;
    input.event_user_data = w;
    input.cancel_hook = w->hook;
    rc = tos_upload_file(client, &input, &made, &error);
    printf("tos_upload_file(%s): %s%s%s\n", key, tos_result_name(rc), error ? ": " : "",
           error ? tos_error_message(error) : "");
    tos_error_free(error);
    if (output != NULL) {
        *output = made;
    } else {
        tos_upload_file_output_free(made);
    }
    return rc;
}

int main(void) {
    char tmpdir[] = "/tmp/tos-cancel-XXXXXX";
    char file[64];
    const long size = 40L * 1024 * 1024;
    const tos_client *client = NULL;
    tos_client_options options;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct watcher w;
    char paused_checkpoint[sizeof w.checkpoint];
    tos_result rc;
    int status = 1;

    if (getenv("TOS_TEST_BUCKET") == NULL) {
        fprintf(stderr, "set TOS_TEST_BUCKET and the TOS_* connection variables\n");
        return 1;
    }
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(file, sizeof file, "%s/data.bin", tmpdir);
    if (make_file(file, size) != 0) {
        perror("writing the test file");
        return 1;
    }
    tos_client_options_init(&options);
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        tos_error_free(error);
        return 1;
    }

    /* 1. pause after 2 parts, then resume */
    memset(&w, 0, sizeof w);
    w.hook = tos_cancel_hook_new();
    w.stop_after_parts = 2;
    rc = upload(client, file, "examples/cancel_pause.bin", &w, NULL);
    tos_cancel_hook_free(w.hook);
    if (rc != TOS_PAUSED) {
        fprintf(stderr, "expected TOS_PAUSED\n");
        goto out;
    }
    if (w.checkpoint[0] == '\0' || access(w.checkpoint, F_OK) != 0) {
        fprintf(stderr, "the checkpoint file '%s' should exist after a pause\n", w.checkpoint);
        goto out;
    }
    printf("paused; checkpoint %s kept\n", w.checkpoint);
    /* The resume may name no checkpoint in its events: the paused run's path is the one to
     * watch, since the same file and key resume from it. */
    snprintf(paused_checkpoint, sizeof paused_checkpoint, "%s", w.checkpoint);

    memset(&w, 0, sizeof w);
    w.hook = tos_cancel_hook_new();
    rc = upload(client, file, "examples/cancel_pause.bin", &w, &output);
    tos_cancel_hook_free(w.hook);
    if (rc != TOS_OK) {
        goto out;
    }
    printf("resumed: sent %llu of %ld bytes in this call\n", (unsigned long long)tos_upload_file_output_bytes_sent(output),
           size);
    if (tos_upload_file_output_bytes_sent(output) >= (uint64_t)size) {
        fprintf(stderr, "the resume sent the whole file again\n");
        goto out;
    }
    if (access(paused_checkpoint, F_OK) == 0) {
        fprintf(stderr, "the checkpoint '%s' should be removed after success\n", paused_checkpoint);
        goto out;
    }

    /* 2. abort after 1 part */
    memset(&w, 0, sizeof w);
    w.hook = tos_cancel_hook_new();
    w.stop_after_parts = 1;
    w.is_abort = 1;
    rc = upload(client, file, "examples/cancel_abort.bin", &w, NULL);
    tos_cancel_hook_free(w.hook);
    if (rc != TOS_ABORTED) {
        fprintf(stderr, "expected TOS_ABORTED\n");
        goto out;
    }
    /* Without a path from the events there would be nothing to check: that is a failure. */
    if (w.checkpoint[0] == '\0') {
        fprintf(stderr, "no event of the aborted upload named its checkpoint file\n");
        goto out;
    }
    if (access(w.checkpoint, F_OK) == 0) {
        fprintf(stderr, "the checkpoint '%s' should be deleted after an abort\n", w.checkpoint);
        goto out;
    }
    printf("aborted; checkpoint removed\n");
    status = 0;
out:
    tos_upload_file_output_free(output);
    tos_client_free(client);
    unlink(file);
    rmdir(tmpdir);
    return status;
}
