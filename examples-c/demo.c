/*
 * demo: the main job in one run. Makes a 96 MiB file, uploads it in parallel parts with a
 * progress bar, pauses at 40 % through the cancel hook, resumes from the checkpoint (only the
 * missing parts are sent), checks the object's CRC-64 against one computed locally, and reads
 * the object back from the server to compare it with the file byte for byte.
 *
 *   demo [WORK_DIR]
 *
 * Ctrl-C (or SIGTERM) pauses the upload instead of killing the program mid-part; the demo
 * then says what was kept and exits with 130.
 *
 * Endpoint, region and keys come from TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY and
 * TOS_SECRET_KEY; the bucket from TOS_TEST_BUCKET. scripts/demo.sh starts a local server and
 * sets them, and TOS_ADMIN_URL, the local server's admin API used to read the object back.
 * A rate limit of 48 MiB/s keeps the bar visible on loopback.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "tosupload.h"

#include "readback.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE (96ull * 1024 * 1024)
#define PART_SIZE (8ull * 1024 * 1024)
#define PAUSE_AT 0.40

struct bar {
    const tos_cancel_hook *hook;
    int pause_at_40; /* cleared once the 40 % pause has been asked for */
    unsigned parts_done;
    int on_terminal; /* redraw in place, or print a line per 10 % */
    int last_tenth;
    double started;          /* when this run of tos_upload_file began */
    uint64_t first_consumed; /* consumed bytes at this run's first report */
    uint64_t consumed;       /* the latest consumed bytes */
    int have_first;
};

static volatile sig_atomic_t interrupted;

/* Only sets a flag: the library is not called from a signal handler. */
static void on_signal(int sig) { interrupted = sig; }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(const tos_upload_progress *p, void *user_data) {
    struct bar *bar = user_data;
    double fraction = p->total_bytes ? (double)p->consumed_bytes / (double)p->total_bytes : 1.0;
    double elapsed, rate;
    int filled = (int)(fraction * 40), i;
    int tenth = (int)(fraction * 10);
    if (!bar->have_first) {
        bar->first_consumed = p->consumed_bytes;
        bar->have_first = 1;
    }
    bar->consumed = p->consumed_bytes;
    /* Paused from here, on the upload's own thread: tos_cancel only sets a flag, but it is
     * still not called from the signal handler itself. */
    if (interrupted && bar->hook != NULL) {
        tos_pause(bar->hook);
    }
    if (!bar->on_terminal) {
        if (tenth == bar->last_tenth && p->kind != TOS_UPLOAD_PROGRESS_KIND_SUCCEEDED) {
            goto maybe_pause;
        }
        bar->last_tenth = tenth;
    }
    /* The average of this run so far; every field has a fixed width so the line never moves. */
    elapsed = now_seconds() - bar->started;
    rate = elapsed > 0.05 ? (double)(p->consumed_bytes - bar->first_consumed) / 1048576.0 / elapsed : 0.0;
    printf(bar->on_terminal ? "\r  [" : "  [");
    for (i = 0; i < 40; i++) {
        putchar(i < filled ? '#' : '.');
    }
    printf("] %5.1f%%  %5.1f / %5.1f MiB  %6.1f MiB/s  parts done: %2u%s", fraction * 100.0,
           (double)p->consumed_bytes / 1048576.0, (double)p->total_bytes / 1048576.0, rate, bar->parts_done,
           bar->on_terminal ? "" : "\n");
    fflush(stdout);
maybe_pause:
    if (bar->pause_at_40 && fraction >= PAUSE_AT) {
        tos_pause(bar->hook);
        bar->pause_at_40 = 0;
    }
}

static void count_parts(const tos_upload_event *event, void *user_data) {
    struct bar *bar = user_data;
    if (event->kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
        bar->parts_done++;
    }
}

static int make_file(const char *path) {
    static unsigned char block[1 << 16];
    unsigned long long state = 0x9E3779B97F4A7C15ull, written;
    size_t i;
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    for (written = 0; written < FILE_SIZE; written += sizeof block) {
        for (i = 0; i < sizeof block; i++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            block[i] = (unsigned char)state;
        }
        if (fwrite(block, 1, sizeof block, f) != sizeof block) {
            fclose(f);
            return -1;
        }
    }
    return fclose(f);
}

static int file_crc64(const char *path, uint64_t *crc_out) {
    static unsigned char buf[1 << 20];
    uint64_t crc = 0;
    size_t n;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crc = tos_crc64_update(crc, buf, n);
    }
    fclose(f);
    *crc_out = crc;
    return 0;
}

static void report(const char *what, tos_result rc, const tos_error *error) {
    printf("\n  %s: %s", what, tos_result_name(rc));
    if (error != NULL) {
        printf(" - %s", tos_error_message(error));
    }
    printf("\n");
}

/* Says what a Ctrl-C left behind; true when the upload was stopped by one. */
static int stopped_by_signal(tos_result rc, const char *dir) {
    if (!interrupted || rc != TOS_PAUSED) {
        return 0;
    }
    printf("\n  interrupted (%s): the upload was paused, not killed mid-part; its confirmed parts\n"
           "  are on the server and its checkpoint is in %s, from which the same call would\n"
           "  resume it. The demo stops here and deletes its 96 MiB file (scripts/demo.sh also\n"
           "  its work directory, checkpoint included).\n",
           interrupted == SIGINT ? "SIGINT" : "SIGTERM", dir);
    return 1;
}

