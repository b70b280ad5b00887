/*
 * A server error reaches C with its details: the server answers CreateMultipartUpload with
 * 403 AccessDenied (fault injection), and tos_upload_file returns TOS_ERR_SERVER with a
 * tos_error carrying the HTTP status, Code, Message, RequestId and EC; the error event
 * lends the same details to the event callback.
 */
#include "test_util.h"

struct seen {
    int create_failed;
    unsigned status;
    char code[64];
};

static void on_event(const tos_upload_event *event, void *user_data) {
    struct seen *seen = user_data;
    if (event->kind == TOS_UPLOAD_EVENT_KIND_CREATE_MULTIPART_UPLOAD_FAILED) {
        seen->create_failed++;
        CHECK(event->error != NULL, "failure event without an error");
        if (event->error != NULL) {
            seen->status = tos_error_http_status(event->error);
            snprintf(seen->code, sizeof seen->code, "%s", tos_error_code(event->error));
        }
    }
}

int main(void) {
    char dir[] = "/tmp/tos-server-error-XXXXXX";
    char file[256];
    const tos_client *client;
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    struct seen seen;
    tos_result rc;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(file, sizeof file, "%s/data.bin", dir);
    if (tu_make_file(file, 6 * 1024 * 1024) != 0) {
        perror("test file");
        return 1;
    }
    client = tu_client();
    tu_add_fault("{\"op\":\"CreateMultipartUpload\",\"times\":10,\"action\":{\"kind\":\"status\",\"status\":403,"
                 "\"code\":\"AccessDenied\",\"message\":\"injected by the test\"}}");
    memset(&seen, 0, sizeof seen);
    tos_upload_file_input_init(&input);
    input.bucket = tu_env("TOS_TEST_BUCKET");
    input.key = "server-error/object.bin";
    input.file_path = file;
    input.part_size = 5 * 1024 * 1024;
    input.disable_checkpoint = true;
    input.event_cb = on_event;
    input.event_user_data = &seen;
    rc = tos_upload_file(client, &input, &output, &error);
    CHECK(rc == TOS_ERR_SERVER, "expected TOS_ERR_SERVER, got %s", tos_result_name(rc));
    CHECK(output == NULL, "output written on failure");
    CHECK(error != NULL, "no error object");
    if (error != NULL) {
        printf("%s: %s\n  HTTP %u Code %s Message %s RequestId %s EC %s HostId %s\n", tos_result_name(rc),
               tos_error_message(error), (unsigned)tos_error_http_status(error), tos_error_code(error),
               tos_error_server_message(error), tos_error_request_id(error), tos_error_ec(error),
               tos_error_host_id(error));
        CHECK(tos_error_result(error) == TOS_ERR_SERVER, "tos_error_result");
        CHECK(tos_error_is_server_error(error), "not marked as a server error");
        CHECK(tos_error_http_status(error) == 403, "status %u", (unsigned)tos_error_http_status(error));
        CHECK(strcmp(tos_error_code(error), "AccessDenied") == 0, "code %s", tos_error_code(error));
        CHECK(strstr(tos_error_server_message(error), "injected") != NULL, "message %s",
              tos_error_server_message(error));
        CHECK(tos_error_request_id(error)[0] != '\0', "empty request id");
        /* The server's error body carries EC (TOS's "SSSS-NNNNNNNN", 0403-00000005 for
         * AccessDenied) and HostId: both must reach the error object as sent. */
        CHECK(strcmp(tos_error_ec(error), "0403-00000005") == 0, "EC %s", tos_error_ec(error));
        CHECK(strcmp(tos_error_host_id(error), "tos-local-server") == 0, "HostId %s", tos_error_host_id(error));
        CHECK(tos_error_message(error)[0] != '\0', "empty message");
    }
    CHECK(seen.create_failed == 1, "%d CreateMultipartUpload failure events", seen.create_failed);
    CHECK(seen.status == 403 && strcmp(seen.code, "AccessDenied") == 0, "event error: %u %s", seen.status, seen.code);
    tos_error_free(error);
    tos_upload_file_output_free(output);
    tos_client_free(client);
    unlink(file);
    rmdir(dir);
    printf("test_server_error: %s\n", tu_failures ? "FAILED" : "all checks passed");
    return tu_failures ? 1 : 0;
}
