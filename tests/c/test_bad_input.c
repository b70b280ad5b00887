/*
 * Bad input is refused with its specific tos_result code and a non-empty message, before
 * anything is sent: the server log must stay empty.
 *
 * The "unreadable file" cases: a symlink loop (stat fails with ELOOP for everyone), and a
 * mode-000 file (open fails with EACCES). Tests run as root, which reads mode-000 files, so
 * as root that upload is made with the effective uid of nobody. A FIFO (not a regular file)
 * is refused too.
 */
#include "test_util.h"

#include <sys/types.h>

static const tos_client *client;
static char dir[] = "/tmp/tos-bad-input-XXXXXX";
static char small_file[256];

static void expect_error(const char *what, tos_result rc, tos_error *error, tos_result expected) {
    CHECK(rc == expected, "%s: expected %s, got %s (%s)", what, tos_result_name(expected), tos_result_name(rc),
          error ? tos_error_message(error) : "no error object");
    CHECK(error != NULL, "%s: no tos_error", what);
    if (error != NULL) {
        const char *message = tos_error_message(error);
        CHECK(tos_error_result(error) == rc, "%s: tos_error_result %s", what, tos_result_name(tos_error_result(error)));
        CHECK(message != NULL && message[0] != '\0', "%s: empty message", what);
        CHECK(!tos_error_is_server_error(error), "%s: marked as a server error", what);
        printf("ok  %-40s %-28s %s\n", what, tos_result_name(rc), message);
    }
    tos_error_free(error);
}

static void base_input(tos_upload_file_input *input) {
    tos_upload_file_input_init(input);
    input->bucket = tu_env("TOS_TEST_BUCKET");
    input->key = "bad-input/object.bin";
    input->file_path = small_file;
    input->part_size = 5 * 1024 * 1024;
}

static void expect_upload(const char *what, const tos_upload_file_input *input, tos_result expected) {
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_upload_file(client, input, &output, &error);
    CHECK(output == NULL, "%s: output written on failure", what);
    tos_upload_file_output_free(output);
    expect_error(what, rc, error, expected);
}

