/*
 * tosput: a command-line uploader for TOS, built on libtosupload.
 *
 *   tosput put [options] FILE tos://BUCKET[/KEY or /PREFIX/]
 *   tosput put [options] - tos://BUCKET/KEY      (standard input; stream.c)
 *   tosput put-dir [options] DIR tos://BUCKET[/PREFIX]
 *   tosput uploads list|abort ... tos://BUCKET[/PREFIX]   (uploads.c)
 *   tosput get [options] tos://BUCKET/KEY FILE  (get.c)
 *   tosput get-dir [options] tos://BUCKET[/PREFIX] DIR  (get_dir.c)
 *
 * `tosput --help`, `tosput put --help` and `tosput put-dir --help` describe the options and
 * the exit codes. This file: signals, the client (for every subcommand), the two uploads and
 * their reports; args.c parses the command line, report.c words the errors, progress.c draws
 * the progress, uploads.c lists and aborts open uploads, stream.c uploads standard input.
 *
 * Signals. tos_cancel is not documented as async-signal-safe (it takes no lock today, but
 * that is not a promise), so it is never called from a signal handler. Instead SIGINT,
 * SIGTERM and SIGUSR1 are blocked in every thread before any starts (the library's worker
 * threads inherit the mask), and one watcher thread takes them with sigwait(), where any
 * function may be called. The first SIGINT/SIGTERM pauses (tos_pause(hook)), the
 * next aborts; with --abort-on-interrupt the first aborts. When the upload returns, the main
 * thread sends SIGUSR1 to the watcher to end it (instead of pthread_cancel, which could
 * stop it inside stdio while it holds the stderr lock).
 */
#include "tosput.h"
#include "tosupload.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct interrupt_state {
    const tos_cancel_hook *hook;
    int abort_on_interrupt;
    pthread_mutex_t lock;
    int signals;         /* SIGINT/SIGTERM received */
    int abort_requested; /* tos_abort(hook) was called */
    int cancel_called;   /* tos_cancel was called (set after the call) */
};

static sigset_t watched_signals;

static void *signal_watcher(void *arg) {
    struct interrupt_state *state = arg;
    for (;;) {
        int sig = 0, count, abort;
        if (sigwait(&watched_signals, &sig) != 0) {
            continue;
        }
        if (sig == SIGUSR1) { /* the upload is over */
            return NULL;
        }
        pthread_mutex_lock(&state->lock);
        count = ++state->signals;
        abort = state->abort_on_interrupt || count > 1;
        state->abort_requested |= abort;
        pthread_mutex_unlock(&state->lock);
        if (abort) {
            fprintf(stderr, "\ntosput: %s: aborting...\n", sig == SIGINT ? "interrupt" : "terminated");
            tos_abort(state->hook);
        } else {
            /* Name what arrived: a SIGTERM from a service manager was no key press. */
            fprintf(stderr, "\ntosput: %s\n",
                    sig == SIGINT ? "interrupt: pausing (press Ctrl-C again to abort)..."
                                  : "terminated: pausing (send it again, or Ctrl-C, to abort)...");
            tos_pause(state->hook);
        }
        pthread_mutex_lock(&state->lock);
        state->cancel_called = 1;
        pthread_mutex_unlock(&state->lock);
    }
}

/* For `put -`: whether the upload has been told to stop (see stream.c). */
static int cancel_was_called(void *arg) {
    struct interrupt_state *state = arg;
    int called;
    pthread_mutex_lock(&state->lock);
    called = state->cancel_called;
    pthread_mutex_unlock(&state->lock);
    return called;
}

static int abort_was_requested(struct interrupt_state *state) {
    int abort;
    pthread_mutex_lock(&state->lock);
    abort = state->abort_requested;
    pthread_mutex_unlock(&state->lock);
    return abort;
}

/* For get.c and get_dir.c, which see the interrupt state only through this. */
static int abort_requested_cb(void *arg) {
    return abort_was_requested(arg);
}

/* ---- put --------------------------------------------------------------------------------- */

void tosput_print_stored(const struct tosput_stored *stored) {
    printf("bucket:      %s\n", stored->bucket);
    printf("key:         %s\n", stored->key);
    printf("etag:        %s\n", stored->etag);
    printf("upload_id:   %s\n", stored->upload_id);
    printf("location:    %s\n", stored->location);
    printf("version_id:  %s\n", stored->version_id);
    printf("crc64:       %llu\n", (unsigned long long)stored->crc64);
    printf("request_id:  %s\n", stored->request_id);
    printf("part_size:   %llu\n", (unsigned long long)stored->part_size);
    printf("bytes_sent:  %llu\n", (unsigned long long)stored->bytes_sent);
}

struct put_state {
    struct progress progress;
    char *checkpoint_file; /* from the events: where the checkpoint is */
};

