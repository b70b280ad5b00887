/*
 * Many uploads through one client, from several threads (bench/many.py and bench/cpu.py
 * build and run it).
 *
 *   upload_many [-i] [-p PART] [-t TASKS] [-c CHECKPOINT_DIR] THREADS UPLOADS FILE BUCKET PREFIX
 *
 * One tos_client is shared by THREADS threads; together they run UPLOADS uploads of FILE
 * (upload n goes to key PREFIX<n> and is run by thread n % THREADS, its uploads one after
 * another), so THREADS uploads are in flight at once. -i skips TLS verification (the local
 * server's self-signed certificate), -p and -t set the part size in bytes (default 20 MiB)
 * and the tasks per upload (default 4), -c keeps checkpoints in CHECKPOINT_DIR (default:
 * checkpointing off). Endpoint and credentials come from TOS_*.
 *
 * Prints one line per upload, "upload N thread T seconds S result NAME bytes B start S0"
 * (S0: when it started, from the start of the first), then "total seconds S bytes B failed F".
 * Exit status 0 when every upload succeeded.
 */
#include "tosupload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
    const tos_client *client;
    const char *file, *bucket, *prefix, *checkpoint_dir;
    uint64_t part_size;
    uint32_t tasks;
    int threads, uploads;
};

struct result {
    double started, seconds;
    tos_result rc;
    uint64_t bytes;
};

struct worker {
    const struct job *job;
    int index;
    struct result *results;
};

static void *run_thread(void *arg) {
    struct worker *w = arg;
    const struct job *job = w->job;
    char key[512];
    for (int n = w->index; n < job->uploads; n += job->threads) {
        tos_upload_file_input input;
        tos_upload_file_output *out = NULL;
        tos_error *error = NULL;
        tos_upload_file_input_init(&input);
        snprintf(key, sizeof key, "%s%d", job->prefix, n);
        input.bucket = job->bucket;
        input.key = key;
        input.file_path = job->file;
        input.part_size = job->part_size;
        input.task_num = job->tasks;
        input.disable_checkpoint = job->checkpoint_dir == NULL;
        input.checkpoint_file = job->checkpoint_dir;
        double started = now_s();
        tos_result rc = tos_upload_file(job->client, &input, &out, &error);
        w->results[n].started = started;
        w->results[n].seconds = now_s() - started;
        w->results[n].rc = rc;
        w->results[n].bytes = rc == TOS_OK ? tos_upload_file_output_bytes_sent(out) : 0;
        if (rc != TOS_OK) {
            fprintf(stderr, "upload %d: %s: %s\n", n, tos_result_name(rc),
                    error ? tos_error_message(error) : "");
        }
        tos_upload_file_output_free(out);
        tos_error_free(error);
    }
    return NULL;
}

int main(int argc, char **argv) {
    struct job job = {0};
    tos_client_options options;
    tos_error *error = NULL;
    int insecure = 0, opt;

    job.part_size = 20u << 20;
    job.tasks = 4;
    while ((opt = getopt(argc, argv, "ip:t:c:")) != -1) {
        switch (opt) {
        case 'i': insecure = 1; break;
        case 'p': job.part_size = strtoull(optarg, NULL, 10); break;
        case 't': job.tasks = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'c': job.checkpoint_dir = optarg; break;
        default: goto usage;
        }
    }
    if (argc - optind != 5) {
    usage:
        fprintf(stderr, "usage: upload_many [-i] [-p PART] [-t TASKS] [-c CHECKPOINT_DIR] THREADS UPLOADS FILE BUCKET PREFIX\n");
        return 2;
    }
    job.threads = atoi(argv[optind]);
    job.uploads = atoi(argv[optind + 1]);
    job.file = argv[optind + 2];
    job.bucket = argv[optind + 3];
    job.prefix = argv[optind + 4];
    if (job.threads < 1 || job.uploads < 1) goto usage;

    tos_client_options_init(&options);
    options.insecure_skip_tls_verify = insecure;
    if (tos_client_new(&options, &job.client, &error) != TOS_OK) {
        fprintf(stderr, "client: %s\n", tos_error_message(error));
        tos_error_free(error);
        return 1;
    }
    struct result *results = calloc((size_t)job.uploads, sizeof *results);
    struct worker *workers = calloc((size_t)job.threads, sizeof *workers);
    pthread_t *ids = calloc((size_t)job.threads, sizeof *ids);
    if (!results || !workers || !ids) return 1;
    double started = now_s();
    for (int t = 0; t < job.threads; t++) {
        workers[t] = (struct worker){&job, t, results};
        if (pthread_create(&ids[t], NULL, run_thread, &workers[t]) != 0) return 1;
    }
    for (int t = 0; t < job.threads; t++) pthread_join(ids[t], NULL);
    double total = now_s() - started;

    int failed = 0;
    uint64_t bytes = 0;
    for (int n = 0; n < job.uploads; n++) {
        printf("upload %d thread %d seconds %.4f result %s bytes %llu start %.4f\n", n, n % job.threads,
               results[n].seconds, tos_result_name(results[n].rc),
               (unsigned long long)results[n].bytes, results[n].started - started);
        failed += results[n].rc != TOS_OK;
        bytes += results[n].bytes;
    }
    printf("total seconds %.4f bytes %llu failed %d\n", total, (unsigned long long)bytes, failed);
    tos_client_free(job.client);
    free(results);
    free(workers);
    free(ids);
    return failed ? 1 : 0;
}
