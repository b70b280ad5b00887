/*
 * download_file: the resumable download of one object, with progress and events.
 *
 *   download_file
 *
 * Endpoint, region and credentials come from TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY and
 * TOS_SECRET_KEY, the bucket from TOS_TEST_BUCKET. It uploads a 12 MiB file it makes itself
 * as a multipart object (5 MiB parts), downloads it in 5 MiB ranges, compares the bytes and
 * the CRC-64 with the file it uploaded, and prints what tos_download_file returned.
 * Exits 0 on success, 1 on any failure.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OBJECT_SIZE (12L * 1024 * 1024)
#define PART_SIZE (5ULL * 1024 * 1024)

static int make_file(const char *path, long size) {
    FILE *f = fopen(path, "wb");
    long i;
    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < size; i++) {
        fputc((int)((i * 131 + i / 8192) & 0xff), f);
    }
    return fclose(f);
}

/* The CRC-64 of a whole file, with the library's own function, and whether the two files
 * hold the same bytes. Returns 0 when both are read to the end. */
static int compare_files(const char *a, const char *b, int *same, uint64_t *crc_of_b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    unsigned char buf_a[65536], buf_b[65536];
    size_t na, nb;
    int status = -1;
    *same = 1;
    *crc_of_b = 0;
    if (fa != NULL && fb != NULL) {
        do {
            na = fread(buf_a, 1, sizeof buf_a, fa);
            nb = fread(buf_b, 1, sizeof buf_b, fb);
            if (na != nb || memcmp(buf_a, buf_b, na) != 0) {
                *same = 0;
            }
            *crc_of_b = tos_crc64_update(*crc_of_b, buf_b, nb);
        } while (na > 0 && nb > 0);
        status = ferror(fa) || ferror(fb) ? -1 : 0;
    }
    if (fa != NULL) {
        fclose(fa);
    }
    if (fb != NULL) {
        fclose(fb);
    }
    return status;
}

/* Progress: one line per 25 % (a real program would redraw a bar). */
struct progress_state {
    int last_quarter;
};

static void on_progress(const tos_download_progress *progress, void *user_data) {
    struct progress_state *state = user_data;
    int quarter = progress->total_bytes ? (int)(progress->consumed_bytes * 4 / progress->total_bytes) : 4;
    if (progress->kind == TOS_DOWNLOAD_PROGRESS_KIND_STARTED) {
        printf("  progress: started, %llu of %llu bytes already here\n",
               (unsigned long long)progress->consumed_bytes, (unsigned long long)progress->total_bytes);
    } else if (progress->kind == TOS_DOWNLOAD_PROGRESS_KIND_SUCCEEDED) {
        printf("  progress: done, %llu bytes\n", (unsigned long long)progress->consumed_bytes);
    } else if (quarter > state->last_quarter && quarter < 4) {
        printf("  progress: %d %%\n", quarter * 25);
    }
    if (quarter > state->last_quarter) {
        state->last_quarter = quarter;
    }
}

static void on_event(const tos_download_event *event, void *user_data) {
    int *ranges_done = user_data;
    switch (event->kind) {
    case TOS_DOWNLOAD_EVENT_KIND_CREATE_TEMP_FILE_SUCCEEDED:
        printf("  event: temporary file %s\n", event->temp_file);
        break;
    case TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_SUCCEEDED:
        (*ranges_done)++;
        printf("  event: range %u (bytes %llu-%llu) written, crc64 %llu\n", event->part.number,
               (unsigned long long)event->part.range_start, (unsigned long long)event->part.range_end,
               (unsigned long long)event->part.crc64);
        break;
    case TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_RETRY:
        printf("  event: range %u retried: %s\n", event->part.number, tos_error_message(event->error));
        break;
    case TOS_DOWNLOAD_EVENT_KIND_RENAME_TEMP_FILE_SUCCEEDED:
        printf("  event: renamed into place as %s\n", event->file_path);
        break;
    default:
        printf("  event: kind %u\n", (unsigned)event->kind);
        break;
    }
}

