/*
 * demo: the main job in one run. Makes a 96 MiB file, uploads it in parallel parts with a
 * progress bar, pauses at 40 % through the cancel hook, resumes from the checkpoint (only the
 * missing parts are sent), and checks the object's CRC-64 against one computed locally.
 *
 *   demo [WORK_DIR]
 *
 * Endpoint, region and keys come from TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY and
 * TOS_SECRET_KEY; the bucket from TOS_TEST_BUCKET. scripts/demo.sh starts a local server and
 * sets them. A rate limit of 48 MiB/s keeps the bar visible on loopback.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_SIZE (96ull * 1024 * 1024)
#define PART_SIZE (8ull * 1024 * 1024)
#define PAUSE_AT 0.40

struct bar {
    const tos_cancel_hook *pause_hook; /* NULL once the pause has been asked for */
    unsigned parts_done;
    int on_terminal;                   /* redraw in place, or print a line per 10 % */
    int last_tenth;
};

static void draw(const tos_progress *p, void *user_data) {
    struct bar *bar = user_data;
    double fraction = p->total_bytes ? (double)p->consumed_bytes / (double)p->total_bytes : 1.0;
    int filled = (int)(fraction * 40), i;
    int tenth = (int)(fraction * 10);
    if (!bar->on_terminal) {
        if (tenth == bar->last_tenth && p->kind != TOS_PROGRESS_KIND_SUCCEEDED) {
            goto maybe_pause;
        }
        bar->last_tenth = tenth;
    }
    printf(bar->on_terminal ? "\r  [" : "  [");
    for (i = 0; i < 40; i++) {
        putchar(i < filled ? '#' : '.');
    }
    printf("] %5.1f%%  %6.1f / %.1f MiB  parts done: %u%s", fraction * 100.0,
           (double)p->consumed_bytes / 1048576.0, (double)p->total_bytes / 1048576.0, bar->parts_done,
           bar->on_terminal ? "" : "\n");
    fflush(stdout);
maybe_pause:
    /* Pausing from inside a callback is allowed: tos_cancel only sets a flag. */
    if (bar->pause_hook != NULL && fraction >= PAUSE_AT) {
        tos_cancel(bar->pause_hook, false);
        bar->pause_hook = NULL;
    }
}

static void count_parts(const tos_upload_event *event, void *user_data) {
    struct bar *bar = user_data;
    if (event->kind == TOS_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
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

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    const char *bucket = getenv("TOS_TEST_BUCKET");
    char path[4096];
    tos_client_options options;
    tos_upload_file_input input;
    const tos_client *client = NULL;
    const tos_rate_limiter *limiter = NULL;
    const tos_cancel_hook *hook = NULL;
    tos_upload_output *output = NULL;
    tos_error *error = NULL;
    struct bar bar = {NULL, 0, 0, -1};
    uint64_t local_crc = 0;
    tos_result rc;
    int status = 1;

    if (bucket == NULL) {
        fprintf(stderr, "demo: set TOS_TEST_BUCKET (scripts/demo.sh does it for you)\n");
        return 2;
    }
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
    limiter = tos_rate_limiter_new(48ull * 1024 * 1024, 0);
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
    printf("2. uploading in 8 MiB parts, 4 at a time; pausing at 40 %%\n");
    bar.pause_hook = hook;
    rc = tos_upload_file(client, &input, &output, &error);
    if (rc != TOS_PAUSED) {
        report("expected a pause, got", rc, error);
        goto out;
    }
    report("paused", rc, error);
    tos_error_free(error);
    error = NULL;

    printf("3. resuming from the checkpoint: only the missing parts are sent\n");
    tos_cancel_hook_free(hook);
    hook = NULL;
    input.cancel_hook = NULL;
    bar.parts_done = 0;
    bar.last_tenth = -1;
    rc = tos_upload_file(client, &input, &output, &error);
    if (rc != TOS_OK) {
        report("resume failed", rc, error);
        goto out;
    }
    printf("\n  done: etag %s, upload id %s, parts sent after the resume: %u\n",
           tos_upload_output_etag(output), tos_upload_output_upload_id(output), bar.parts_done);

    printf("4. verifying: CRC-64 of the local file vs the object's\n");
    if (file_crc64(path, &local_crc) != 0) {
        perror("demo: cannot read the file back");
        goto out;
    }
    printf("  local  %llu\n  server %llu\n", (unsigned long long)local_crc,
           (unsigned long long)tos_upload_output_crc64(output));
    if (local_crc != tos_upload_output_crc64(output)) {
        printf("  MISMATCH\n");
        goto out;
    }
    printf("  verified: the object is byte-for-byte the file\n");
    status = 0;

out:
    tos_upload_output_free(output);
    tos_error_free(error);
    tos_cancel_hook_free(hook);
    tos_rate_limiter_free(limiter);
    tos_client_free(client);
    remove(path);
    return status;
}
