/*
 * One upload through the C API, reported field by field for a Python driver to check
 * (tests/c/test_foreign_answers.py): the result, every tos_error getter, and each line the
 * log callback received (DEBUG and above).
 *
 * usage: upload_report tos|s3 ENDPOINT BUCKET KEY FILE
 * Credentials come from the protocol's environment variables (TOS_CREDENTIALS_AUTO).
 * Exits 0 when it could report, whatever the upload's result.
 */
#include "tosupload.h"

#include <stdio.h>
#include <string.h>

static void on_log(uint32_t level, const char *message, void *user_data) {
    (void)user_data;
    printf("LOG %u %s\n", (unsigned)level, message);
}

int main(int argc, char **argv) {
    tos_client_options options;
    const tos_client *client = NULL;
    tos_upload_file_input input;
    tos_upload_file_output *output = NULL;
    tos_error *error = NULL;
    tos_result rc;
    if (argc != 6) {
        fprintf(stderr, "usage: upload_report tos|s3 ENDPOINT BUCKET KEY FILE\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    tos_set_log_callback(on_log, TOS_LOG_LEVEL_DEBUG, NULL);
    tos_client_options_init(&options);
    options.protocol = strcmp(argv[1], "s3") == 0 ? TOS_PROTOCOL_S3 : TOS_PROTOCOL_TOS;
    options.endpoint = argv[2];
    options.max_retry_count = -1;
    rc = tos_client_new(&options, &client, &error);
    if (rc == TOS_OK) {
        tos_upload_file_input_init(&input);
        input.bucket = argv[3];
        input.key = argv[4];
        input.file_path = argv[5];
        input.disable_checkpoint = true;
        rc = tos_upload_file(client, &input, &output, &error);
    }
    printf("RESULT %s\n", tos_result_name(rc));
    if (error != NULL) {
        printf("SERVER_ERROR %d\n", tos_error_is_server_error(error) ? 1 : 0);
        printf("STATUS %u\n", (unsigned)tos_error_http_status(error));
        printf("CODE %s\n", tos_error_code(error));
        printf("EC %s\n", tos_error_ec(error));
        printf("MESSAGE %s\n", tos_error_message(error));
        printf("SERVER_MESSAGE %s\n", tos_error_server_message(error));
        printf("CAUSE %s\n", tos_error_cause(error));
    }
    tos_upload_file_output_free(output);
    tos_error_free(error);
    tos_client_free(client);
    tos_set_log_callback(NULL, 0, NULL);
    return 0;
}
