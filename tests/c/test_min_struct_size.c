/*
 * A program built against 1.0.0 keeps working with every 1.x library: tos_client_new takes
 * options of 1.0.0's size (struct_size = its minimum, whatever lies past it ignored), and
 * tos_upload_file / tos_upload_dir take zeroed inputs with their minimum struct_size. Every
 * zero field must mean its documented default: 20 MiB parts, a checkpoint (so a paused upload
 * resumes), and a directory walked recursively. The objects are read back through the
 * server's admin API and compared byte for byte. The other direction: callback payloads carry
 * the library's struct_size, and TOS_FIELD_PRESENT tells a field of a newer header apart.
 */
#include "test_util.h"

#include <dirent.h>
#include <stddef.h>

#define MIB (1024u * 1024u)
#define DEFAULT_PART_SIZE (20u * MIB)

/* The minimum struct_size of each input: 1.0.0's sizeof, as src/ writes it. Fields a later 1.x
 * appends lie past it and must read as zero. */
#define CLIENT_OPTIONS_MIN_SIZE ((size_t)88)
#define UPLOAD_FILE_INPUT_MIN_SIZE ((size_t)288)
#define UPLOAD_DIR_INPUT_MIN_SIZE ((size_t)336)

/* tos_upload_event as a later 1.x header might declare it: one field appended. */
struct future_upload_event {
    tos_upload_event known;
    uint64_t appended_later;
};

/* Reads a whole file; *len_out gets its size. NULL on failure. */
static unsigned char *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long size;
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    data = malloc((size_t)size + 1);
    if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len_out = (size_t)size;
    return data;
}

/* The stored bytes of an object, through the admin API; NULL unless the server answers 200.
 * The keys used here need no percent-encoding. */
static unsigned char *read_object(const char *bucket, const char *key, size_t *len_out) {
    char path[512];
    int status = 0;
    char *body;
    snprintf(path, sizeof path, "/object?bucket=%s&key=%s", bucket, key);
    body = tu_admin_bytes("GET", path, NULL, &status, len_out);
    if (status != 200) {
        fprintf(stderr, "GET object %s/%s: HTTP %d\n", bucket, key, status);
        free(body);
        return NULL;
    }
    return (unsigned char *)body;
}

/* Checks that object `key` holds exactly the bytes of local file `path`. */
static void check_object(const char *bucket, const char *key, const char *path) {
    size_t want_len = 0, got_len = 0;
    unsigned char *want = read_file(path, &want_len);
    unsigned char *got = read_object(bucket, key, &got_len);
    CHECK(want != NULL, "cannot read %s", path);
    CHECK(got != NULL, "cannot read object %s back", key);
    if (want != NULL && got != NULL) {
        CHECK(got_len == want_len && memcmp(got, want, want_len) == 0, "object %s (%zu bytes) differs from %s (%zu bytes)",
              key, got_len, path, want_len);
    }
    free(want);
    free(got);
}

/* Entries of `dir` other than "." and "..". */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *entry;
    int count = 0;
    if (d == NULL) {
        return -1;
    }
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            count++;
        }
    }
    closedir(d);
    return count;
}

struct pause_state {
    const tos_cancel_hook *hook;
    int parts_done;
};

/* Pauses the upload once a part is on the server (and so in the checkpoint). */
static void pause_after_first_part(const tos_upload_event *event, void *user_data) {
    struct pause_state *state = user_data;
    const struct future_upload_event *future = (const struct future_upload_event *)event;
    CHECK(event->struct_size == sizeof(tos_upload_event), "event struct_size %zu", event->struct_size);
    CHECK(TOS_FIELD_PRESENT(event, tos_upload_event, task_num), "task_num not present");
    /* The library did not write what a newer header appended: a program must not read it. */
    CHECK(!TOS_FIELD_PRESENT(&future->known, struct future_upload_event, appended_later),
          "a field of a newer header reported present");
    if (event->kind == TOS_UPLOAD_EVENT_KIND_UPLOAD_PART_SUCCEEDED && state->parts_done++ == 0) {
        CHECK(tos_pause(state->hook) == TOS_OK, "tos_cancel");
    }
}