static void on_put_progress(const tos_upload_progress *progress, void *user_data) {
    struct put_state *state = user_data;
    progress_update(&state->progress, progress->consumed_bytes, progress->total_bytes);
}

static void on_put_event(const tos_upload_event *event, void *user_data) {
    struct put_state *state = user_data;
    /* Only an upload created or resumed leaves a checkpoint to point at (a discarded one is
     * gone, and a small file's single PutObject writes none). */
    int keeps_checkpoint = event->kind == TOS_UPLOAD_EVENT_KIND_CREATE_MULTIPART_UPLOAD_SUCCEEDED ||
                           event->kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_RESUMED;
    if (keeps_checkpoint && event->checkpoint_file != NULL && state->checkpoint_file == NULL) {
        state->checkpoint_file = strdup(event->checkpoint_file);
    }
}

static int run_put(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
                   const tos_rate_limiter *limiter, struct interrupt_state *interrupts) {
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct put_state state;
    tos_result rc;
    int status;

    memset(&state, 0, sizeof state);
    progress_init(&state.progress, args->quiet, 0);
    tos_upload_file_input_init(&input);
    input.bucket = args->bucket;
    input.key = args->key;
    input.file_path = args->source;
    input.part_size = args->part_size;
    input.task_num = args->tasks;
    input.disable_checkpoint = args->no_checkpoint != 0;
    input.force_multipart = args->force_multipart != 0;
    input.checkpoint_file = args->checkpoint;
    input.cancel_hook = hook;
    input.rate_limiter = limiter;
    input.progress_cb = on_put_progress;
    input.progress_user_data = &state;
    input.event_cb = on_put_event;
    input.event_user_data = &state;
    rc = tos_upload_file(client, &input, &output, &error);
    progress_finish(&state.progress);

    if (rc == TOS_PAUSED) {
        if (args->no_checkpoint) {
            fprintf(stderr, "tosput: paused; checkpointing is off (--no-checkpoint), so a rerun starts over\n");
        } else if (state.checkpoint_file == NULL) {
            /* No upload was created (a small file's single PutObject, or a pause before Create):
             * the library's message says what a rerun does. */
            fprintf(stderr, "tosput: %s\n", tos_error_message(error));
        } else {
            fprintf(stderr, "tosput: paused; run the same command again to resume\n");
            fprintf(stderr, "tosput:   checkpoint: %s\n", state.checkpoint_file);
        }
        if (abort_was_requested(interrupts)) {
            fprintf(stderr, "tosput: the abort came after the pause had completed: the upload stays paused\n");
        }
        status = EXIT_PAUSED;
    } else if (rc == TOS_ABORTED) {
        fprintf(stderr, "tosput: aborted (the multipart upload and the checkpoint were deleted)\n");
        status = EXIT_ABORTED;
    } else if (rc == TOS_ERR_CHECKPOINT_IN_USE) {
        status = tosput_in_use("upload refused", rc, error);
    } else if (rc != TOS_OK) {
        tosput_print_error("upload failed", rc, error);
        status = tosput_auth_failure(error, args) ? EXIT_CLIENT : EXIT_FAILED;
    } else {
        struct tosput_stored stored = {
            tos_upload_file_output_bucket(output),     tos_upload_file_output_key(output),
            tos_upload_file_output_etag(output),       tos_upload_file_output_upload_id(output),
            tos_upload_file_output_location(output),   tos_upload_file_output_version_id(output),
            tos_upload_file_output_request_id(output), tos_upload_file_output_crc64(output),
            tos_upload_file_output_part_size(output),  tos_upload_file_output_bytes_sent(output),
        };
        tosput_print_stored(&stored);
        status = EXIT_OK;
    }
    free(state.checkpoint_file);
    tos_upload_file_output_free(output);
    tos_error_free(error);
    return status;
}

/* ---- put-dir ----------------------------------------------------------------------------- */

static void on_dir_progress(const tos_upload_dir_progress *progress, void *user_data) {
    struct progress *p = user_data;
    progress_files(p, progress->files_done, progress->files_total, progress->files_failed, progress->walk_complete);
    progress_update(p, progress->bytes_done, progress->bytes_total);
}

/* A file the walk left out by policy (a symbolic link not followed, not a regular file) is named
 * on stderr, so nothing is skipped silently; the summary counts them. */
static void on_dir_event(const tos_upload_dir_event *event, void *user_data) {
    (void)user_data;
    if (event->kind == TOS_UPLOAD_DIR_EVENT_KIND_FILE_SKIPPED && event->etag == NULL && event->reason != NULL) {
        static char shown[TOSPUT_SHOWN_MAX];
        fprintf(stderr, "tosput: left out: %s (%s)\n", tosput_shown(event->path, shown, sizeof shown), event->reason);
    }
}

