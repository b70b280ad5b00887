/*
 * download_one [-i] [-t TASKS] BUCKET KEY FILE: one tos_download_file with tosput get's
 * defaults (20 MiB ranges, automatic task count unless -t, checkpoint beside FILE), for
 * bench/download.py over HTTPS: tosput has no option to accept the local server's
 * self-signed certificate, and -i skips the verification (as curl -k). Endpoint and keys come
 * from TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY. Exits 0 on success.
 */
#include "tosupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    tos_client_options options;
    const tos_client *client = NULL;
    tos_download_file_input input;
    tos_download_file_output *output = NULL;
    tos_error *error = NULL;
    int insecure = 0, opt;
    uint32_t tasks = 0;

    while ((opt = getopt(argc, argv, "it:")) != -1) {
        switch (opt) {
        case 'i': insecure = 1; break;
        case 't': tasks = (uint32_t)strtoul(optarg, NULL, 10); break;
        default: goto usage;
        }
    }
    if (argc - optind != 3) {
    usage:
        fprintf(stderr, "usage: download_one [-i] [-t TASKS] BUCKET KEY FILE\n");
        return 2;
    }
    tos_client_options_init(&options);
    options.insecure_skip_tls_verify = insecure;
    if (tos_client_new(&options, &client, &error) != TOS_OK) {
        fprintf(stderr, "client: %s\n", tos_error_message(error));
        tos_error_free(error);
        return 1;
    }
    tos_download_file_input_init(&input);
    input.bucket = argv[optind];
    input.key = argv[optind + 1];
    input.file_path = argv[optind + 2];
    input.task_num = tasks;
    if (tos_download_file(client, &input, &output, &error) != TOS_OK) {
        fprintf(stderr, "download: %s\n", tos_error_message(error));
        tos_error_free(error);
        tos_client_free(client);
        return 1;
    }
    tos_download_file_output_free(output);
    tos_client_free(client);
    return 0;
}
