/*
 * tos_list_multipart_uploads and tos_abort_multipart_upload: bad input is refused with its
 * specific code before anything is sent (the server log stays empty), and an upload left
 * open by a paused tos_upload_file is listed with the id the server holds, then aborted.
 */
#include "test_util.h"

static const tos_client *client;

static void expect_code(const char *what, tos_result rc, tos_error *error, tos_result expected) {
    CHECK(rc == expected, "%s: expected %s, got %s (%s)", what, tos_result_name(expected), tos_result_name(rc),
          error ? tos_error_message(error) : "no error object");
    CHECK(error != NULL && tos_error_message(error)[0] != '\0', "%s: no message", what);
    if (error != NULL) {
        printf("ok  %-36s %-26s %s\n", what, tos_result_name(rc), tos_error_message(error));
    }
    tos_error_free(error);
}

static void expect_list(const char *what, const tos_client *c, const tos_list_multipart_uploads_input *input,
                        tos_result expected) {
    tos_list_multipart_uploads_output *list = NULL;
    tos_error *error = NULL;
    tos_result rc = tos_list_multipart_uploads(c, input, &list, &error);
    CHECK(list == NULL, "%s: list written on failure", what);
    tos_list_multipart_uploads_output_free(list);
    expect_code(what, rc, error, expected);
}

static void expect_abort(const char *what, const tos_client *c, const char *bucket, const char *key,
                         const char *upload_id, tos_result expected) {
    tos_abort_multipart_upload_input input;
    tos_error *error = NULL;
    tos_result rc;
    tos_abort_multipart_upload_input_init(&input);
    input.bucket = bucket;
    input.key = key;
    input.upload_id = upload_id;
    rc = tos_abort_multipart_upload(c, &input, &error);
    expect_code(what, rc, error, expected);
}

static void refuse_bad_input(const char *bucket) {
    tos_list_multipart_uploads_input input;
    tos_error *error = NULL;
    tos_result rc;
    int entries;
    char *log;

    tos_list_multipart_uploads_input_init(&input);
    input.bucket = bucket;
    expect_list("list: NULL client", NULL, &input, TOS_ERR_NULL_ARGUMENT);
    expect_list("list: NULL input", client, NULL, TOS_ERR_NULL_ARGUMENT);
    input.struct_size = 0;
    expect_list("list: struct_size 0", client, &input, TOS_ERR_STRUCT_SIZE);
    input.struct_size = sizeof input + 8;
    expect_list("list: struct_size too large", client, &input, TOS_ERR_STRUCT_SIZE);
    tos_list_multipart_uploads_input_init(&input);
    expect_list("list: NULL bucket", client, &input, TOS_ERR_NULL_ARGUMENT);
    input.bucket = "Not_A_Bucket";
    expect_list("list: invalid bucket", client, &input, TOS_ERR_INVALID_BUCKET);
    input.bucket = bucket;
    input.prefix = "bad-\xc3\x28";
    expect_list("list: prefix not UTF-8", client, &input, TOS_ERR_INVALID_UTF8);
    input.prefix = "line\nbreak";
    expect_list("list: invalid prefix", client, &input, TOS_ERR_INVALID_KEY);
    input.prefix = NULL;
    input.page_size = 1001;
    expect_list("list: page size above 1000", client, &input, TOS_ERR_INVALID_ARGUMENT);
    input.page_size = 0;
    rc = tos_list_multipart_uploads(client, &input, NULL, &error);
    expect_code("list: NULL output_out", rc, error, TOS_ERR_NULL_ARGUMENT);
    error = NULL;

    expect_abort("abort: NULL client", NULL, bucket, "k", "id", TOS_ERR_NULL_ARGUMENT);
    expect_abort("abort: NULL bucket", client, NULL, "k", "id", TOS_ERR_NULL_ARGUMENT);
    expect_abort("abort: NULL key", client, bucket, NULL, "id", TOS_ERR_NULL_ARGUMENT);
    expect_abort("abort: NULL upload id", client, bucket, "k", NULL, TOS_ERR_NULL_ARGUMENT);
    expect_abort("abort: empty upload id", client, bucket, "k", "", TOS_ERR_INVALID_ARGUMENT);
    expect_abort("abort: empty key", client, bucket, "", "id", TOS_ERR_INVALID_KEY);
    expect_abort("abort: invalid bucket", client, "Not_A_Bucket", "k", "id", TOS_ERR_INVALID_BUCKET);

    /* The getters and the free take NULL and out-of-range indexes. */
    CHECK(tos_list_multipart_uploads_output_count(NULL) == 0, "count of NULL");
    CHECK(tos_list_multipart_uploads_output_key(NULL, 0) == NULL, "key of NULL");
    CHECK(tos_list_multipart_uploads_output_upload_id(NULL, 0) == NULL, "upload id of NULL");
    CHECK(tos_list_multipart_uploads_output_initiated(NULL, 0) == 0, "initiated of NULL");
    tos_list_multipart_uploads_output_free(NULL);
    CHECK(tos_list_multipart_uploads_input_init(NULL) == TOS_ERR_NULL_ARGUMENT, "init(NULL)");

    log = tu_log();
    entries = tu_log_entries(log);
    CHECK(entries == 0, "bad input reached the server: %d requests: %.200s", entries, log);
    free(log);
}