/* Returns 1 when a failure was the server refusing the credentials. */
static int print_dir_summary(const tos_upload_dir_output *output, double seconds, const struct tosput_args *args) {
    char uploaded[32], skipped[32];
    size_t i, failures = tos_upload_dir_output_failure_count(output);
    int refused = 0;
    printf("files_uploaded:  %llu\n", (unsigned long long)tos_upload_dir_output_files_uploaded(output));
    printf("bytes_uploaded:  %llu\n", (unsigned long long)tos_upload_dir_output_bytes_uploaded(output));
    printf("files_skipped:   %llu\n", (unsigned long long)tos_upload_dir_output_files_skipped(output));
    printf("bytes_skipped:   %llu\n", (unsigned long long)tos_upload_dir_output_bytes_skipped(output));
    printf("files_left_out:  %llu\n", (unsigned long long)tos_upload_dir_output_files_left_out(output));
    printf("files_failed:    %llu\n", (unsigned long long)failures);
    printf("seconds:         %.1f\n", seconds);
    for (i = 0; i < failures; i++) {
        refused |= tosput_report_failed_file(tos_upload_dir_output_failure_path(output, i),
                                             tos_upload_dir_output_failure_key(output, i),
                                             tos_upload_dir_output_failure_error(output, i), args, refused);
    }
    /* One line a person reads at the end, after the fields scripts parse. */
    format_bytes((double)tos_upload_dir_output_bytes_uploaded(output), uploaded, sizeof uploaded);
    format_bytes((double)tos_upload_dir_output_bytes_skipped(output), skipped, sizeof skipped);
    printf("put-dir: %llu uploaded (%s), %llu skipped (%s), %llu failed in %.1f s",
           (unsigned long long)tos_upload_dir_output_files_uploaded(output), uploaded,
           (unsigned long long)tos_upload_dir_output_files_skipped(output), skipped, (unsigned long long)failures,
           seconds);
    if (tos_upload_dir_output_files_left_out(output) > 0) {
        printf("; %llu left out (symbolic links not followed, or not regular files)",
               (unsigned long long)tos_upload_dir_output_files_left_out(output));
    }
    printf("\n");
    return refused;
}

static int run_put_dir(const tos_client *client, const struct tosput_args *args, const tos_cancel_hook *hook,
                       const tos_rate_limiter *limiter, struct interrupt_state *interrupts) {
    tos_upload_dir_input input;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    struct progress progress;
    double started = now_seconds();
    const char *checkpoint_dir = args->no_checkpoint ? NULL : args->checkpoint;
    tos_result rc;
    int status;

    progress_init(&progress, args->quiet, 1);
    tos_upload_dir_input_init(&input);
    input.bucket = args->bucket;
    input.prefix = args->key;
    input.dir = args->source;
    input.include = args->include;
    input.include_count = args->include_count;
    input.exclude = args->exclude;
    input.exclude_count = args->exclude_count;
    input.follow_symlinks = args->follow_symlinks != 0;
    input.continue_on_error = args->continue_on_error != 0;
    input.skip_existing = args->skip_existing != 0;
    input.file_concurrency = args->files;
    input.task_num = args->tasks;
    input.max_connections = args->connections;
    input.part_size = args->part_size;
    input.checkpoint_dir = checkpoint_dir;
    input.cancel_hook = hook;
    input.rate_limiter = limiter;
    input.progress_cb = on_dir_progress;
    input.progress_user_data = &progress;
    input.event_cb = on_dir_event;
    rc = tos_upload_dir(client, &input, &output, &error);
    progress_finish(&progress);

    if (rc == TOS_PAUSED) {
        if (checkpoint_dir == NULL) {
            fprintf(stderr, "tosput: paused; without --checkpoint-dir a rerun uploads everything again\n");
        } else {
            fprintf(stderr, "tosput: paused; run the same command again to resume\n");
            fprintf(stderr, "tosput:   checkpoint directory: %s\n", checkpoint_dir);
        }
        if (abort_was_requested(interrupts)) {
            fprintf(stderr, "tosput: the abort came after the pause had completed: the upload stays paused\n");
        }
        status = EXIT_PAUSED;
    } else if (rc == TOS_ABORTED) {
        fprintf(stderr, "tosput: aborted\n");
        status = EXIT_ABORTED;
    } else if (rc == TOS_OK || rc == TOS_ERR_SOME_FILES_FAILED) {
        int refused = print_dir_summary(output, now_seconds() - started, args);
        if (rc == TOS_OK) {
            status = EXIT_OK;
        } else {
            tosput_print_error("some files failed", rc, error);
            status = refused ? EXIT_CLIENT : EXIT_SOME_FAILED;
        }
    } else if (rc == TOS_ERR_CHECKPOINT_IN_USE) {
        status = tosput_in_use("upload refused", rc, error);
    } else {
        tosput_print_error("upload failed", rc, error);
        status = tosput_auth_failure(error, args) ? EXIT_CLIENT : EXIT_FAILED;
    }
    tos_upload_dir_output_free(output);
    tos_error_free(error);
    return status;
}

