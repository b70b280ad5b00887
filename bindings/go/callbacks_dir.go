package tosupload

// The exported trampolines of folder uploads (trampolines_dir.c calls them). Declarations
// only in the preamble, as cgo requires of files with //export.

/*
#include <stdint.h>
#include "tosupload.h"
*/
import "C"

import "runtime/cgo"

//export tosgoDirProgress
func tosgoDirProgress(p *C.struct_tos_upload_dir_progress, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*dirCallState)
	progress := &DirProgress{
		BytesDone:    int64(p.bytes_done),
		BytesTotal:   int64(p.bytes_total),
		FilesDone:    int64(p.files_done),
		FilesTotal:   int64(p.files_total),
		FilesSkipped: int64(p.files_skipped),
		FilesFailed:  int64(p.files_failed),
		WalkComplete: bool(p.walk_complete),
	}
	st.guard(func() { st.dir.DirProgressListener.DirProgressChange(progress) })
}

//export tosgoDirEvent
func tosgoDirEvent(e *C.struct_tos_upload_dir_event, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*dirCallState)
	ev := &DirEvent{
		Type:            DirEventType(e.kind),
		Path:            C.GoString(e.path),
		Key:             C.GoString(e.key),
		Size:            int64(e.size),
		Err:             lentError((*C.struct_tos_error)(e.error)),
		FileConcurrency: int(e.file_concurrency),
	}
	if e.etag != nil {
		ev.ETag = C.GoString(e.etag)
	}
	if e.has_crc64 {
		crc := uint64(e.crc64)
		ev.HashCrc64ecma = &crc
	}
	if e.reason != nil {
		ev.Reason = C.GoString(e.reason)
	}
	st.guard(func() { st.dir.DirEventListener.DirEventChange(ev) })
}

//export tosgoDirRate
func tosgoDirRate(want C.uint64_t, waitOut *C.uint64_t, h C.uintptr_t) C.int {
	st := cgo.Handle(h).Value().(*dirCallState)
	return st.rate(st.dir.RateLimiter, want, waitOut)
}
