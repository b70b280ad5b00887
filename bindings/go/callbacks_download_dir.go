package tosupload

// The exported trampolines of folder downloads (trampolines_download_dir.c calls them).
// Declarations only in the preamble, as cgo requires of files with //export.

/*
#include <stdint.h>
#include "tosupload.h"
*/
import "C"

import "runtime/cgo"

//export tosgoDownloadDirProgress
func tosgoDownloadDirProgress(p *C.struct_tos_download_dir_progress, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*downloadDirCallState)
	progress := &DownloadDirProgress{
		BytesDone:       int64(p.bytes_done),
		BytesTotal:      int64(p.bytes_total),
		FilesDone:       int64(p.files_done),
		FilesTotal:      int64(p.files_total),
		FilesSkipped:    int64(p.files_skipped),
		FilesFailed:     int64(p.files_failed),
		ListingComplete: bool(p.listing_complete),
	}
	st.guard(func() { st.downloadDir.DownloadDirProgressListener.DownloadDirProgressChange(progress) })
}

//export tosgoDownloadDirEvent
func tosgoDownloadDirEvent(e *C.struct_tos_download_dir_event, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*downloadDirCallState)
	ev := &DownloadDirEvent{
		Type:            DownloadDirEventType(e.kind),
		Path:            C.GoString(e.path),
		Key:             C.GoString(e.key),
		Size:            int64(e.size),
		ETag:            C.GoString(e.etag), // "" for NULL
		Reason:          C.GoString(e.reason),
		Err:             lentError((*C.struct_tos_error)(e.error)),
		FileConcurrency: int(e.file_concurrency),
	}
	if e.has_crc64 {
		crc := uint64(e.crc64)
		ev.HashCrc64ecma = &crc
	}
	st.guard(func() { st.downloadDir.DownloadDirEventListener.DownloadDirEventChange(ev) })
}

//export tosgoDownloadDirRate
func tosgoDownloadDirRate(want C.uint64_t, waitOut *C.uint64_t, h C.uintptr_t) C.int {
	st := cgo.Handle(h).Value().(*downloadDirCallState)
	return st.rate(st.downloadDir.RateLimiter, want, waitOut)
}