static void pause_at_create(const tos_upload_event *event, void *user_data) {
    if (event->kind == TOS_UPLOAD_EVENT_KIND_CREATE_MULTIPART_UPLOAD_SUCCEEDED) {
        tos_cancel((const tos_cancel_hook *)user_data, false);
    }
}

/* A paused tos_upload_file leaves its multipart upload open on the server. */
static void leave_open_upload(const char *bucket, const char *key, const char *path) {
    tos_upload_file_input input;
    tos_error *error = NULL;
    tos_upload_file_output *output = NULL;
    const tos_cancel_hook *hook = tos_cancel_hook_new();
    tos_result rc;
    tos_upload_file_input_init(&input);
    input.bucket = bucket;
    input.key = key;
    input.file_path = path;
    input.part_size = 5 * 1024 * 1024;
    input.disable_checkpoint = true;
    input.cancel_hook = hook;
    input.event_cb = pause_at_create;
    input.event_user_data = (void *)hook;
    rc = tos_upload_file(client, &input, &output, &error);
    CHECK(rc == TOS_PAUSED && output == NULL, "upload: %s %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    tos_error_free(error);
    tos_cancel_hook_free(hook);
}

static void list_then_abort(const char *bucket) {
    char path[] = "/tmp/tos-uploads-api-XXXXXX", admin_path[256], id[128];
    tos_list_multipart_uploads_input input;
    tos_list_multipart_uploads_output *list = NULL;
    tos_error *error = NULL;
    tos_result rc;
    char *open_ids;
    int fd = mkstemp(path), status = 0;
    long age;

    CHECK(fd >= 0, "mkstemp");
    close(fd);
    CHECK(tu_make_file(path, 6 * 1024 * 1024) == 0, "test file");
    leave_open_upload(bucket, "api/left.bin", path);
    leave_open_upload(bucket, "elsewhere.bin", path);

    tos_list_multipart_uploads_input_init(&input);
    input.bucket = bucket;
    input.prefix = "api/";
    rc = tos_list_multipart_uploads(client, &input, &list, &error);
    CHECK(rc == TOS_OK, "list: %s %s", tos_result_name(rc), error ? tos_error_message(error) : "");
    CHECK(tos_list_multipart_uploads_output_count(list) == 1, "count %zu", tos_list_multipart_uploads_output_count(list));
    if (tos_list_multipart_uploads_output_count(list) == 1) {
        CHECK(strcmp(tos_list_multipart_uploads_output_key(list, 0), "api/left.bin") == 0, "key %s",
              tos_list_multipart_uploads_output_key(list, 0));
        snprintf(id, sizeof id, "%s", tos_list_multipart_uploads_output_upload_id(list, 0));
        snprintf(admin_path, sizeof admin_path, "/uploads?bucket=%s", bucket);
        open_ids = tu_admin("GET", admin_path, NULL, &status);
        CHECK(open_ids != NULL && strstr(open_ids, id) != NULL, "the server does not hold %s: %s", id,
              open_ids ? open_ids : "(no answer)");
        free(open_ids);
        age = (long)(time(NULL) - tos_list_multipart_uploads_output_initiated(list, 0));
        CHECK(age >= -5 && age < 120, "initiated %ld s ago", age);
        CHECK(tos_list_multipart_uploads_output_key(list, 1) == NULL, "key past the count");

        tos_abort_multipart_upload_input abort_input;
        tos_abort_multipart_upload_input_init(&abort_input);
        abort_input.bucket = bucket;
        abort_input.key = "api/left.bin";
        abort_input.upload_id = id;
        rc = tos_abort_multipart_upload(client, &abort_input, &error);
        CHECK(rc == TOS_OK, "abort: %s %s", tos_result_name(rc), error ? tos_error_message(error) : "");
        open_ids = tu_admin("GET", admin_path, NULL, &status);
        CHECK(open_ids != NULL && strstr(open_ids, id) == NULL, "still open after abort: %s",
              open_ids ? open_ids : "(no answer)");
        free(open_ids);
        rc = tos_abort_multipart_upload(client, &abort_input, &error);
        CHECK(rc == TOS_ERR_SERVER && error != NULL && strcmp(tos_error_code(error), "NoSuchUpload") == 0,
              "second abort: %s", tos_result_name(rc));
        tos_error_free(error);
        error = NULL;
    }
    tos_list_multipart_uploads_output_free(list);
    unlink(path);
}

int main(void) {
    const char *bucket = tu_env("TOS_TEST_BUCKET");
    client = tu_client();
    tu_clear_log();
    refuse_bad_input(bucket);
    list_then_abort(bucket);
    tos_client_free(client);
    if (tu_failures) {
        fprintf(stderr, "%d failure(s)\n", tu_failures);
        return 1;
    }
    printf("all passed\n");
    return 0;
}
