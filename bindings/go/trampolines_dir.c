// C side of the callback bridge for folder uploads (see trampolines.c): the handle in
// user_data names the Go state of one UploadDir call.
#include <stdint.h>

#include "tosupload.h"
#include "_cgo_export.h"
#include "trampolines.h"

static void tosgo_dir_progress(const struct tos_upload_dir_progress *progress, void *user_data) {
    tosgoDirProgress((struct tos_upload_dir_progress *)progress, (uintptr_t)user_data);
}

static void tosgo_dir_event(const struct tos_upload_dir_event *event, void *user_data) {
    tosgoDirEvent((struct tos_upload_dir_event *)event, (uintptr_t)user_data);
}

static int tosgo_dir_rate(uint64_t want, uint64_t *wait_ms_out, void *user_data) {
    return tosgoDirRate(want, wait_ms_out, (uintptr_t)user_data);
}

void tosgo_set_dir_callbacks(struct tos_upload_dir_input *input, uintptr_t handle, int progress, int event,
                             int rate) {
    TOSGO_SET_LISTENERS(input, handle, progress, event, rate, tosgo_dir_progress, tosgo_dir_event,
                        tosgo_dir_rate);
}
