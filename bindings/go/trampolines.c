// C side of the callback bridge of UploadFile and UploadStream. The library calls these plain
// C functions; each forwards to an exported Go function with the cgo.Handle that user_data
// carries, so no Go pointer ever crosses into C (cgo pointer rules) and no integer-to-pointer
// conversion happens in Go (go vet's unsafeptr check).
#include <stdint.h>

#include "tosupload.h"
#include "_cgo_export.h"
#include "trampolines.h"

static void tosgo_progress(const struct tos_upload_progress *progress, void *user_data) {
    tosgoProgress((struct tos_upload_progress *)progress, (uintptr_t)user_data);
}

static void tosgo_event(const struct tos_upload_event *event, void *user_data) {
    tosgoEvent((struct tos_upload_event *)event, (uintptr_t)user_data);
}

static int tosgo_rate(uint64_t want, uint64_t *wait_ms_out, void *user_data) {
    return tosgoRate(want, wait_ms_out, (uintptr_t)user_data);
}

void tosgo_set_callbacks(struct tos_upload_file_input *input, uintptr_t handle, int progress, int event,
                         int rate) {
    TOSGO_SET_LISTENERS(input, handle, progress, event, rate, tosgo_progress, tosgo_event, tosgo_rate);
}

static int64_t tosgo_read(uint8_t *buf, size_t capacity, void *user_data) {
    return tosgoRead(buf, capacity, (uintptr_t)user_data);
}

// The listeners of a stream reach the same callState as UploadFile's, through handle; the
// reader has its own handle (read_handle), since it needs more than a callState.
void tosgo_set_stream_callbacks(struct tos_upload_stream_input *input, uintptr_t read_handle, uintptr_t handle,
                                int progress, int event, int rate) {
    input->read_cb = tosgo_read;
    input->read_user_data = (void *)read_handle;
    TOSGO_SET_LISTENERS(input, handle, progress, event, rate, tosgo_progress, tosgo_event, tosgo_rate);
}
