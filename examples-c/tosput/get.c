/*
 * `tosput get tos://BUCKET/KEY FILE`: one object to a local file through tos_download_file.
 * The library writes ranges into a temporary file beside FILE and renames it over FILE only
 * when the whole object is there and its CRC-64 matches the server's, so FILE never holds a
 * partial or mixed object. A pause (Ctrl-C) keeps the temporary file and the checkpoint, and
 * the same command resumes: ranges already written are checked against the disk and not
 * fetched again.
 */
#include "tosput.h"
#include "tosupload.h"

#include <stdlib.h>
#include <string.h>

struct get_state {
    struct progress progress;
    char *checkpoint_file; /* from the events: where a paused download's checkpoint is */
};

static void on_get_progress(const tos_download_progress *progress, void *user_data) {
    struct get_state *state = user_data;
    progress_update(&state->progress, progress->consumed_bytes, progress->total_bytes);
}

static void on_get_event(const tos_download_event *event, void *user_data) {
    struct get_state *state = user_data;
    if (event->checkpoint_file != NULL && state->checkpoint_file == NULL) {
        state->checkpoint_file = strdup(event->checkpoint_file);
    }
}

static void print_downloaded(const tos_download_file_output *output, double seconds) {
    char size[32], received[32], kept[64] = "";
    uint64_t total = tos_download_file_output_size(output);
    uint64_t fetched = tos_download_file_output_bytes_received(output);
    printf("bucket:          %s\n", tos_download_file_output_bucket(output));
    printf("key:             %s\n", tos_download_file_output_key(output));
    printf("etag:            %s\n", tos_download_file_output_etag(output));
    printf("version_id:      %s\n", tos_download_file_output_version_id(output));
    printf("file:            %s\n", tos_download_file_output_file_path(output));
    printf("size:            %llu\n", (unsigned long long)total);
    /* Empty when the server gave no CRC-64 to check against (an S3 store may not). */
    if (tos_download_file_output_has_crc64(output)) {
        printf("crc64:           %llu\n", (unsigned long long)tos_download_file_output_crc64(output));
    } else {
        printf("crc64:           \n");
    }
    printf("bytes_received:  %llu\n", (unsigned long long)fetched);
    format_bytes((double)total, size, sizeof size);
    format_bytes((double)fetched, received, sizeof received);
    /* From the byte counts, not from the resume event: a resumed checkpoint may have kept
     * no range at all (every range was cut by the pause). */
    if (fetched < total) {
        format_bytes((double)(total - fetched), kept, sizeof kept);
        strcat(kept, " kept from the earlier run, ");
    }
    printf("get: %s to %s in %.1f s (%s received, %s%s)\n", size, tos_download_file_output_file_path(output),
           seconds, received, kept,
           tos_download_file_output_has_crc64(output) ? "CRC-64 verified" : "no CRC-64 from the server");
}

static const char *scheme(const struct tosput_args *args) {
    return args->s3 ? "s3" : "tos";
}

static int is_missing_object(const tos_error *error) {
    return error != NULL && tos_error_is_server_error(error) && strcmp(tos_error_code(error), "NoSuchKey") == 0;
}

int tosput_get(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
               const tos_rate_limiter *limiter, int (*abort_requested)(void *arg), void *abort_arg) {
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct get_state state;
    double started = now_seconds();
    tos_result rc;
    int status;

    memset(&state, 0, sizeof state);
    progress_init(&state.progress, args->quiet, 0);
    tos_download_file_input_init(&input);
    input.bucket = args->bucket;
    input.key = args->key;
    input.file_path = args->source;
    input.part_size = args->part_size;
    input.task_num = args->tasks;
    input.disable_checkpoint = args->no_checkpoint != 0;
    input.checkpoint_file = args->checkpoint;
    input.cancel_hook = hook;
    input.rate_limiter = limiter;
    input.progress_cb = on_get_progress;
    input.progress_user_data = &state;
    input.event_cb = on_get_event;
    input.event_user_data = &state;
    rc = tos_download_file(client, &input, &output, &error);
    progress_finish(&state.progress);

    if (rc == TOS_PAUSED) {
        if (args->no_checkpoint) {
            fprintf(stderr, "tosput: paused; checkpointing is off (--no-checkpoint), so a rerun starts over\n");
        } else {
            /* FILE may name a directory, so the message speaks of the destination. */
            fprintf(stderr, "tosput: paused; nothing was put at the destination yet: run the same command "
                            "again to resume\n");
            if (state.checkpoint_file != NULL) {
                fprintf(stderr, "tosput:   checkpoint: %s\n", state.checkpoint_file);
            }
        }
        if (abort_requested(abort_arg)) {
            fprintf(stderr, "tosput: the abort came after the pause had completed: the download stays paused\n");
        }
        status = EXIT_PAUSED;
    } else if (rc == TOS_ABORTED) {
        fprintf(stderr, "tosput: aborted (the partial download and the checkpoint were deleted)\n");
        status = EXIT_ABORTED;
    } else if (rc == TOS_ERR_OBJECT_CHANGED) {
        tosput_print_error("download failed", rc, error);
        fprintf(stderr, "tosput: %s://%s/%s was replaced on the server during the download; nothing was "
                        "written to %s, and running the command again downloads the new object\n",
                scheme(args), args->bucket, args->key, args->source);
        status = EXIT_FAILED;
    } else if (rc == TOS_ERR_LOCAL_WRITE) {
        /* The library's message names the file and the system's error; the hint says what a
         * rerun does once the cause (space, permissions) is fixed. */
        tosput_print_error("download failed", rc, error);
        fprintf(stderr, "tosput: could not write the download to %s; after fixing that, the same command "
                        "resumes\n",
                args->source);
        status = EXIT_FAILED;
    } else if (rc == TOS_ERR_CHECKPOINT_IN_USE) {
        status = tosput_in_use("download refused", rc, error);
    } else if (rc != TOS_OK) {
        tosput_print_error("download failed", rc, error);
        if (is_missing_object(error)) {
            fprintf(stderr, "tosput: no such object: %s://%s/%s\n", scheme(args), args->bucket, args->key);
        }
        status = tosput_auth_failure(error, args) ? EXIT_CLIENT : EXIT_FAILED;
    } else {
        print_downloaded(output, now_seconds() - started);
        status = EXIT_OK;
    }
    free(state.checkpoint_file);
    tos_download_file_output_free(output);
    tos_error_free(error);
    return status;
}