static tos_result upload(const tos_client *client, const char *bucket, const char *key, const char *file,
                         tos_error **error) {
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_result rc;
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = key;
    input.file_path = file;
    input.part_size = PART_SIZE;
    input.disable_checkpoint = true; /* a throwaway upload: nothing to resume */
    rc = tos_upload_file(client, &input, &output, error);
    if (rc == TOS_OK) {
        printf("uploaded %s as tos://%s/%s (etag %s)\n", file, bucket, key, tos_upload_file_output_etag(output));
    }
    tos_upload_file_output_free(output);
    return rc;
}

int main(void) {
    const char *bucket = getenv("TOS_TEST_BUCKET");
    const char *key = "examples/download_file.bin";
    char tmpdir[] = "/tmp/tos-example-XXXXXX";
    char source[64], destination[64];
    tos_client_options options;
    tos_download_file_input input;
    const tos_client *client = NULL;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    struct progress_state progress = {0};
    int ranges_done = 0, same = 0, status = 1;
    uint64_t crc_of_file = 0;
    tos_result rc;

    if (bucket == NULL) {
        fprintf(stderr, "set TOS_TEST_BUCKET (and TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY)\n");
        return 1;
    }
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(source, sizeof source, "%s/source.bin", tmpdir);
    snprintf(destination, sizeof destination, "%s/downloaded.bin", tmpdir);
    if (make_file(source, OBJECT_SIZE) != 0) {
        perror("writing the test file");
        goto out;
    }

    tos_client_options_init(&options); /* endpoint and credentials from TOS_* */
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    rc = upload(client, bucket, key, source, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "upload failed: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }

    tos_download_file_input_init(&input); /* checkpointing on: a rerun would resume */
    input.bucket = bucket;
    input.key = key;
    input.file_path = destination;
    input.part_size = PART_SIZE; /* 3 ranges of 12 MiB */
    input.task_num = 2;
    input.progress_cb = on_progress;
    input.progress_user_data = &progress;
    input.event_cb = on_event;
    input.event_user_data = &ranges_done;
    printf("downloading to %s\n", destination);
    rc = tos_download_file(client, &input, &output, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "download failed: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        if (tos_error_is_server_error(error)) {
            fprintf(stderr, "  HTTP %u, Code %s, RequestId %s\n", (unsigned)tos_error_http_status(error),
                    tos_error_code(error), tos_error_request_id(error));
        }
        goto out;
    }
    printf("downloaded tos://%s/%s\n", tos_download_file_output_bucket(output), tos_download_file_output_key(output));
    printf("  etag            %s\n", tos_download_file_output_etag(output));
    printf("  version id      %s\n", tos_download_file_output_version_id(output));
    printf("  file            %s\n", tos_download_file_output_file_path(output));
    printf("  size            %llu\n", (unsigned long long)tos_download_file_output_size(output));
    printf("  crc64           %llu%s\n", (unsigned long long)tos_download_file_output_crc64(output),
           tos_download_file_output_has_crc64(output) ? " (checked against the server's)" : " (server gave none)");
    printf("  bytes received  %llu\n", (unsigned long long)tos_download_file_output_bytes_received(output));

    if (compare_files(source, destination, &same, &crc_of_file) != 0) {
        perror("reading the files back");
        goto out;
    }
    printf("  local crc64     %llu\n", (unsigned long long)crc_of_file);
    if (!same) {
        fprintf(stderr, "the downloaded file differs from the uploaded one\n");
    } else if (!tos_download_file_output_has_crc64(output) || crc_of_file != tos_download_file_output_crc64(output)) {
        fprintf(stderr, "the file's CRC-64 is not the one the download reported\n");
    } else if (ranges_done != 3 || tos_download_file_output_size(output) != (uint64_t)OBJECT_SIZE) {
        fprintf(stderr, "expected 3 ranges of a %ld-byte object, got %d\n", OBJECT_SIZE, ranges_done);
    } else {
        printf("the downloaded file is byte for byte the uploaded one\n");
        status = 0;
    }

out:
    tos_download_file_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    unlink(source);
    unlink(destination);
    rmdir(tmpdir);
    return status;
}
