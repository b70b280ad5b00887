/*
 * `tosput get-dir tos://BUCKET[/PREFIX] DIR`: every object under PREFIX/ to DIR through
 * tos_download_dir. Each object goes through a temporary file renamed into place only when
 * whole and CRC-64 checked, so DIR never holds a partial file. Keys that would lead outside
 * DIR are refused by the library (a failed object, exit 6), never written elsewhere.
 * With --checkpoint-dir a pause (Ctrl-C) keeps a journal of the finished objects and the large
 * ones' checkpoints, and the same command resumes without fetching anything twice.
 */
#include "tosput.h"
#include "tosupload.h"

static void on_get_dir_progress(const tos_download_dir_progress *progress, void *user_data) {
    struct progress *p = user_data;
    progress_files(p, progress->files_done, progress->files_total, progress->files_failed,
                   progress->listing_complete);
    progress_update(p, progress->bytes_done, progress->bytes_total);
}

/* Returns 1 when a failure was the server refusing the credentials. */
static int print_get_dir_summary(const tos_download_dir_output *output, double seconds,
                                 const struct tosput_args *args) {
    char downloaded[32], skipped[32];
    size_t i, failures = tos_download_dir_output_failure_count(output);
    int refused = 0;
    printf("files_downloaded: %llu\n", (unsigned long long)tos_download_dir_output_files_downloaded(output));
    printf("bytes_downloaded: %llu\n", (unsigned long long)tos_download_dir_output_bytes_downloaded(output));
    printf("files_skipped:    %llu\n", (unsigned long long)tos_download_dir_output_files_skipped(output));
    printf("bytes_skipped:    %llu\n", (unsigned long long)tos_download_dir_output_bytes_skipped(output));
    printf("dirs_created:     %llu\n", (unsigned long long)tos_download_dir_output_dirs_created(output));
    printf("files_failed:     %llu\n", (unsigned long long)failures);
    printf("seconds:          %.1f\n", seconds);
    for (i = 0; i < failures; i++) {
        refused |= tosput_report_failed_file(tos_download_dir_output_failure_path(output, i),
                                             tos_download_dir_output_failure_key(output, i),
                                             tos_download_dir_output_failure_error(output, i), args, refused);
    }
    /* One line a person reads at the end, after the fields scripts parse. */
    format_bytes((double)tos_download_dir_output_bytes_downloaded(output), downloaded, sizeof downloaded);
    format_bytes((double)tos_download_dir_output_bytes_skipped(output), skipped, sizeof skipped);
    printf("get-dir: %llu downloaded (%s), %llu skipped (%s), %llu failed in %.1f s\n",
           (unsigned long long)tos_download_dir_output_files_downloaded(output), downloaded,
           (unsigned long long)tos_download_dir_output_files_skipped(output), skipped, (unsigned long long)failures,
           seconds);
    return refused;
}

int tosput_get_dir(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
                   const tos_rate_limiter *limiter, int (*abort_requested)(void *arg), void *abort_arg) {
    tos_download_dir_input input;
    tos_download_dir_output *output = NULL;
    tos_error *error = NULL;
    struct progress progress;
    double started = now_seconds();
    tos_result rc;
    int status;

    progress_init(&progress, args->quiet, 1);
    tos_download_dir_input_init(&input);
    input.bucket = args->bucket;
    input.prefix = args->key;
    input.dir = args->source;
    input.include = args->include;
    input.include_count = args->include_count;
    input.exclude = args->exclude;
    input.exclude_count = args->exclude_count;
    input.continue_on_error = args->continue_on_error != 0;
    input.skip_existing = args->skip_existing != 0;
    input.file_concurrency = args->files;
    input.task_num = args->tasks;
    input.part_size = args->part_size;
    input.checkpoint_dir = args->checkpoint;
    input.cancel_hook = hook;
    input.rate_limiter = limiter;
    input.progress_cb = on_get_dir_progress;
    input.progress_user_data = &progress;
    rc = tos_download_dir(client, &input, &output, &error);
    progress_finish(&progress);

    if (rc == TOS_PAUSED) {
        if (args->checkpoint == NULL) {
            fprintf(stderr, "tosput: paused; without --checkpoint-dir a rerun downloads every object again "
                            "(with --skip-existing it keeps the files already in place)\n");
        } else {
            fprintf(stderr, "tosput: paused; the objects in DIR are whole, none is partial: run the same "
                            "command again to resume\n");
            fprintf(stderr, "tosput:   checkpoint directory: %s\n", args->checkpoint);
        }
        if (abort_requested(abort_arg)) {
            fprintf(stderr, "tosput: the abort came after the pause had completed: the download stays paused\n");
        }
        status = EXIT_PAUSED;
    } else if (rc == TOS_ABORTED) {
        /* The objects already renamed into DIR stay: they are whole. */
        fprintf(stderr, "tosput: aborted (partial downloads and the checkpoints were deleted)\n");
        status = EXIT_ABORTED;
    } else if (rc == TOS_OK || rc == TOS_ERR_SOME_FILES_FAILED) {
        int refused = print_get_dir_summary(output, now_seconds() - started, args);
        if (rc == TOS_OK) {
            status = EXIT_OK;
        } else {
            tosput_print_error("some objects failed", rc, error);
            status = refused ? EXIT_CLIENT : EXIT_SOME_FAILED;
        }
    } else if (rc == TOS_ERR_CHECKPOINT_IN_USE) {
        status = tosput_in_use("download refused", rc, error);
    } else {
        tosput_print_error("download failed", rc, error);
        status = tosput_auth_failure(error, args) ? EXIT_CLIENT : EXIT_FAILED;
    }
    tos_download_dir_output_free(output);
    tos_error_free(error);
    return status;
}
