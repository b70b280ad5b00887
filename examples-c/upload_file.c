/*
 * upload_file: the basic upload of one file.
 *
 *   upload_file [FILE [KEY]]
 *
 * Endpoint, region and credentials come from TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY and
 * TOS_SECRET_KEY, the bucket from TOS_TEST_BUCKET. Without FILE it uploads a 12 MiB file it
 * makes itself. Exits 0 on success, 1 on any failure.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int make_file(const char *path, long size) {
    FILE *f = fopen(path, "wb");
    long i;
    if (f == NULL) {
        return -1;
    }
    for (i = 0; i < size; i++) {
        fputc((int)((i * 31 + i / 4096) & 0xff), f);
    }
    return fclose(f);
}

int main(int argc, char **argv) {
    const char *bucket = getenv("TOS_TEST_BUCKET");
    char tmpdir[] = "/tmp/tos-example-XXXXXX";
    char made[64] = "";
    const char *file = argc > 1 ? argv[1] : NULL;
    const char *key = argc > 2 ? argv[2] : "examples/upload_file.bin";
    tos_client_options options;
    tos_upload_file_input input;
    const tos_client *client = NULL;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    int status = 1;

    if (bucket == NULL) {
        fprintf(stderr, "set TOS_TEST_BUCKET (and TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY)\n");
        return 1;
    }
    printf("libtosupload %s (header %d.%d.%d)\n", tos_version(), TOS_VERSION_MAJOR, TOS_VERSION_MINOR,
           TOS_VERSION_PATCH);
    if (file == NULL) {
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(made, sizeof made, "%s/data.bin", tmpdir);
        if (make_file(made, 12L * 1024 * 1024) != 0) {
            perror("writing the test file");
            return 1;
        }
        file = made;
    }

    /* Zero = default everywhere; NULL strings are read from the TOS_* environment. */
    tos_client_options_init(&options);
    options.endpoint = getenv("TOS_ENDPOINT");
    options.region = getenv("TOS_REGION");
    options.access_key = getenv("TOS_ACCESS_KEY");
    options.secret_key = getenv("TOS_SECRET_KEY");
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }

    tos_upload_file_input_init(&input); /* checkpointing on, part size 20 MiB */
    input.bucket = bucket;
    input.key = key;
    input.file_path = file;
    input.part_size = 5 * 1024 * 1024;
    input.attributes.content_type = "application/octet-stream";
    rc = tos_upload_file(client, &input, &output, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "upload failed: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        if (tos_error_is_server_error(error)) {
            fprintf(stderr, "  HTTP %u, Code %s, RequestId %s\n", (unsigned)tos_error_http_status(error),
                    tos_error_code(error), tos_error_request_id(error));
        }
        goto out;
    }
    printf("uploaded %s to tos://%s/%s\n", file, tos_upload_file_output_bucket(output), tos_upload_file_output_key(output));
    printf("  etag        %s\n", tos_upload_file_output_etag(output));
    printf("  upload id   %s\n", tos_upload_file_output_upload_id(output));
    printf("  crc64       %llu\n", (unsigned long long)tos_upload_file_output_crc64(output));
    printf("  part size   %llu\n", (unsigned long long)tos_upload_file_output_part_size(output));
    printf("  bytes sent  %llu\n", (unsigned long long)tos_upload_file_output_bytes_sent(output));
    status = tos_upload_file_output_bytes_sent(output) == 12ULL * 1024 * 1024 || made[0] == '\0' ? 0 : 1;

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