/* The credentials check, then the client: -1 with *client set, or EXIT_CLIENT after saying
 * what to set. Runs before any thread starts (the check may unset variables). */
static int new_client(const struct tosput_args *args, const tos_client **client) {
    tos_client_options options;
    tos_error *error = NULL;
    tos_result rc;
    int status = tosput_check_credentials(args);
    if (status >= 0) {
        return status;
    }
    tos_client_options_init(&options); /* endpoint and credentials from TOS_* or AWS_* */
    options.protocol = args->s3 ? TOS_PROTOCOL_S3 : TOS_PROTOCOL_TOS;
    options.endpoint = args->endpoint_url;
    options.region = args->region;
    options.credentials = args->anonymous ? TOS_CREDENTIALS_ANONYMOUS : TOS_CREDENTIALS_AUTO;
    options.proxy = args->proxy;
    options.no_proxy = args->no_proxy;
    options.ca_file = args->ca_file;
    options.client_cert_file = args->client_cert;
    options.client_key_file = args->client_key;
    options.s3_checksum = args->s3_checksum;
    options.max_requests_per_second = args->max_requests_per_second;
    rc = tos_client_new(&options, client, &error);
    if (rc != TOS_OK) {
        tosput_print_client_error(args, rc, error);
        tos_error_free(error);
        return EXIT_CLIENT;
    }
    return -1;
}

int main(int argc, char **argv) {
    struct tosput_args args;
    struct interrupt_state interrupts;
    const tos_client *client = NULL;
    const tos_cancel_hook *hook = NULL;
    const tos_rate_limiter *limiter = NULL;
    pthread_t watcher;
    int have_watcher = 0, status, uploads;

    status = tosput_parse_args(argc, argv, &args);
    if (status >= 0) {
        tosput_args_free(&args);
        return status;
    }
    uploads = args.command == CMD_UPLOADS_LIST || args.command == CMD_UPLOADS_ABORT;

    /* Block the watched signals in every thread (the library's included) before any starts.
     * Not for `uploads`: a listing or an abort has nothing to pause or resume, so Ctrl-C keeps
     * its default action and ends it at once (an abort already answered stays done). */
    sigemptyset(&watched_signals);
    sigaddset(&watched_signals, SIGINT);
    sigaddset(&watched_signals, SIGTERM);
    sigaddset(&watched_signals, SIGUSR1);
    if (!uploads) {
        pthread_sigmask(SIG_BLOCK, &watched_signals, NULL);
    }

    status = new_client(&args, &client);
    if (status < 0 && uploads) {
        status = tosput_uploads_run(client, &args);
    }
    if (status < 0 && args.rate > 0) {
        /* A rate the library refuses (below 1 KiB/s) is a usage error, found before any thread. */
        tos_error *error = NULL;
        tos_result rc = tos_rate_limiter_new(args.rate, 0, &limiter, &error);
        if (rc != TOS_OK) {
            tosput_print_error("--limit-rate", rc, error);
            tos_error_free(error);
            status = EXIT_USAGE;
        }
    }
    if (status >= 0) {
        tos_client_free(client);
        tosput_args_free(&args);
        return status;
    }
    hook = tos_cancel_hook_new();
    memset(&interrupts, 0, sizeof interrupts);
    interrupts.hook = hook;
    interrupts.abort_on_interrupt = args.abort_on_interrupt;
    pthread_mutex_init(&interrupts.lock, NULL);
    have_watcher = pthread_create(&watcher, NULL, signal_watcher, &interrupts) == 0;

    if (args.command == CMD_PUT_DIR) {
        status = run_put_dir(client, &args, hook, limiter, &interrupts);
    } else if (args.command == CMD_GET) {
        status = tosput_get(client, &args, hook, limiter, abort_requested_cb, &interrupts);
    } else if (args.command == CMD_GET_DIR) {
        status = tosput_get_dir(client, &args, hook, limiter, abort_requested_cb, &interrupts);
    } else if (strcmp(args.source, "-") == 0) {
        status = tosput_put_stream(client, &args, hook, limiter, cancel_was_called, &interrupts);
    } else {
        status = run_put(client, &args, hook, limiter, &interrupts);
    }

    if (have_watcher) {
        pthread_kill(watcher, SIGUSR1);
        pthread_join(watcher, NULL);
    }
    pthread_mutex_destroy(&interrupts.lock);
    tos_cancel_hook_free(hook);
    tos_rate_limiter_free(limiter);
    tos_client_free(client);
    tosput_args_free(&args);
    return status;
}
