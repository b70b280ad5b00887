package tosupload

/*
#include <stdint.h>
#include "tosupload.h"

void tosgo_set_stream_callbacks(struct tos_upload_stream_input *input, uintptr_t read_handle, uintptr_t handle,
                                int progress, int event, int rate);
*/
import "C"

import (
	"context"
	"io"
	"runtime"
	"runtime/cgo"
)

// ResultStreamRead: the Reader of UploadStream failed; the multipart upload was aborted and
// no object was created. The error also wraps the Reader's error.
const ResultStreamRead Result = C.TOS_ERR_STREAM_READ

// ErrStreamRead is for errors.Is on the error of UploadStream.
var ErrStreamRead error = ResultStreamRead

// UploadStreamInput is the input of Client.UploadStream. Bucket, Key and Reader are
// required; every other zero field means its default.
type UploadStreamInput struct {
	Bucket string
	Key    string
	// Reader is read on the calling goroutine until io.EOF; any other error fails the upload
	// (ErrStreamRead). UploadStream never closes it.
	Reader io.Reader
	// PartSize is bytes per part, 5 MiB ..= 5 GiB; 0 = 20 MiB. The stream's size is unknown,
	// so it is never raised: a stream longer than 10,000 parts fails (ResultTooManyParts).
	PartSize int64
	// TaskNum is parts sent at once; 0 = 4; at most 1000 (more is ResultInvalidArgument).
	// Each holds a part in memory, so the upload uses about PartSize * (TaskNum + 1) bytes.
	TaskNum    int
	Attributes ObjectAttributes

	// DataTransferListener's TotalBytes is the bytes read so far: it grows until the end.
	DataTransferListener DataTransferListener
	UploadEventListener  UploadEventListener
	// RateLimiter is asked before part data is sent; it takes precedence over TokenBucket.
	RateLimiter RateLimiter
	TokenBucket *TokenBucket
	// CancelHook aborts the upload, whether paused or aborted (a stream cannot be resumed).
	CancelHook *CancelHook
}

// UploadStreamOutput is the result of a completed UploadStream.
type UploadStreamOutput struct {
	Bucket        string
	Key           string
	UploadID      string // "" when the stream went up in one PutObject
	ETag          string // quoted, as the server sent it
	Location      string
	VersionID     string
	RequestID     string // of CompleteMultipartUpload (or of the PutObject)
	HashCrc64ecma uint64 // the whole object's CRC-64/XZ (ECMA-182)
	PartSize      int64  // the part size used; 0 for one PutObject
	BytesSent     int64  // the stream's size
}

// streamState is what the read trampoline reaches through its cgo.Handle. The listeners get
// the callState alone, as UploadFile's do.
type streamState struct {
	st      *callState
	ctx     context.Context
	r       io.Reader
	pending error // came with the bytes of the last Read; reported by the next call
	readErr error // why the Reader failed the upload
}

// UploadStream uploads what in.Reader yields until io.EOF, a stream of unknown size
// (tos_upload_stream): parts filled from the stream are sent in parallel, each verified with
// CRC-64, and a stream shorter than one part goes up in one PutObject (UploadID "",
// PartSize 0). It is not resumable: every failure aborts the multipart upload and creates no
// object. Cancelling ctx aborts it (ErrAborted, also wrapping ctx.Err()), as does either kind
// of in.CancelHook.Cancel; a Read in progress is not interrupted, so the cancel takes effect
// when it returns. A Reader failure is ErrStreamRead, wrapping the Reader's error; a panic in
// the Reader or a listener is raised again once the library has returned. The Reader and the
// listeners run on the calling goroutine, one at a time, and never after UploadStream returns.
func (c *Client) UploadStream(ctx context.Context, in *UploadStreamInput) (*UploadStreamOutput, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if in == nil {
		return nil, &Error{Result: ResultNullArgument, Message: "UploadStreamInput is nil"}
	}
	if in.Reader == nil {
		return nil, &Error{Result: ResultNullArgument, Message: "UploadStreamInput.Reader is nil"}
	}
	if in.PartSize < 0 || in.TaskNum < 0 || in.Attributes.TrafficLimit < 0 {
		return nil, &Error{Result: ResultInvalidArgument, Message: "PartSize, TaskNum and TrafficLimit must not be negative"}
	}
	if !c.own.acquire() {
		return nil, ErrClosed
	}
	defer c.own.release()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Result: ResultAborted, Message: "the context was done before the upload started", wrapped: err}
	}

	var cs cstrings
	defer cs.free()
	var ci C.struct_tos_upload_stream_input
	C.tos_upload_stream_input_init(&ci)
	ci.bucket = cs.req(in.Bucket)
	ci.key = cs.req(in.Key)
	ci.part_size = C.uint64_t(in.PartSize)
	ci.task_num = clampU32(in.TaskNum)
	cs.attributes(&in.Attributes, &ci.attributes)

	// The trampolines of UploadFile find the listeners in an UploadFileInput.
	st := &callState{in: &UploadFileInput{
		DataTransferListener: in.DataTransferListener,
		UploadEventListener:  in.UploadEventListener,
		RateLimiter:          in.RateLimiter,
	}}
	ss := &streamState{st: st, ctx: ctx, r: in.Reader}
	rh := cgo.NewHandle(ss)
	defer rh.Delete()
	var out *C.struct_tos_upload_stream_output
	defer func() { C.tos_upload_stream_output_free(out) }() // NULL-safe; also when the Reader panicked
	err := runTransfer(ctx, in.TokenBucket, in.CancelHook, st, st,
		func(rl *C.struct_tos_rate_limiter, hook *C.struct_tos_cancel_hook, h C.uintptr_t) (C.tos_result, *C.struct_tos_error) {
			ci.rate_limiter = rl
			ci.cancel_hook = hook
			C.tosgo_set_stream_callbacks(&ci, C.uintptr_t(rh), h, cbool(in.DataTransferListener != nil),
				cbool(in.UploadEventListener != nil), cbool(in.RateLimiter != nil))
			var cerr *C.struct_tos_error
			rc := C.tos_upload_stream(c.ptr, &ci, &out, &cerr)
			runtime.KeepAlive(c)
			return rc, cerr
		})
	if e, ok := err.(*Error); ok {
		switch {
		case e.Result == ResultStreamRead && ss.readErr != nil:
			e.wrapped = ss.readErr
			e.Cause = ss.readErr.Error() // in place of the library's "the read callback returned -1"
		case e.Result == ResultAborted && ctx.Err() != nil:
			e.wrapped = ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return uploadStreamOutput(out), nil
}

// uploadStreamOutput copies the C output of UploadStream.
func uploadStreamOutput(out *C.struct_tos_upload_stream_output) *UploadStreamOutput {
	return &UploadStreamOutput{
		Bucket:        C.GoString(C.tos_upload_stream_output_bucket(out)),
		Key:           C.GoString(C.tos_upload_stream_output_key(out)),
		UploadID:      C.GoString(C.tos_upload_stream_output_upload_id(out)),
		ETag:          C.GoString(C.tos_upload_stream_output_etag(out)),
		Location:      C.GoString(C.tos_upload_stream_output_location(out)),
		VersionID:     C.GoString(C.tos_upload_stream_output_version_id(out)),
		RequestID:     C.GoString(C.tos_upload_stream_output_request_id(out)),
		HashCrc64ecma: uint64(C.tos_upload_stream_output_crc64(out)),
		PartSize:      int64(C.tos_upload_stream_output_part_size(out)),
		BytesSent:     int64(C.tos_upload_stream_output_bytes_sent(out)),
	}
}
