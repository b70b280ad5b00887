package tosupload

// The exported trampolines the C side (trampolines.c) calls. This file's preamble holds only
// declarations, as cgo requires of files with //export.

/*
#include <stdint.h>
#include "tosupload.h"
*/
import "C"

import (
	"runtime/cgo"
	"time"
)

//export tosgoProgress
func tosgoProgress(p *C.struct_tos_upload_progress, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*callState)
	status := &DataTransferStatus{
		TotalBytes:    int64(p.total_bytes),
		ConsumedBytes: int64(p.consumed_bytes),
		RWOnceBytes:   int64(p.rw_once_bytes),
		Type:          DataTransferType(p.kind),
	}
	st.guard(func() { st.in.DataTransferListener.DataTransferStatusChange(status) })
}

func optString(p *C.char) *string {
	if p == nil {
		return nil
	}
	s := C.GoString(p)
	return &s
}

//export tosgoEvent
func tosgoEvent(e *C.struct_tos_upload_event, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*callState)
	ev := &UploadEvent{
		Type:           UploadEventType(e.kind),
		Bucket:         C.GoString(e.bucket),
		Key:            C.GoString(e.key),
		UploadID:       optString(e.upload_id),
		CheckpointFile: optString(e.checkpoint_file),
		TaskNum:        int(e.task_num),
		Err:            lentError((*C.struct_tos_error)(e.error)),
	}
	if e.has_part {
		part := &UploadPartInfo{
			PartNumber: int(e.part.number),
			PartSize:   int64(e.part.size),
			Offset:     uint64(e.part.offset),
		}
		if e.part.etag != nil {
			part.ETag = C.GoString(e.part.etag)
		}
		if e.part.has_crc64 {
			crc := uint64(e.part.crc64)
			part.HashCrc64ecma = &crc
		}
		ev.UploadPartInfo = part
	}
	st.guard(func() { st.in.UploadEventListener.EventChange(ev) })
}

//export tosgoRate
func tosgoRate(want C.uint64_t, waitOut *C.uint64_t, h C.uintptr_t) C.int {
	st := cgo.Handle(h).Value().(*callState)
	return st.rate(st.in.RateLimiter, want, waitOut)
}

// rate asks the caller's RateLimiter through guard (tosgoRate and tosgoDirRate): 1 = send
// now (also once a listener panicked), 0 = wait *waitOut ms (at least 1) and ask again.
func (st *callState) rate(limiter RateLimiter, want C.uint64_t, waitOut *C.uint64_t) C.int {
	ok, wait := true, time.Duration(0)
	st.guard(func() { ok, wait = limiter.Acquire(int64(want)) })
	if ok || st.panicked {
		return 1
	}
	ms := wait.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	*waitOut = C.uint64_t(ms)
	return 0
}

// lentError copies the error an event lends to its callback (never freed here) into an
// *Error; a nil error (not a nil *Error) for NULL, since the events' Err fields are errors.
func lentError(e *C.struct_tos_error) error {
	if e == nil {
		return nil
	}
	return newError(Result(C.tos_error_result(e)), e)
}

//export tosgoDownloadProgress
func tosgoDownloadProgress(p *C.struct_tos_download_progress, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*downloadCallState)
	status := &DataTransferStatus{
		TotalBytes:    int64(p.total_bytes),
		ConsumedBytes: int64(p.consumed_bytes),
		RWOnceBytes:   int64(p.rw_once_bytes),
		Type:          DataTransferType(p.kind),
	}
	st.guard(func() { st.download.DataTransferListener.DataTransferStatusChange(status) })
}

//export tosgoDownloadEvent
func tosgoDownloadEvent(e *C.struct_tos_download_event, h C.uintptr_t) {
	st := cgo.Handle(h).Value().(*downloadCallState)
	ev := &DownloadEvent{
		Type:           DownloadEventType(e.kind),
		Bucket:         C.GoString(e.bucket),
		Key:            C.GoString(e.key),
		VersionID:      C.GoString(e.version_id), // "" for NULL
		FilePath:       C.GoString(e.file_path),
		TempFilePath:   optString(e.temp_file),
		CheckpointFile: optString(e.checkpoint_file),
		TaskNum:        int(e.task_num),
		Err:            lentError((*C.struct_tos_error)(e.error)),
	}
	if e.has_part {
		part := &DownloadPartInfo{
			PartNumber: int(e.part.number),
			RangeStart: int64(e.part.range_start),
			RangeEnd:   int64(e.part.range_end),
		}
		if e.part.has_crc64 {
			crc := uint64(e.part.crc64)
			part.HashCrc64ecma = &crc
		}
		ev.DownloadPartInfo = part
	}
	st.guard(func() { st.download.DownloadEventListener.EventChange(ev) })
}

//export tosgoDownloadRate
func tosgoDownloadRate(want C.uint64_t, waitOut *C.uint64_t, h C.uintptr_t) C.int {
	st := cgo.Handle(h).Value().(*downloadCallState)
	return st.rate(st.download.RateLimiter, want, waitOut)
}
