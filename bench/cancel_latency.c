/*
 * Pause/abort latency driver for the benchmark (bench/run.py builds and runs it).
 *
 *   cancel_latency pause|abort FILE BUCKET KEY_PREFIX TRIALS MIN_MS MAX_MS SEED [CHECKPOINT_DIR]
 *
 * Each trial starts tos_upload_file (20 MiB parts, 4 tasks, no rate limit, checkpoint in
 * CHECKPOINT_DIR if given) on the main thread, while a second thread sleeps a random
 * MIN_MS..MAX_MS and calls tos_cancel(hook, is_abort). Prints one line per trial:
 *   trial N delay_ms D latency_ms L result NAME
 * where L is the time from tos_cancel to the return of tos_upload_file. A trial whose upload
 * ended before the cancel prints latency_ms -1. Endpoint and credentials come from TOS_*.
 */
#include "tosupload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct canceller {
    const tos_cancel_hook *hook;
    int is_abort;
    double delay_s;
    double cancelled_at;
};

static void *cancel_later(void *arg) {
    struct canceller *c = arg;
    struct timespec ts;
    ts.tv_sec = (time_t)c->delay_s;
    ts.tv_nsec = (long)((c->delay_s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
    c->cancelled_at = now_s();
    tos_cancel(c->hook, c->is_abort);
    return NULL;
}

int main(int argc, char **argv) {
    tos_client_options options;
    const tos_client *client = NULL;
    tos_error *error = NULL;
    tos_result rc;
    int is_abort, trials, min_ms, max_ms, i;
    const char *file, *bucket, *prefix, *checkpoint_dir;
    char key[512];

    if (argc < 9 || argc > 10 || (strcmp(argv[1], "pause") != 0 && strcmp(argv[1], "abort") != 0)) {
        fprintf(stderr, "usage: cancel_latency pause|abort FILE BUCKET KEY_PREFIX TRIALS MIN_MS MAX_MS SEED [CHECKPOINT_DIR]\n");
        return 2;
    }
    is_abort = strcmp(argv[1], "abort") == 0;
    file = argv[2];
    bucket = argv[3];
    prefix = argv[4];
    trials = atoi(argv[5]);
    min_ms = atoi(argv[6]);
    max_ms = atoi(argv[7]);
    srand((unsigned)atoi(argv[8]));
    checkpoint_dir = argc == 10 ? argv[9] : NULL;

    tos_client_options_init(&options);
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "cancel_latency: tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        tos_error_free(error);
        return 1;
    }
    for (i = 0; i < trials; i++) {
        tos_upload_file_input input;
        tos_upload_file_output *output = NULL;
        struct canceller c;
        pthread_t thread;
        double returned_at;

        snprintf(key, sizeof key, "%s%d", prefix, i);
        tos_upload_file_input_init(&input);
        input.bucket = bucket;
        input.key = key;
        input.file_path = file;
        input.part_size = 20 * 1024 * 1024;
        input.task_num = 4;
        input.disable_checkpoint = checkpoint_dir == NULL;
        input.checkpoint_file = checkpoint_dir;
        c.hook = tos_cancel_hook_new();
        c.is_abort = is_abort;
        c.delay_s = (min_ms + (max_ms > min_ms ? rand() % (max_ms - min_ms + 1) : 0)) / 1000.0;
        c.cancelled_at = 0;
        input.cancel_hook = c.hook;
        pthread_create(&thread, NULL, cancel_later, &c);
        rc = tos_upload_file(client, &input, &output, &error);
        returned_at = now_s();
        pthread_join(thread, NULL);
        printf("trial %d delay_ms %.0f latency_ms %.3f result %s\n", i, c.delay_s * 1000,
               c.cancelled_at > 0 && returned_at >= c.cancelled_at ? (returned_at - c.cancelled_at) * 1000 : -1.0,
               tos_result_name(rc));
        fflush(stdout);
        if (rc != TOS_OK && rc != TOS_PAUSED && rc != TOS_ABORTED) {
            fprintf(stderr, "cancel_latency: trial %d: %s: %s\n", i, tos_result_name(rc), tos_error_message(error));
        }
        tos_upload_file_output_free(output);
        tos_error_free(error);
        error = NULL;
        tos_cancel_hook_free(c.hook);
    }
    tos_client_free(client);
    return 0;
}