static const tos_client *client_of_1_0_0(void) {
    /* What the library sees past the 1.0.0 struct: a 1 ms request budget, which would fail the
     * uploads if a later field were read from there. */
    union {
        tos_client_options current;
        unsigned char bytes[CLIENT_OPTIONS_MIN_SIZE + 16];
    } buffer;
    uint64_t trap = 1;
    const tos_client *client = NULL;
    tos_error *error = NULL;
    tos_result rc;

    CHECK(sizeof(tos_client_options) >= CLIENT_OPTIONS_MIN_SIZE, "tos_client_options shrank below 1.0.0");
    memset(buffer.bytes, 0, sizeof buffer.bytes);
    buffer.current.struct_size = CLIENT_OPTIONS_MIN_SIZE;
    buffer.current.endpoint = tu_env("TOS_ENDPOINT");
    buffer.current.region = tu_env("TOS_REGION");
    buffer.current.access_key = tu_env("TOS_ACCESS_KEY");
    buffer.current.secret_key = tu_env("TOS_SECRET_KEY");
    memcpy(buffer.bytes + CLIENT_OPTIONS_MIN_SIZE, &trap, sizeof trap);

    rc = tos_client_new(&buffer.current, &client, &error);
    if (rc != TOS_OK) {
        fprintf(stderr, "tos_client_new with a 1.0.0 struct: %s: %s\n", tos_result_name(rc),
                tos_error_message(error));
        tos_error_free(error);
        exit(1);
    }
    /* One byte short of 1.0.0 is refused. */
    buffer.current.struct_size = CLIENT_OPTIONS_MIN_SIZE - 1;
    {
        const tos_client *refused = NULL;
        rc = tos_client_new(&buffer.current, &refused, &error);
        CHECK(rc == TOS_ERR_STRUCT_SIZE, "struct_size %zu: %s", CLIENT_OPTIONS_MIN_SIZE - 1, tos_result_name(rc));
        CHECK(refused == NULL, "client written on failure");
        tos_error_free(error);
    }
    return client;
}

static void test_file(const tos_client *client, const char *bucket, const char *dir) {
    char file[512];
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct pause_state state;
    tos_result rc;
    const uint64_t size = DEFAULT_PART_SIZE + MIB;

    snprintf(file, sizeof file, "%s/data.bin", dir);
    CHECK(tu_make_file(file, size) == 0, "cannot write %s", file);

    /* Zeroed but for the required fields, the cancel hook and the event callback that pauses
     * it: the checkpoint must be on by default, and left beside the file by the pause. */
    memset(&state, 0, sizeof state);
    state.hook = tos_cancel_hook_new();
    memset(&input, 0, sizeof input);
    input.struct_size = UPLOAD_FILE_INPUT_MIN_SIZE;
    input.bucket = bucket;
    input.key = "min-struct/file.bin";
    input.file_path = file;
    input.cancel_hook = state.hook;
    input.event_cb = pause_after_first_part;
    input.event_user_data = &state;
    rc = tos_upload_file(client, &input, &output, &error);
    CHECK(rc == TOS_PAUSED, "first run: %s: %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    CHECK(output == NULL, "output written on pause");
    CHECK(count_entries(dir) == 2, "%d entries beside the file after the pause, want it and its checkpoint",
          count_entries(dir));
    tos_error_free(error);
    error = NULL;
    tos_cancel_hook_free(state.hook);

    /* Every optional field zero: resumes from the checkpoint, with the default part size. */
    memset(&input, 0, sizeof input);
    input.struct_size = UPLOAD_FILE_INPUT_MIN_SIZE;
    input.bucket = bucket;
    input.key = "min-struct/file.bin";
    input.file_path = file;
    rc = tos_upload_file(client, &input, &output, &error);
    CHECK(rc == TOS_OK, "second run: %s: %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    if (rc == TOS_OK) {
        CHECK(tos_upload_file_output_part_size(output) == DEFAULT_PART_SIZE, "part size %llu, want the 20 MiB default",
              (unsigned long long)tos_upload_file_output_part_size(output));
        CHECK(tos_upload_file_output_bytes_sent(output) < size, "%llu bytes sent of %llu: the pause was not resumed",
              (unsigned long long)tos_upload_file_output_bytes_sent(output), (unsigned long long)size);
        CHECK(count_entries(dir) == 1, "%d entries beside the file: the checkpoint was not removed",
              count_entries(dir));
    }
    tos_error_free(error);
    tos_upload_file_output_free(output);
    check_object(bucket, "min-struct/file.bin", file);
    remove(file);
}

static void test_dir(const tos_client *client, const char *bucket, const char *root) {
    static const char *const files[] = {"top.txt", "sub/middle.bin", "sub/deeper/bottom.bin"};
    static const char *const keys[] = {"min-dir/top.txt", "min-dir/sub/middle.bin", "min-dir/sub/deeper/bottom.bin"};
    char path[512];
    tos_upload_dir_input input;
    tos_upload_dir_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    size_t i;

    snprintf(path, sizeof path, "%s/sub", root);
    CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);
    snprintf(path, sizeof path, "%s/sub/deeper", root);
    CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        CHECK(tu_make_file(path, 1000 + 70000 * i) == 0, "cannot write %s", path);
    }

    memset(&input, 0, sizeof input);
    input.struct_size = UPLOAD_DIR_INPUT_MIN_SIZE;
    input.bucket = bucket;
    input.prefix = "min-dir/";
    input.dir = root;
    rc = tos_upload_dir(client, &input, &output, &error);
    CHECK(rc == TOS_OK, "tos_upload_dir: %s: %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    CHECK(tos_upload_dir_output_files_uploaded(output) == 3, "%llu files uploaded, want 3 (subdirectories walked)",
          (unsigned long long)tos_upload_dir_output_files_uploaded(output));
    tos_error_free(error);
    tos_upload_dir_output_free(output);
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        check_object(bucket, keys[i], path);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/sub/deeper", root);
    rmdir(path);
    snprintf(path, sizeof path, "%s/sub", root);
    rmdir(path);
}

