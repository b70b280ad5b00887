// C side of the callback bridge of DownloadDir (see trampolines.c): the handle in user_data
// names the Go state of one DownloadDir call.
#include <stdint.h>

#include "tosupload.h"
#include "_cgo_export.h"
#include "trampolines.h"

static void tosgo_download_dir_progress(const struct tos_download_dir_progress *progress, void *user_data) {
    tosgoDownloadDirProgress((struct tos_download_dir_progress *)progress, (uintptr_t)user_data);
}

static void tosgo_download_dir_event(const struct tos_download_dir_event *event, void *user_data) {
    tosgoDownloadDirEvent((struct tos_download_dir_event *)event, (uintptr_t)user_data);
}

static int tosgo_download_dir_rate(uint64_t want, uint64_t *wait_ms_out, void *user_data) {
    return tosgoDownloadDirRate(want, wait_ms_out, (uintptr_t)user_data);
}

void tosgo_set_download_dir_callbacks(struct tos_download_dir_input *input, uintptr_t handle, int progress,
                                      int event, int rate) {
    TOSGO_SET_LISTENERS(input, handle, progress, event, rate, tosgo_download_dir_progress,
                        tosgo_download_dir_event, tosgo_download_dir_rate);
}
