/*
 * tosput: a small command-line uploader.
 *
 *   tosput [--part-size N] [--tasks N] [--checkpoint PATH] [--no-checkpoint]
 *          [--limit-rate BYTES_PER_SEC] FILE tos://BUCKET/KEY
 *
 * See --help for the exit codes. Ctrl-C (SIGINT) or SIGTERM pauses the upload; run the same
 * command again to resume it from the checkpoint.
 */
#include "tosupload.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_CLIENT = 3,
    EXIT_PAUSED = 4,
};

static void usage(FILE *out) {
    fprintf(out,
            "usage: tosput [options] FILE tos://BUCKET/KEY\n"
            "\n"
            "Uploads FILE to TOS with a resumable, parallel multipart upload.\n"
            "The endpoint, region and credentials come from TOS_ENDPOINT, TOS_REGION,\n"
            "TOS_ACCESS_KEY, TOS_SECRET_KEY (and TOS_SECURITY_TOKEN).\n"
            "\n"
            "options:\n"
            "  --part-size N         bytes per part, 5 MiB..5 GiB (default 20 MiB)\n"
            "  --tasks N             parts sent at once (default 4)\n"
            "  --checkpoint PATH     checkpoint file or directory (default: beside FILE)\n"
            "  --no-checkpoint       do not record progress (no resume)\n"
            "  --limit-rate N        at most N bytes per second\n"
            "  -h, --help            this text\n"
            "\n"
            "SIGINT/SIGTERM pause the upload; rerun the same command to resume it.\n"
            "\n"
            "exit codes:\n"
            "  0  uploaded\n"
            "  1  the upload failed (the error is printed)\n"
            "  2  bad command line\n"
            "  3  the client could not be created (endpoint or credentials)\n"
            "  4  paused by a signal; rerun to resume\n");
}

static int parse_u64(const char *text, unsigned long long *out) {
    char *end;
    if (text == NULL || *text == '\0' || *text == '-') {
        return -1;
    }
    *out = strtoull(text, &end, 10);
    return *end == '\0' ? 0 : -1;
}

static void print_error(const char *what, tos_result rc, const tos_error *error) {
    fprintf(stderr, "tosput: %s: %s: %s\n", what, tos_result_name(rc), error ? tos_error_message(error) : "");
    if (error != NULL && tos_error_is_server_error(error)) {
        fprintf(stderr, "tosput:   HTTP %u, Code %s, EC %s, RequestId %s\n", (unsigned)tos_error_http_status(error),
                tos_error_code(error), tos_error_ec(error), tos_error_request_id(error));
    }
    if (error != NULL && tos_error_cause(error)[0] != '\0') {
        fprintf(stderr, "tosput:   cause: %s\n", tos_error_cause(error));
    }
}

static sigset_t stop_signals;

/* Signals are taken by this thread with sigwait (tos_cancel is not async-signal-safe). */
static void *signal_thread(void *arg) {
    const tos_cancel_hook *hook = arg;
    int sig = 0;
    if (sigwait(&stop_signals, &sig) == 0) {
        fprintf(stderr, "\ntosput: signal %d: pausing\n", sig);
        tos_cancel(hook, false);
    }
    return NULL;
}

int main(int argc, char **argv) {
    unsigned long long part_size = 0, tasks = 0, rate = 0;
    const char *checkpoint = NULL, *file = NULL, *target = NULL;
    int no_checkpoint = 0, i, status = EXIT_FAILED;
    char *bucket = NULL;
    const char *key;
    const tos_client *client = NULL;
    const tos_cancel_hook *hook = NULL;
    const tos_rate_limiter *limiter = NULL;
    tos_client_options options;
    tos_upload_file_input input;
    tos_upload_output *output = NULL;
    tos_error *error = NULL;
    pthread_t signals;
    int have_signal_thread = 0;
    tos_result rc;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(arg, "--part-size") == 0) {
            if (parse_u64(value, &part_size) != 0) {
                fprintf(stderr, "tosput: --part-size needs a number of bytes\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (strcmp(arg, "--tasks") == 0) {
            if (parse_u64(value, &tasks) != 0 || tasks > 100000) {
                fprintf(stderr, "tosput: --tasks needs a number\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (strcmp(arg, "--limit-rate") == 0) {
            if (parse_u64(value, &rate) != 0) {
                fprintf(stderr, "tosput: --limit-rate needs bytes per second\n");
                return EXIT_USAGE;
            }
            i++;
        } else if (strcmp(arg, "--checkpoint") == 0) {
            if (value == NULL) {
                fprintf(stderr, "tosput: --checkpoint needs a path\n");
                return EXIT_USAGE;
            }
            checkpoint = value;
            i++;
        } else if (strcmp(arg, "--no-checkpoint") == 0) {
            no_checkpoint = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "tosput: unknown option %s\n", arg);
            usage(stderr);
            return EXIT_USAGE;
        } else if (file == NULL) {
            file = arg;
        } else if (target == NULL) {
            target = arg;
        } else {
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (file == NULL || target == NULL || strncmp(target, "tos://", 6) != 0 || strchr(target + 6, '/') == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }
    bucket = strdup(target + 6);
    *strchr(bucket, '/') = '\0';
    key = target + 6 + strlen(bucket) + 1;

    /* Block the stop signals in every thread (the library's included) before any starts. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    tos_client_options_init(&options); /* endpoint and credentials from TOS_* */
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        print_error("cannot create the client", rc, error);
        status = EXIT_CLIENT;
        goto out;
    }
    hook = tos_cancel_hook_new();
    have_signal_thread = pthread_create(&signals, NULL, signal_thread, (void *)hook) == 0;
    if (rate > 0) {
        limiter = tos_rate_limiter_new(rate, 0);
    }

    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = key;
    input.file_path = file;
    input.part_size = part_size;
    input.task_num = (uint32_t)tasks;
    input.enable_checkpoint = !no_checkpoint;
    input.checkpoint_file = checkpoint;
    input.cancel_hook = hook;
    input.rate_limiter = limiter;
    rc = tos_upload_file(client, &input, &output, &error);
    if (rc == TOS_PAUSED) {
        fprintf(stderr, "tosput: paused; run the same command again to resume\n");
        status = EXIT_PAUSED;
        goto out;
    }
    if (rc != TOS_OK) {
        print_error("upload failed", rc, error);
        goto out;
    }
    printf("bucket:      %s\n", tos_upload_output_bucket(output));
    printf("key:         %s\n", tos_upload_output_key(output));
    printf("etag:        %s\n", tos_upload_output_etag(output));
    printf("upload_id:   %s\n", tos_upload_output_upload_id(output));
    printf("location:    %s\n", tos_upload_output_location(output));
    printf("version_id:  %s\n", tos_upload_output_version_id(output));
    printf("crc64:       %llu\n", (unsigned long long)tos_upload_output_crc64(output));
    printf("request_id:  %s\n", tos_upload_output_request_id(output));
    printf("part_size:   %llu\n", (unsigned long long)tos_upload_output_part_size(output));
    printf("bytes_sent:  %llu\n", (unsigned long long)tos_upload_output_bytes_sent(output));
    status = EXIT_OK;
out:
    if (have_signal_thread) {
        /* sigwait is a cancellation point: stop the thread before freeing the hook. */
        pthread_cancel(signals);
        pthread_join(signals, NULL);
    }
    tos_cancel_hook_free(hook);
    tos_upload_output_free(output);
    tos_error_free(error);
    tos_rate_limiter_free(limiter);
    tos_client_free(client);
    free(bucket);
    return status;
}