/* The initialisers never write past the struct the program has. A program built against 1.0
 * calls the function tos_client_options_init on its 88-byte struct: it must write those 88
 * bytes and no more (the bytes after it on the stack are the program's). A program built
 * against this header reaches the sized form through the macro, with its own sizeof. */
static void test_initialisers(void) {
    union {
        tos_client_options options;
        unsigned char bytes[sizeof(tos_client_options) + 16];
    } buffer;
    tos_client_options grown;
    size_t i;
    int canary_intact = 1;

    memset(buffer.bytes, 0xAB, sizeof buffer.bytes);
    CHECK((tos_client_options_init)(&buffer.options) == TOS_OK, "the 1.0 initialiser");
    CHECK(buffer.options.struct_size == CLIENT_OPTIONS_MIN_SIZE, "the 1.0 initialiser sets 1.0's size, not %zu",
          buffer.options.struct_size);
    for (i = CLIENT_OPTIONS_MIN_SIZE; i < sizeof buffer.bytes; i++) {
        canary_intact &= buffer.bytes[i] == 0xAB;
    }
    CHECK(canary_intact, "the 1.0 initialiser wrote past 1.0's %zu bytes", CLIENT_OPTIONS_MIN_SIZE);

    memset(&grown, 0xAB, sizeof grown);
    CHECK(tos_client_options_init(&grown) == TOS_OK, "the initialiser through the header's macro");
    CHECK(grown.struct_size == sizeof grown && grown.proxy == NULL && grown.s3_checksum == 0,
          "the macro initialises this header's whole struct (struct_size %zu)", grown.struct_size);
    CHECK(tos_client_options_init_sized(&grown, CLIENT_OPTIONS_MIN_SIZE - 8) == TOS_ERR_STRUCT_SIZE,
          "a size below 1.0's is refused");
    CHECK(tos_client_options_init_sized(&grown, sizeof grown + 8) == TOS_ERR_STRUCT_SIZE,
          "a size above this library's is refused");
    CHECK(tos_client_options_init_sized(NULL, sizeof grown) == TOS_ERR_NULL_ARGUMENT, "NULL is refused");
}

int main(void) {
    char file_dir[] = "/tmp/tos-min-struct-file-XXXXXX";
    char tree[] = "/tmp/tos-min-struct-dir-XXXXXX";
    const char *bucket = tu_env("TOS_TEST_BUCKET");
    const tos_client *client;

    if (mkdtemp(file_dir) == NULL || mkdtemp(tree) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_initialisers();
    client = client_of_1_0_0();
    test_file(client, bucket, file_dir);
    test_dir(client, bucket, tree);
    tos_client_free(client);
    rmdir(file_dir);
    rmdir(tree);
    if (tu_failures) {
        fprintf(stderr, "%d check(s) failed\n", tu_failures);
        return 1;
    }
    printf("ok: first-release client options and zeroed minimum-size inputs take the defaults\n");
    return 0;
}