int main(void) {
    tos_upload_file_input input;
    tos_client_options options;
    const tos_client *no_client = NULL;
    tos_error *error = NULL;
    tos_result rc;
    char path[512], log_summary[256];
    char *log;
    int entries;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(small_file, sizeof small_file, "%s/small.bin", dir);
    if (tu_make_file(small_file, 6 * 1024 * 1024) != 0) {
        perror("test file");
        return 1;
    }
    client = tu_client();
    tu_clear_log();

    /* NULL pointers */
    base_input(&input);
    error = NULL;
    rc = tos_upload_file(NULL, &input, NULL, &error);
    expect_error("NULL client", rc, error, TOS_ERR_NULL_ARGUMENT);
    error = NULL;
    rc = tos_upload_file(client, NULL, NULL, &error);
    expect_error("NULL input", rc, error, TOS_ERR_NULL_ARGUMENT);
    error = NULL;
    rc = tos_client_new(NULL, &no_client, &error);
    expect_error("NULL client options", rc, error, TOS_ERR_NULL_ARGUMENT);
    tos_client_options_init(&options);
    error = NULL;
    rc = tos_client_new(&options, NULL, &error);
    expect_error("NULL client_out", rc, error, TOS_ERR_NULL_ARGUMENT);
    CHECK(tos_abort(NULL) == TOS_ERR_NULL_ARGUMENT, "tos_cancel(NULL)");
    CHECK(tos_rate_limiter_set_rate(NULL, 1, 1) == TOS_ERR_NULL_ARGUMENT, "tos_rate_limiter_set_rate(NULL)");
    CHECK(tos_upload_file_input_init(NULL) == TOS_ERR_NULL_ARGUMENT, "tos_upload_file_input_init(NULL)");
    CHECK(tos_upload_file(client, NULL, NULL, NULL) == TOS_ERR_NULL_ARGUMENT, "NULL error_out is allowed");
    base_input(&input);
    input.bucket = NULL;
    expect_upload("NULL bucket", &input, TOS_ERR_NULL_ARGUMENT);
    base_input(&input);
    input.key = NULL;
    expect_upload("NULL key", &input, TOS_ERR_NULL_ARGUMENT);
    base_input(&input);
    input.file_path = NULL;
    expect_upload("NULL file_path", &input, TOS_ERR_NULL_ARGUMENT);
    base_input(&input);
    input.attributes.meta_count = 1;
    expect_upload("NULL meta with meta_count 1", &input, TOS_ERR_NULL_ARGUMENT);

    /* struct_size */
    base_input(&input);
    input.struct_size = 0;
    expect_upload("struct_size 0", &input, TOS_ERR_STRUCT_SIZE);
    base_input(&input);
    input.struct_size = sizeof input + 8;
    expect_upload("struct_size too big", &input, TOS_ERR_STRUCT_SIZE);
    tos_client_options_init(&options);
    options.struct_size = 4;
    error = NULL;
    rc = tos_client_new(&options, &no_client, &error);
    expect_error("client options struct_size 4", rc, error, TOS_ERR_STRUCT_SIZE);
    tos_client_options_init(&options);
    options.addressing = 7;
    error = NULL;
    rc = tos_client_new(&options, &no_client, &error);
    expect_error("addressing out of range", rc, error, TOS_ERR_INVALID_ARGUMENT);
    CHECK(no_client == NULL, "client_out written on failure");

    /* values the engine refuses */
    base_input(&input);
    input.part_size = 1024 * 1024;
    expect_upload("part size 1 MiB", &input, TOS_ERR_INVALID_PART_SIZE);
    base_input(&input);
    input.part_size = 6ULL * 1024 * 1024 * 1024;
    expect_upload("part size 6 GiB", &input, TOS_ERR_INVALID_PART_SIZE);
    base_input(&input);
    input.key = "";
    expect_upload("empty key", &input, TOS_ERR_INVALID_KEY);
    base_input(&input);
    input.bucket = "Invalid_Bucket!";
    expect_upload("invalid bucket name", &input, TOS_ERR_INVALID_BUCKET);
    base_input(&input);
    input.key = "bad-\xc3\x28-utf8";
    expect_upload("invalid UTF-8 in the key", &input, TOS_ERR_INVALID_UTF8);

    /* the file */
    base_input(&input);
    snprintf(path, sizeof path, "%s/does-not-exist.bin", dir);
    input.file_path = path;
    expect_upload("missing file", &input, TOS_ERR_FILE_NOT_FOUND);
    base_input(&input);
    input.file_path = dir;
    expect_upload("a directory", &input, TOS_ERR_FILE_IS_DIRECTORY);
    base_input(&input);
    snprintf(path, sizeof path, "%s/loop", dir);
    if (symlink("loop", path) != 0) {
        perror("symlink");
        return 1;
    }
    input.file_path = path;
    expect_upload("unreadable file (symlink loop)", &input, TOS_ERR_FILE_UNREADABLE);
    base_input(&input);
    snprintf(path, sizeof path, "%s/fifo", dir);
    if (mkfifo(path, 0600) != 0) {
        perror("mkfifo");
        return 1;
    }
    input.file_path = path;
    expect_upload("a FIFO (not a regular file)", &input, TOS_ERR_FILE_UNREADABLE);
    unlink(path);
    base_input(&input);
    snprintf(path, sizeof path, "%s/mode000.bin", dir);
    tu_make_file(path, 1024);
    chmod(path, 0);
    input.file_path = path;
    if (geteuid() != 0) {
        expect_upload("mode 000 file", &input, TOS_ERR_FILE_UNREADABLE);
    } else {
        /* Root reads mode-000 files (CAP_DAC_OVERRIDE). For this one call the effective uid
         * is nobody's: that drops the capability on every thread of the process (glibc sets
         * ids process-wide), the library's workers included; the saved uid, still 0, takes it
         * back after. The folder is opened to others meanwhile, so the file is found and only
         * its opening is refused (EACCES). */
        const uid_t nobody = 65534;
        CHECK(chmod(dir, 0711) == 0, "chmod the test folder");
        input.disable_checkpoint = true; /* nobody may not write the default checkpoint folder */
        if (seteuid(nobody) != 0) {
            perror("seteuid(nobody)");
            return 1;
        }
        expect_upload("mode 000 file (as nobody)", &input, TOS_ERR_FILE_UNREADABLE);
        if (seteuid(0) != 0) {
            perror("seteuid(0)");
            return 1;
        }
        CHECK(chmod(dir, 0700) == 0, "chmod the test folder back");
    }
    unlink(path);

    /* the checkpoint location: its parent is a regular file */
    base_input(&input);
    snprintf(path, sizeof path, "%s/cp.json", small_file);
    input.checkpoint_file = path;
    expect_upload("checkpoint under a regular file", &input, TOS_ERR_CHECKPOINT_PATH);

    /* nothing reached the server */
    log = tu_log();
    entries = tu_log_entries(log);
    snprintf(log_summary, sizeof log_summary, "%.200s", log);
    CHECK(entries == 0, "the server saw %d requests: %s", entries, log_summary);
    free(log);

    tos_client_free(client);
    snprintf(path, sizeof path, "%s/loop", dir);
    unlink(path);
    unlink(small_file);
    rmdir(dir);
    printf("test_bad_input: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
