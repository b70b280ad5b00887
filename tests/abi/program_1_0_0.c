/* A program compiled against the header of 1.0.0 (v1.0.0/tosupload.h, frozen), run against the
 * library being built: every 1.x release must run it unchanged. It uses each family of the
 * API with the 1.0.0 struct sizes: a client, a multipart upload of a file with progress and
 * event callbacks (whose payloads it reads only where TOS_FIELD_PRESENT says so), the
 * output's getters, a listing and an abort. Needs a local server (scripts/with_server.py);
 * exits 0 when every check held. */
#include "tosupload.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond, what)                                   \
    do {                                                    \
        if (!(cond)) {                                      \
            fprintf(stderr, "FAIL line %d: %s\n", __LINE__, what); \
            failures++;                                     \
        }                                                   \
    } while (0)

struct seen {
    int progress_calls, parts_done;
    uint64_t last_consumed;
};

static void on_progress(const tos_upload_progress *progress, void *user_data) {
    struct seen *seen = user_data;
    CHECK(TOS_FIELD_PRESENT(progress, tos_upload_progress, rw_once_bytes), "progress fields of 1.0.0");
    seen->progress_calls++;
    seen->last_consumed = progress->consumed_bytes;
}

static void on_event(const tos_upload_event *event, void *user_data) {
    struct seen *seen = user_data;
    CHECK(TOS_FIELD_PRESENT(event, tos_upload_event, task_num), "event fields of 1.0.0");
    if (event->kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED) {
        CHECK(event->has_part && event->part.etag != NULL && event->part.has_crc64, "a part's details");
        seen->parts_done++;
    }
}

static const char *env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "%s is not set (run under scripts/with_server.py)\n", name);
        exit(2);
    }
    return value;
}

int main(void) {
    const uint64_t size = 6u * 1024 * 1024;
    char path[] = "/tmp/tosupload-abi-XXXXXX";
    tos_client_options options;
    const tos_client *client = NULL;
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_list_multipart_uploads_input list_input;
    tos_list_multipart_uploads_output *list = NULL;
    tos_abort_multipart_upload_input abort_input;
    tos_error *error = NULL;
    struct seen seen = {0, 0, 0};
    char *data = calloc(1, size);
    int fd = mkstemp(path);
    uint64_t crc;

    CHECK(tos_version_num() >= TOS_VERSION_NUM, "the library is older than the header");
    CHECK(data != NULL && fd >= 0, "a test file");
    for (uint64_t i = 0; i < size; i++) {
        data[i] = (char)(i * 7 + i / 4096);
    }
    CHECK(write(fd, data, size) == (ssize_t)size, "writing the test file");
    close(fd);
    crc = tos_crc64_update(0, (const uint8_t *)data, size);

    tos_client_options_init(&options);
    options.endpoint = env("TOS_ENDPOINT");
    options.region = env("TOS_REGION");
    options.access_key = env("TOS_ACCESS_KEY");
    options.secret_key = env("TOS_SECRET_KEY");
    options.credentials = TOS_CREDENTIALS_STATIC;
    CHECK(tos_client_new(&options, &client, &error) == TOS_OK, "tos_client_new");

    tos_upload_file_input_init(&input);
    input.bucket = env("TOS_TEST_BUCKET");
    input.key = "abi/1.0.0.bin";
    input.file_path = path;
    input.part_size = 5u * 1024 * 1024;
    input.disable_checkpoint = true;
    input.progress_cb = on_progress;
    input.progress_user_data = &seen;
    input.event_cb = on_event;
    input.event_user_data = &seen;
    CHECK(tos_upload_file(client, &input, &output, &error) == TOS_OK, "tos_upload_file");
    CHECK(tos_upload_file_output_crc64(output) == crc, "the object's CRC-64");
    CHECK(strcmp(tos_upload_file_output_key(output), "abi/1.0.0.bin") == 0, "the output's key");
    CHECK(seen.parts_done == 2 && seen.last_consumed == size && seen.progress_calls > 0, "callbacks");

    tos_list_multipart_uploads_input_init(&list_input);
    list_input.bucket = input.bucket;
    CHECK(tos_list_multipart_uploads(client, &list_input, &list, &error) == TOS_OK, "listing");
    CHECK(tos_list_multipart_uploads_output_count(list) == 0, "no upload left open");

    tos_abort_multipart_upload_input_init(&abort_input);
    abort_input.bucket = input.bucket;
    abort_input.key = input.key;
    abort_input.upload_id = "no-such-upload";
    CHECK(tos_abort_multipart_upload(client, &abort_input, &error) == TOS_ERR_SERVER &&
              strcmp(tos_error_code(error), "NoSuchUpload") == 0,
          "aborting an upload that is not open");

    tos_error_free(error);
    tos_list_multipart_uploads_output_free(list);
    tos_upload_file_output_free(output);
    tos_client_free(client);
    unlink(path);
    free(data);
    printf("program_1_0_0: %s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
