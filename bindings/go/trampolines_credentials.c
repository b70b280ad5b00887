// C side of CredentialsProvider: the library calls this plain C function, which forwards to
// the exported Go function with the cgo.Handle that credentials_user_data carries.
#include <stdint.h>

#include "tosupload.h"
#include "_cgo_export.h"

static tos_result tosgo_credentials(struct tos_provided_credentials *out, void *user_data) {
    return (tos_result)tosgoCredentials(out, (uintptr_t)user_data);
}

void tosgo_set_credentials(struct tos_client_options *options, uintptr_t handle) {
    options->credentials_cb = tosgo_credentials;
    options->credentials_user_data = (void *)handle;
}
