/*
 * tos_client_options.credentials: a program chooses where credentials come from without
 * touching its own environment. The process's TOS_* keys are set to wrong values here, as a
 * user's own keys for another account would be; then:
 *  - STATIC with the right keys uploads (the environment is not read);
 *  - AUTO with empty fields signs with the environment's keys (the server refuses them);
 *  - ANONYMOUS sends unsigned requests (the server refuses them as unsigned, not as a wrong key);
 *  - ENVIRONMENT reads the variables (right keys put back: it uploads);
 *  - and the bad combinations are refused before anything is sent (CALLBACK without its
 *    callback among them; tests/c/test_credentials_callback.c tests it with one).
 */
#include "test_util.h"

static const char *bucket;
static char path[256];

static tos_result make_client(uint32_t source, const char *access, const char *secret, const tos_client **client,
                              tos_error **error) {
    tos_client_options options;
    tos_client_options_init(&options);
    options.endpoint = tu_env("TOS_ENDPOINT");
    options.region = tu_env("TOS_REGION");
    options.access_key = access;
    options.secret_key = secret;
    options.credentials = source;
    options.max_retry_count = -1;
    return tos_client_new(&options, client, error);
}

/* Uploads the test file with a client of `source`; returns the result, and the server's error
 * code in `code` (size 64). */
static tos_result upload_with(uint32_t source, const char *access, const char *secret, char *code) {
    const tos_client *client = NULL;
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc = make_client(source, access, secret, &client, &error);
    code[0] = '\0';
    if (rc == TOS_OK) {
        tos_upload_file_input_init(&input);
        input.bucket = bucket;
        input.key = "credentials/file.bin";
        input.file_path = path;
        input.disable_checkpoint = true;
        rc = tos_upload_file(client, &input, &output, &error);
    }
    if (error != NULL) {
        snprintf(code, 64, "%s", tos_error_code(error));
    }
    tos_upload_file_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    return rc;
}

int main(void) {
    char access[128], secret[128], code[64];
    const tos_client *client = NULL;
    tos_error *error = NULL;
    tos_result rc;

    bucket = tu_env("TOS_TEST_BUCKET");
    snprintf(access, sizeof access, "%s", tu_env("TOS_ACCESS_KEY"));
    snprintf(secret, sizeof secret, "%s", tu_env("TOS_SECRET_KEY"));
    snprintf(path, sizeof path, "/tmp/tos-credentials-%d.bin", (int)getpid());
    CHECK(tu_make_file(path, 4096) == 0, "test file");
    /* Before any thread of the library exists. */
    setenv("TOS_ACCESS_KEY", "AKLTsomeoneelse", 1);
    setenv("TOS_SECRET_KEY", "not-the-secret", 1);

    rc = upload_with(TOS_CREDENTIALS_STATIC, access, secret, code);
    CHECK(rc == TOS_OK, "STATIC with the right keys: %s %s", tos_result_name(rc), code);

    rc = upload_with(TOS_CREDENTIALS_AUTO, NULL, NULL, code);
    CHECK(rc == TOS_ERR_SERVER && strcmp(code, "InvalidAccessKeyId") == 0,
          "AUTO with empty fields must sign with the environment's (wrong) key: %s %s", tos_result_name(rc), code);

    rc = upload_with(TOS_CREDENTIALS_ANONYMOUS, NULL, NULL, code);
    CHECK(rc == TOS_ERR_SERVER && strcmp(code, "AccessDenied") == 0,
          "ANONYMOUS must send unsigned requests: %s %s", tos_result_name(rc), code);

    setenv("TOS_ACCESS_KEY", access, 1);
    setenv("TOS_SECRET_KEY", secret, 1);
    rc = upload_with(TOS_CREDENTIALS_ENVIRONMENT, NULL, NULL, code);
    CHECK(rc == TOS_OK, "ENVIRONMENT with the right keys there: %s %s", tos_result_name(rc), code);

    rc = make_client(TOS_CREDENTIALS_STATIC, NULL, NULL, &client, &error);
    CHECK(rc == TOS_ERR_MISSING_CREDENTIALS && client == NULL, "STATIC without a key: %s", tos_result_name(rc));
    tos_error_free(error);
    error = NULL;
    rc = make_client(TOS_CREDENTIALS_ANONYMOUS, access, secret, &client, &error);
    CHECK(rc == TOS_ERR_INVALID_ARGUMENT && client == NULL, "ANONYMOUS with keys: %s", tos_result_name(rc));
    tos_error_free(error);
    error = NULL;
    rc = make_client(TOS_CREDENTIALS_ENVIRONMENT, access, secret, &client, &error);
    CHECK(rc == TOS_ERR_INVALID_ARGUMENT && client == NULL, "ENVIRONMENT with keys: %s", tos_result_name(rc));
    tos_error_free(error);
    error = NULL;
    rc = make_client(TOS_CREDENTIALS_CALLBACK, NULL, NULL, &client, &error);
    CHECK(rc == TOS_ERR_MISSING_CREDENTIALS && client == NULL, "CALLBACK without credentials_cb: %s",
          tos_result_name(rc));
    CHECK(error != NULL && strstr(tos_error_message(error), "credentials_cb") != NULL, "the message names the callback");
    tos_error_free(error);
    error = NULL;
    rc = make_client(5, NULL, NULL, &client, &error);
    CHECK(rc == TOS_ERR_INVALID_ARGUMENT && client == NULL, "an unknown source: %s", tos_result_name(rc));
    CHECK(error != NULL && strstr(tos_error_message(error), "options->credentials") != NULL, "the message names the field");
    tos_error_free(error);
    unsetenv("TOS_ACCESS_KEY");
    rc = make_client(TOS_CREDENTIALS_ENVIRONMENT, NULL, NULL, &client, &error);
    CHECK(rc == TOS_ERR_MISSING_CREDENTIALS && client == NULL, "ENVIRONMENT without TOS_ACCESS_KEY: %s",
          tos_result_name(rc));
    tos_error_free(error);

    unlink(path);
    printf("test_credentials: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