static tos_result run_upload(const tos_client *client, const tos_upload_file_input *input, struct bar *bar,
                             tos_upload_file_output **output, tos_error **error, double *seconds) {
    tos_result rc;
    bar->started = now_seconds();
    bar->have_first = 0;
    rc = tos_upload_file(client, input, output, error);
    *seconds += now_seconds() - bar->started;
    return rc;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    const char *bucket = getenv("TOS_TEST_BUCKET");
    char path[4096], why[256];
    tos_client_options options;
    tos_upload_file_input input;
    const tos_client *client = NULL;
    const tos_rate_limiter *limiter = NULL;
    const tos_cancel_hook *hook = NULL;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct bar bar;
    struct sigaction sa;
    uint64_t local_crc = 0, sent_before_pause;
    double seconds = 0.0;
    tos_result rc;
    int status = 1;

    if (bucket == NULL) {
        fprintf(stderr, "demo: set TOS_TEST_BUCKET (scripts/demo.sh does it for you)\n");
        return 2;
    }
    memset(&bar, 0, sizeof bar);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    snprintf(path, sizeof path, "%s/demo-96MiB.bin", dir);
    printf("libtosupload %s demo against %s\n", tos_version(), getenv("TOS_ENDPOINT"));
    printf("1. making %s (96 MiB)\n", path);
    if (make_file(path) != 0) {
        perror("demo: cannot write the file");
        return 1;
    }

    tos_client_options_init(&options); /* endpoint, region and keys from TOS_* */
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        report("cannot create the client", rc, error);
        goto out;
    }
    rc = tos_rate_limiter_new(48ull * 1024 * 1024, 0, &limiter, &error);
    if (rc != TOS_OK) {
        report("cannot create the rate limiter", rc, error);
        goto out;
    }
    hook = tos_cancel_hook_new();

    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = "demo/demo-96MiB.bin";
    input.file_path = path;
    input.part_size = PART_SIZE;
    input.task_num = 4;
    input.checkpoint_file = dir; /* a directory: the checkpoint gets the Go SDK's name in it */
    input.progress_cb = draw;
    input.progress_user_data = &bar;
    input.event_cb = count_parts;
    input.event_user_data = &bar;
    input.rate_limiter = limiter;
    input.cancel_hook = hook;

    bar.on_terminal = isatty(STDOUT_FILENO);
    bar.last_tenth = -1;
    bar.hook = hook;
    printf("2. uploading in 8 MiB parts, 4 at a time; pausing at 40 %%\n");
    bar.pause_at_40 = 1;
    rc = run_upload(client, &input, &bar, &output, &error, &seconds);
    if (stopped_by_signal(rc, dir)) {
        status = 130;
        goto out;
    }
    if (rc != TOS_PAUSED) {
        report("expected a pause, got", rc, error);
        goto out;
    }
    report("paused", rc, error);
    tos_error_free(error);
    error = NULL;
    sent_before_pause = bar.consumed;

    /* A cancelled hook stays cancelled: the resume gets a fresh one (for Ctrl-C). */
    printf("3. resuming from the checkpoint: only the missing parts are sent\n");
    tos_cancel_hook_free(hook);
    hook = tos_cancel_hook_new();
    input.cancel_hook = hook;
    bar.hook = hook;
    bar.parts_done = 0;
    bar.last_tenth = -1;
    rc = run_upload(client, &input, &bar, &output, &error, &seconds);
    if (stopped_by_signal(rc, dir)) {
        status = 130;
        goto out;
    }
    if (rc != TOS_OK) {
        report("resume failed", rc, error);
        goto out;
    }
    printf("\n  done: etag %s, upload id %s, parts sent after the resume: %u\n",
           tos_upload_file_output_etag(output), tos_upload_file_output_upload_id(output), bar.parts_done);

    printf("4. verifying: CRC-64 of the local file vs the object's\n");
    if (file_crc64(path, &local_crc) != 0) {
        perror("demo: cannot read the file back");
        goto out;
    }
    printf("  local  %llu\n  server %llu\n", (unsigned long long)local_crc,
           (unsigned long long)tos_upload_file_output_crc64(output));
    if (local_crc != tos_upload_file_output_crc64(output)) {
        printf("  MISMATCH\n");
        goto out;
    }
    printf("5. reading the object back from the server and comparing it with the file\n");
    if (readback_compare(bucket, input.key, path, why, sizeof why) != 0) {
        printf("  MISMATCH: %s\n", why);
        goto out;
    }
    printf("  verified: the object read back is byte-for-byte the file\n");
    {
        /* Over both runs, the pause between them left out. Parts cut short by the pause were
         * sent again after it, so more than the file's size went over the wire. */
        double sent = (double)(sent_before_pause + tos_upload_file_output_bytes_sent(output)) / 1048576.0;
        printf("  average over the whole upload: %.1f MiB/s (%.1f MiB sent for the %.1f MiB file in %.2f s,\n"
               "  the pause excluded; rate limit 48 MiB/s)\n",
               seconds > 0 ? sent / seconds : 0.0, sent, (double)FILE_SIZE / 1048576.0, seconds);
    }
    status = 0;

out:
    tos_upload_file_output_free(output);
    tos_error_free(error);
    tos_cancel_hook_free(hook);
    tos_rate_limiter_free(limiter);
    tos_client_free(client);
    remove(path);
    return status;
}
