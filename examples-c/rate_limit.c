/*
 * rate_limit: limit the upload rate, two ways.
 *
 *   rate_limit
 *
 * 1. A shared tos_rate_limiter (a token bucket) at 8 MiB/s used by two uploads running at
 *    the same time on two threads: together they stay under 8 MiB/s.
 * 2. The caller's own limiter as a callback (tos_rate_limiter_cb), here a simple token
 *    bucket at 8 MiB/s written in C.
 * Each checks that the elapsed time is consistent with the rate. Environment as in
 * upload_file.c. Exits 0 on success.
 */
#include "tosupload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)
#define RATE (8.0 * MIB)
#define BURST (1.0 * MIB)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_file(const char *path, long size) {
    FILE *f = fopen(path, "wb");
    long i;
    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < size; i++) {
        fputc((int)((i * 13 + (i >> 10)) & 0xff), f);
    }
    return fclose(f);
}

struct job {
    const tos_client *client;
    const tos_rate_limiter *limiter;
    const char *file;
    const char *key;
    tos_result rc;
};

static void *upload_with_shared_limiter(void *arg) {
    struct job *job = arg;
    tos_upload_file_input input;
    tos_error *error = NULL;
    tos_upload_file_output *output = NULL;
    tos_upload_file_input_init(&input);
    input.bucket = getenv("TOS_TEST_BUCKET");
    input.key = job->key;
    input.file_path = job->file;
    input.part_size = 5 * 1024 * 1024;
    input.disable_checkpoint = true;
    input.rate_limiter = job->limiter; /* referenced, not consumed: shared by both uploads */
    job->rc = tos_upload_file(job->client, &input, &output, &error);
    tos_upload_file_output_free(output);
    if (job->rc != TOS_OK) {
        fprintf(stderr, "%s: %s: %s\n", job->key, tos_result_name(job->rc), tos_error_message(error));
    }
    tos_error_free(error);
    return NULL;
}

/* The caller's own token bucket. Called on the uploading thread only, one call at a time. */
struct my_bucket {
    double tokens;
    double last;
    unsigned long long asked;
};

static int my_limiter(uint64_t want, uint64_t *wait_ms_out, void *user_data) {
    struct my_bucket *bucket = user_data;
    double t = now();
    bucket->tokens += (t - bucket->last) * RATE;
    if (bucket->tokens > BURST) {
        bucket->tokens = BURST;
    }
    bucket->last = t;
    if (bucket->tokens >= (double)want || (double)want > BURST) {
        bucket->tokens -= (double)want; /* may go negative for a chunk larger than the burst */
        bucket->asked += want;
        return 1;
    }
    *wait_ms_out = (uint64_t)(((double)want - bucket->tokens) / RATE * 1000.0) + 1;
    return 0;
}

int main(void) {
    const char *bucket = getenv("TOS_TEST_BUCKET");
    char tmpdir[] = "/tmp/tos-rate-XXXXXX";
    char file[64];
    const long size = 12L * 1024 * 1024;
    const tos_client *client = NULL;
    const tos_rate_limiter *limiter = NULL;
    tos_client_options options;
    tos_upload_file_input input;
    tos_error *error = NULL;
    tos_upload_file_output *output = NULL;
    struct job jobs[2];
    pthread_t threads[2];
    struct my_bucket mine;
    double start, elapsed, expected;
    tos_result rc;
    int status = 1, i;

    if (bucket == NULL) {
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
        goto out;
    }

    /* 1. one token bucket, two uploads at once */
    rc = tos_rate_limiter_new((uint64_t)RATE, (uint64_t)BURST, &limiter, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_rate_limiter_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    start = now();
    for (i = 0; i < 2; i++) {
        jobs[i].client = client;
        jobs[i].limiter = limiter;
        jobs[i].file = file;
        jobs[i].key = i == 0 ? "examples/rate_limit_a.bin" : "examples/rate_limit_b.bin";
        jobs[i].rc = TOS_ERR_INTERNAL;
        pthread_create(&threads[i], NULL, upload_with_shared_limiter, &jobs[i]);
    }
    for (i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
    }
    elapsed = now() - start;
    expected = (2.0 * (double)size - BURST) / RATE;
    printf("shared limiter: 2 x %.0f MiB in %.2f s (%.2f MiB/s; at least %.2f s expected)\n", size / MIB, elapsed,
           2.0 * (double)size / MIB / elapsed, expected);
    if (jobs[0].rc != TOS_OK || jobs[1].rc != TOS_OK) {
        goto out;
    }
    if (elapsed < expected * 0.9) {
        fprintf(stderr, "too fast for %.0f MiB/s: the shared limit was not applied\n", RATE / MIB);
        goto out;
    }

    /* 2. the caller's own limiter callback */
    memset(&mine, 0, sizeof mine);
    mine.tokens = BURST;
    mine.last = now();
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = "examples/rate_limit_cb.bin";
    input.file_path = file;
    input.part_size = 5 * 1024 * 1024;
    input.disable_checkpoint = true;
    input.rate_limiter_cb = my_limiter;
    input.rate_limiter_user_data = &mine;
    start = now();
    rc = tos_upload_file(client, &input, &output, &error);
    tos_upload_file_output_free(output);
    output = NULL;
    elapsed = now() - start;
    expected = ((double)size - BURST) / RATE;
    printf("callback limiter: %.0f MiB in %.2f s (at least %.2f s expected), %llu bytes asked for\n", size / MIB,
           elapsed, expected, mine.asked);
    if (rc != TOS_OK) {
        fprintf(stderr, "upload failed: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    if (elapsed < expected * 0.9 || mine.asked < (unsigned long long)size) {
        fprintf(stderr, "the callback limiter was not applied\n");
        goto out;
    }
    status = 0;
out:
    tos_rate_limiter_free(limiter);
    tos_error_free(error);
    tos_client_free(client);
    unlink(file);
    rmdir(tmpdir);
    return status;
}
