package tosupload

/*
#include <stdint.h>
#include <stdlib.h>
#include "tosupload.h"

void tosgo_set_download_callbacks(struct tos_download_file_input *input, uintptr_t handle, int progress,
                                  int event, int rate);
*/
import "C"

import (
	"context"
	"runtime"
	"time"
)

// ResultObjectChanged: the object was replaced on the server during DownloadFile; nothing is
// at the destination and the temporary file and checkpoint are removed, so the next call
// downloads the new object from the start.
const ResultObjectChanged Result = C.TOS_ERR_OBJECT_CHANGED

// ResultLocalWrite: DownloadFile could not write, sync or rename a local file (no space, a
// read-only directory, permission denied); the message names the path. The checkpoint stays,
// so the same call resumes once the cause is fixed.
const ResultLocalWrite Result = C.TOS_ERR_LOCAL_WRITE

// ResultCheckpointInUse: another run (another process, or another call in this one) is
// working on the same checkpoint or folder journal: the same DownloadFile, UploadFile,
// DownloadDir or UploadDir with checkpointing on. The call failed before any request and
// touched nothing; the message names the checkpoint (since 1.2.0).
const ResultCheckpointInUse Result = C.TOS_ERR_CHECKPOINT_IN_USE

// ErrCheckpointInUse is for errors.Is on the error of any resumable call.
var ErrCheckpointInUse error = ResultCheckpointInUse

// ErrObjectChanged and ErrLocalWrite are for errors.Is on the error of DownloadFile, and on
// the Err of a DownloadDir failure.
var (
	ErrObjectChanged error = ResultObjectChanged
	ErrLocalWrite    error = ResultLocalWrite
)

// DownloadEventType is the kind of a DownloadEvent; 1-7 are the Go SDK's, 8 and up are ours.
type DownloadEventType int

const (
	DownloadEventCreateTempFileSucceeded DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_CREATE_TEMP_FILE_SUCCEEDED // TempFilePath is set
	DownloadEventCreateTempFileFailed    DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_CREATE_TEMP_FILE_FAILED    // Err says why
	DownloadEventDownloadPartSucceeded   DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_SUCCEEDED    // the range is written, synced and recorded
	DownloadEventDownloadPartFailed      DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_FAILED       // after its retries; Err says why
	// Aborted by CancelHook.Cancel(true), or by HTTP 403/404/405 on a range.
	DownloadEventDownloadPartAborted     DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_ABORTED
	DownloadEventRenameTempFileSucceeded DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_RENAME_TEMP_FILE_SUCCEEDED // the file is at FilePath
	DownloadEventRenameTempFileFailed    DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_RENAME_TEMP_FILE_FAILED    // Err says why
	// A range attempt failed and is retried from its last byte written; Err says why.
	DownloadEventDownloadPartRetry DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_PART_RETRY
	// The checkpoint was valid: its ranges, each checked against the temporary file, are kept.
	DownloadEventDownloadResumed DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_DOWNLOAD_RESUMED
	// The checkpoint, or one range it records, was unusable (Err says why): fetched afresh.
	DownloadEventCheckpointDiscarded DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_CHECKPOINT_DISCARDED
	// TaskNum (0: automatic) chose TaskNum ranges at once; also sent once at the start.
	DownloadEventTaskNumChanged DownloadEventType = C.TOS_DOWNLOAD_EVENT_KIND_TASK_NUM_CHANGED
)

// DownloadPartInfo describes one range of the object (RangeEnd inclusive, as in the Go SDK).
type DownloadPartInfo struct {
	PartNumber    int
	RangeStart    int64
	RangeEnd      int64
	HashCrc64ecma *uint64 // the range's CRC-64/XZ, set when the range was written
}

// DownloadEvent is one step of a download (as in the TOS Go SDK). Everything in it is a copy
// owned by the listener.
type DownloadEvent struct {
	Type             DownloadEventType
	Err              error // *Error for failure, retry and discard events; nil otherwise
	Bucket           string
	Key              string
	VersionID        string  // "" when no version was asked for
	FilePath         string  // the destination file
	TempFilePath     *string // nil before a temporary file exists
	CheckpointFile   *string // nil when checkpointing is off
	DownloadPartInfo *DownloadPartInfo
	TaskNum          int // for DownloadEventTaskNumChanged: the ranges now fetched at once; 0 otherwise
}

