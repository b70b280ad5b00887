/* A program of the 0.2.0 era, compiled against that release's header (v0.2.0/tosupload.h). 1.0
 * changed the ABI, so such a binary must not load the 1.x library at all: its DT_NEEDED names
 * libtosupload.so.0, and 1.x is libtosupload.so.1. run_release_programs.py checks that the
 * loader refuses it rather than letting it call 1.x functions with 0.x structs. */
#include "tosupload.h"

#include <stdio.h>

int main(void) {
    tos_client_options options;
    const tos_client *client = NULL;
    tos_error *error = NULL;
    tos_client_options_init(&options);
    if (tos_client_new(&options, &client, &error) != TOS_OK) {
        tos_error_free(error);
        return 1;
    }
    /* 0.2.0 names, gone in 1.0. */
    printf("%s\n", tos_upload_output_etag(NULL) == NULL ? "0.2.0 API" : "?");
    tos_client_free(client);
    return 0;
}
