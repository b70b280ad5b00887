/*
 * An out-of-tree consumer of the installed library, built once with
 * `pkg-config --cflags --libs tosupload` and once through find_package(tosupload): uploads a
 * 12 MiB + 3 byte file in 5 MiB parts and checks the object's CRC-64 against its own
 * CRC-64/XZ of the file, and that the library and header versions agree.
 */
#include <tosupload.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t crc64_xz(const unsigned char *p, size_t n) {
    static uint64_t table[256];
    uint64_t crc = ~(uint64_t)0;
    size_t i;
    int k;
    if (table[1] == 0) {
        for (i = 0; i < 256; i++) {
            uint64_t c = i;
            for (k = 0; k < 8; k++) {
                c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ULL : c >> 1;
            }
            table[i] = c;
        }
    }
    for (i = 0; i < n; i++) {
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

int main(int argc, char **argv) {
    const size_t size = 12u * 1024 * 1024 + 3;
    const char *bucket = getenv("TOS_TEST_BUCKET");
    const char *how = argc > 1 ? argv[1] : "consumer";
    char dir[] = "/tmp/tos-consumer-XXXXXX", path[64], key[64], version[32];
    unsigned char *data;
    FILE *f;
    size_t i;
    uint64_t want;
    tos_client_options options;
    tos_upload_file_input input;
    const tos_client *client = NULL;
    tos_upload_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    int status = 1;

    if (bucket == NULL) {
        fprintf(stderr, "run under scripts/with_server.py\n");
        return 2;
    }
    snprintf(version, sizeof version, "%d.%d.%d", TOS_VERSION_MAJOR, TOS_VERSION_MINOR, TOS_VERSION_PATCH);
    if (strcmp(version, tos_version()) != 0) {
        fprintf(stderr, "library %s, header %s\n", tos_version(), version);
        return 1;
    }
    if (mkdtemp(dir) == NULL || (data = malloc(size)) == NULL) {
        perror("setup");
        return 1;
    }
    for (i = 0; i < size; i++) {
        data[i] = (unsigned char)(i * 7 + i / 1000);
    }
    want = crc64_xz(data, size);
    snprintf(path, sizeof path, "%s/data.bin", dir);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    free(data);

    tos_client_options_init(&options); /* endpoint, region and keys from TOS_* */
    rc = tos_client_new(&options, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    tos_upload_file_input_init(&input);
    snprintf(key, sizeof key, "packaging/%s.bin", how);
    input.bucket = bucket;
    input.key = key;
    input.file_path = path;
    input.part_size = 5 * 1024 * 1024;
    input.task_num = 3;
    input.enable_checkpoint = false;
    rc = tos_upload_file(client, &input, &output, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_upload_file: %s: %s\n", tos_result_name(rc), tos_error_message(error));
        goto out;
    }
    if (tos_upload_output_crc64(output) != want || tos_upload_output_bytes_sent(output) != size) {
        fprintf(stderr, "crc64 %llu, want %llu; %llu bytes sent\n", (unsigned long long)tos_upload_output_crc64(output),
                (unsigned long long)want, (unsigned long long)tos_upload_output_bytes_sent(output));
        goto out;
    }
    printf("%s: uploaded %zu bytes in 3 parts, crc64 %llu verified (libtosupload %s)\n", how, size,
           (unsigned long long)want, tos_version());
    status = 0;
out:
    tos_upload_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    unlink(path);
    rmdir(dir);
    return status;
}