// DownloadEventListener receives the events of a download (as in the TOS Go SDK).
type DownloadEventListener interface {
	EventChange(event *DownloadEvent)
}

// DownloadFileInput is the input of Client.DownloadFile. Bucket, Key and FilePath are
// required; every other zero field means its default.
type DownloadFileInput struct {
	Bucket    string
	Key       string
	VersionID string // "" = the latest version
	// FilePath is the destination file, or a directory (one that exists, or a path ending in
	// "/") to put the key's last segment in. Missing parent directories are made. The file
	// appears there only once the whole object is written and verified.
	FilePath string
	// PartSize is bytes per ranged GET, 5 MiB ..= 5 GiB; 0 = 20 MiB.
	PartSize int64
	// TaskNum is ranges fetched at once, at most 1000 (more is ResultInvalidArgument); 0 =
	// automatic: it starts at 4 and searches for the fastest count
	// (DownloadEventTaskNumChanged), as UploadFile does.
	TaskNum int
	// EnableCheckpoint records finished ranges in a checkpoint file so a paused, failed or
	// killed download resumes where it stopped (off by default, as in the Go SDK and as in
	// UploadFileInput, although the C API's default is on).
	EnableCheckpoint bool
	// CheckpointFile is the checkpoint file or a directory for it; "" = beside the
	// destination, named as the Go SDK names it (so either side resumes the other's).
	CheckpointFile string

	// IfMatch is sent on every request; "" = the ETag the object has when the download
	// starts, so the file never mixes two versions of the object.
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   time.Time // zero = not set; whole seconds are sent
	IfUnmodifiedSince time.Time // zero = not set; whole seconds are sent

	SSECAlgorithm string // AES256, for an object stored with a customer key
	SSECKey       string // base64; sent, never logged nor written to the checkpoint
	SSECKeyMD5    string // base64
	TrafficLimit  int64  // server-side limit in bits per second; 0 = none

	DataTransferListener  DataTransferListener
	DownloadEventListener DownloadEventListener
	// RateLimiter is asked before body bytes are written; it takes precedence over
	// TokenBucket.
	RateLimiter RateLimiter
	// TokenBucket is the library's own rate limiter, possibly shared with uploads.
	TokenBucket *TokenBucket
	// CancelHook pauses (temporary file and checkpoint kept) or aborts (both removed) the
	// download from anywhere; see NewCancelHook.
	CancelHook *CancelHook
}

// DownloadFileOutput is the result of a completed DownloadFile.
type DownloadFileOutput struct {
	Bucket    string
	Key       string
	ETag      string // quoted, as the server sent it
	VersionID string // "" when the bucket is not versioned
	// FilePath is the file written: the destination, or inside it when it named a directory
	// (for a key ending in "/", the directory made).
	FilePath      string
	ContentLength int64 // the object's size
	// HashCrc64ecma is the object's CRC-64/XZ (ECMA-182), which the file matched, when
	// HashCrc64Checked; the server may give none (some S3 stores), and then it is 0.
	HashCrc64ecma    uint64
	HashCrc64Checked bool
	BytesReceived    int64 // body bytes this call fetched (ranges kept from an earlier run not counted)
}

// downloadCallState is what the C callbacks of one DownloadFile reach through their
// cgo.Handle; the embedded callState carries the hook and the recovered panic.
type downloadCallState struct {
	callState
	download *DownloadFileInput
}

