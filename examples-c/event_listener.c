/*
 * event_listener: prints every upload event (part done, retries, resume, ...).
 *
 *   event_listener [FILE]
 *
 * Environment as in upload_file.c. Without FILE it uploads a 16 MiB file it makes itself
 * (4 parts of 5 MiB or less). Exits 0 when the upload completed and the events add up.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct counts {
    int created;
    int parts;
    int completed;
    int failures;
};

static const char *event_name(uint32_t kind) {
    switch (kind) {
    case TOS_UPLOAD_EVENT_KIND_CREATE_MULTIPART_UPLOAD_SUCCEEDED: return "CreateMultipartUpload succeeded";
    case TOS_UPLOAD_EVENT_KIND_CREATE_MULTIPART_UPLOAD_FAILED: return "CreateMultipartUpload failed";
    case TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED: return "UploadPart succeeded";
    case TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_FAILED: return "UploadPart failed";
    case TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_ABORTED: return "UploadPart aborted";
    case TOS_UPLOAD_EVENT_KIND_COMPLETE_MULTIPART_UPLOAD_SUCCEEDED: return "CompleteMultipartUpload succeeded";
    case TOS_UPLOAD_EVENT_KIND_COMPLETE_MULTIPART_UPLOAD_FAILED: return "CompleteMultipartUpload failed";
    case TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_RETRY: return "UploadPart will be retried";
    case TOS_UPLOAD_EVENT_KIND_UPLOAD_RESUMED: return "resumed from the checkpoint";
    case TOS_UPLOAD_EVENT_KIND_CHECKPOINT_DISCARDED: return "checkpoint discarded";
    case TOS_UPLOAD_EVENT_KIND_PART_SIZE_ADJUSTED: return "part size adjusted";
    case TOS_UPLOAD_EVENT_KIND_TASK_NUM_CHANGED: return "parts at once changed";
    default: return "unknown event";
    }
}

/* Every pointer in `event` is valid only during this call: copy what you keep. */
static void on_event(const tos_upload_event *event, void *user_data) {
    struct counts *counts = user_data;
    printf("event %2u %-36s tos://%s/%s", (unsigned)event->kind, event_name(event->kind), event->bucket, event->key);
    if (event->upload_id != NULL) {
        printf(" upload_id=%s", event->upload_id);
    }
    if (event->has_part) {
        printf(" part=%u size=%llu offset=%llu", (unsigned)event->part.number, (unsigned long long)event->part.size,
               (unsigned long long)event->part.offset);
        if (event->part.etag != NULL) {
            printf(" etag=%s", event->part.etag);
        }
        if (event->part.has_crc64) {
            printf(" crc64=%llu", (unsigned long long)event->part.crc64);
        }
    }
    if (event->checkpoint_file != NULL) {
        printf(" checkpoint=%s", event->checkpoint_file);
    }
    if (event->error != NULL) {
        printf(" error=[%s] %s", tos_result_name(tos_error_result(event->error)), tos_error_message(event->error));
        counts->failures++;
    }
    printf("\n");
    switch (event->kind) {
    case TOS_UPLOAD_EVENT_KIND_CREATE_MULTIPART_UPLOAD_SUCCEEDED: counts->created++; break;
    case TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED: counts->parts++; break;
    case TOS_UPLOAD_EVENT_KIND_COMPLETE_MULTIPART_UPLOAD_SUCCEEDED: counts->completed++; break;
    default: break;
    }
}

static int make_file(const char *path, long size) {
    FILE *f = fopen(path, "wb");
    long i;
    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < size; i++) {
        fputc((int)((i * 7 + (i >> 9)) & 0xff), f);
    }
    return fclose(f);
}

int main(int argc, char **argv) {
    const char *bucket = getenv("TOS_TEST_BUCKET");
    char tmpdir[] = "/tmp/tos-events-XXXXXX";
    char made[64] = "";
    const char *file = argc > 1 ? argv[1] : NULL;
    tos_client_options options;
    tos_upload_file_input input;
    const tos_client *client = NULL;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct counts counts;
    tos_result rc;
    int status = 1;

    if (bucket == NULL) {
        fprintf(stderr, "set TOS_TEST_BUCKET and the TOS_* connection variables\n");
        return 1;
    }
    if (file == NULL) {
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(made, sizeof made, "%s/data.bin", tmpdir);
        if (make_file(made, 16L * 1024 * 1024) != 0) {
            perror("writing the test file");
            return 1;
        }
        file = made;
    }
    memset(&counts, 0, sizeof counts);
    tos_client_options_init(&options);
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = "examples/event_listener.bin";
    input.file_path = file;
    input.part_size = 5 * 1024 * 1024;
    input.event_cb = on_event;
    input.event_user_data = &counts;
    rc = tos_upload_file(client, &input, &output, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "upload failed: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    printf("done: %d part events, etag %s\n", counts.parts, tos_upload_file_output_etag(output));
    if (counts.created != 1 || counts.completed != 1 || (made[0] != '\0' && counts.parts != 4)) {
        fprintf(stderr, "unexpected events: created %d, parts %d, completed %d\n", counts.created, counts.parts,
                counts.completed);
        goto out;
    }
    status = 0;
out:
    tos_upload_file_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    if (made[0] != '\0') {
        unlink(made);
        rmdir(tmpdir);
    }
    return status;
}