// DownloadFile downloads one object to a file in ranged GETs, in parallel, resumably
// (tos_download_file). The file appears at FilePath only when the whole object is written,
// matches the server's CRC-64 and is synced. It blocks until the download completes, fails,
// or is stopped. Cancelling ctx pauses it (ErrPaused, also wrapping ctx.Err(); with
// EnableCheckpoint the same call resumes it); in.CancelHook can pause or abort it. Every
// failure is an *Error: ErrObjectChanged when the object was replaced meanwhile,
// ErrLocalWrite when a local file could not be written, ResultServer with the server's answer
// otherwise (a missing object is HTTP 404 with Code NoSuchKey, named by the library since the
// HEAD that comes first has no body to carry it). The
// listeners run on the calling goroutine, one at a time, and never after DownloadFile returns.
func (c *Client) DownloadFile(ctx context.Context, in *DownloadFileInput) (*DownloadFileOutput, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if in == nil {
		return nil, &Error{Result: ResultNullArgument, Message: "DownloadFileInput is nil"}
	}
	if in.PartSize < 0 || in.TaskNum < 0 || in.TrafficLimit < 0 {
		return nil, &Error{Result: ResultInvalidArgument, Message: "PartSize, TaskNum and TrafficLimit must not be negative"}
	}
	ifModifiedSince, ok := unixSeconds(in.IfModifiedSince)
	if !ok {
		return nil, &Error{Result: ResultInvalidArgument, Message: "IfModifiedSince must be after 1970-01-01T00:00:00Z"}
	}
	ifUnmodifiedSince, ok := unixSeconds(in.IfUnmodifiedSince)
	if !ok {
		return nil, &Error{Result: ResultInvalidArgument, Message: "IfUnmodifiedSince must be after 1970-01-01T00:00:00Z"}
	}
	if !c.own.acquire() {
		return nil, ErrClosed
	}
	defer c.own.release()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Result: ResultPaused, Message: "the context was done before the download started", wrapped: err}
	}

	var cs cstrings
	defer cs.free()
	var ci C.struct_tos_download_file_input
	C.tos_download_file_input_init(&ci)
	ci.bucket = cs.req(in.Bucket)
	ci.key = cs.req(in.Key)
	ci.version_id = cs.opt(in.VersionID)
	ci.file_path = cs.req(in.FilePath)
	ci.part_size = C.uint64_t(in.PartSize)
	ci.task_num = clampU32(in.TaskNum)
	ci.disable_checkpoint = C.bool(!in.EnableCheckpoint)
	ci.checkpoint_file = cs.opt(in.CheckpointFile)
	ci.if_match = cs.opt(in.IfMatch)
	ci.if_none_match = cs.opt(in.IfNoneMatch)
	ci.if_modified_since = C.int64_t(ifModifiedSince)
	ci.if_unmodified_since = C.int64_t(ifUnmodifiedSince)
	ci.ssec_algorithm = cs.opt(in.SSECAlgorithm)
	ci.ssec_key = cs.opt(in.SSECKey)
	ci.ssec_key_md5 = cs.opt(in.SSECKeyMD5)
	ci.traffic_limit = C.uint64_t(in.TrafficLimit)

	st := &downloadCallState{download: in}
	var out *C.struct_tos_download_file_output
	defer func() { C.tos_download_file_output_free(out) }() // NULL-safe; also when a listener panicked
	err := runTransfer(ctx, in.TokenBucket, in.CancelHook, &st.callState, st,
		func(rl *C.struct_tos_rate_limiter, hook *C.struct_tos_cancel_hook, h C.uintptr_t) (C.tos_result, *C.struct_tos_error) {
			ci.rate_limiter = rl
			ci.cancel_hook = hook
			C.tosgo_set_download_callbacks(&ci, h, cbool(in.DataTransferListener != nil),
				cbool(in.DownloadEventListener != nil), cbool(in.RateLimiter != nil))
			var cerr *C.struct_tos_error
			rc := C.tos_download_file(c.ptr, &ci, &out, &cerr)
			runtime.KeepAlive(c)
			return rc, cerr
		})
	if err != nil {
		return nil, err
	}
	return &DownloadFileOutput{
		Bucket:           C.GoString(C.tos_download_file_output_bucket(out)),
		Key:              C.GoString(C.tos_download_file_output_key(out)),
		ETag:             C.GoString(C.tos_download_file_output_etag(out)),
		VersionID:        C.GoString(C.tos_download_file_output_version_id(out)),
		FilePath:         C.GoString(C.tos_download_file_output_file_path(out)),
		ContentLength:    int64(C.tos_download_file_output_size(out)),
		HashCrc64ecma:    uint64(C.tos_download_file_output_crc64(out)),
		HashCrc64Checked: bool(C.tos_download_file_output_has_crc64(out)),
		BytesReceived:    int64(C.tos_download_file_output_bytes_received(out)),
	}, nil
}

// unixSeconds is t for the C API's conditional times: 0 (not set) for the zero time, and
// false for a time at or before the epoch, which the C API cannot tell from "not set".
func unixSeconds(t time.Time) (int64, bool) {
	if t.IsZero() {
		return 0, true
	}
	s := t.Unix()
	return s, s > 0
}
