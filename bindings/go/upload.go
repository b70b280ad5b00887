package tosupload

/*
#include <stdint.h>
#include <stdlib.h>
#include "tosupload.h"

void tosgo_set_callbacks(struct tos_upload_file_input *input, uintptr_t handle, int progress, int event,
                         int rate);
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
)

// UploadFileInput is the input of Client.UploadFile. Bucket, Key and FilePath are required;
// every other zero field means its default.
type UploadFileInput struct {
	Bucket   string
	Key      string
	FilePath string
	// PartSize is bytes per part, 5 MiB ..= 5 GiB; 0 = 20 MiB (raised if the file would need
	// more than 10,000 parts).
	PartSize int64
	// TaskNum is parts sent at once, at most 1000 (more is ResultInvalidArgument); 0 =
	// automatic: it starts at 4 and searches for the fastest count (UploadEventTaskNumChanged).
	TaskNum int
	// EnableCheckpoint records progress in a checkpoint file so a paused, failed or killed
	// upload resumes where it stopped (off by default, as in the Go SDK).
	EnableCheckpoint bool
	// CheckpointFile is the checkpoint file or a directory for it; "" = beside the file.
	CheckpointFile string
	// MultipartThreshold: a file smaller than this many bytes goes up in one PutObject (no
	// upload id, no checkpoint); 0 = the part size; at most 5 GiB.
	MultipartThreshold int64
	// ForceMultipart always uses a multipart upload, whatever the file's size.
	ForceMultipart bool

	ContentType        string // "" = guessed from the key's extension
	CacheControl       string
	ContentDisposition string
	ContentEncoding    string
	ContentLanguage    string
	Expires            time.Time // zero = not set
	ACL                string    // canned ACL: private, public-read, ...
	StorageClass       string    // STANDARD, IA, ...
	Meta               map[string]string
	Tagging            string // URL-encoded k1=v1&k2=v2
	ForbidOverwrite    bool

	SSECAlgorithm             string
	SSECKey                   string // base64
	SSECKeyMD5                string // base64
	ServerSideEncryption      string // AES256, kms
	ServerSideEncryptionKeyID string
	WebsiteRedirectLocation   string
	TrafficLimit              int64 // server-side limit in bits per second; 0 = none

	DataTransferListener DataTransferListener
	UploadEventListener  UploadEventListener
	// RateLimiter is asked before part data is sent; it takes precedence over TokenBucket.
	RateLimiter RateLimiter
	// TokenBucket is the library's own rate limiter, possibly shared by several uploads.
	TokenBucket *TokenBucket
	// CancelHook pauses or aborts the upload from anywhere; see NewCancelHook.
	CancelHook *CancelHook
}

// UploadFileOutput is the result of a completed UploadFile.
type UploadFileOutput struct {
	Bucket        string
	Key           string
	UploadID      string // "" when the file went up in one PutObject
	ETag          string // quoted, as the server sent it
	Location      string
	VersionID     string
	RequestID     string // of CompleteMultipartUpload
	HashCrc64ecma uint64 // the whole object's CRC-64/XZ (ECMA-182)
	PartSize      int64  // the part size actually used; 0 for one PutObject
	BytesSent     int64  // bytes this call sent (parts from an earlier run not counted)
}

// callState is what the C callbacks of one call reach through their cgo.Handle (embedded in
// the states of UploadDir and DownloadFile, which add their own input).
type callState struct {
	in       *UploadFileInput
	hook     *C.struct_tos_cancel_hook
	panicked bool
	panicVal interface{}
}

// guard runs a listener; a panic is recovered (it must not unwind through C), pauses the
// call, and is raised again by it.
func (st *callState) guard(f func()) {
	if st.panicked {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			st.panicked = true
			st.panicVal = v
			C.tos_pause(st.hook)
		}
	}()
	f()
}

// UploadFile uploads one file with a multipart upload: parts in parallel, each verified with
// CRC-64, resumable from a checkpoint. It blocks until the upload completes, fails, or is
// stopped. Cancelling ctx pauses it (the error is ErrPaused and also wraps ctx.Err());
// in.CancelHook can pause or abort it. Every failure is an *Error. The listeners run on the
// calling goroutine, one at a time, and never after UploadFile returns.
func (c *Client) UploadFile(ctx context.Context, in *UploadFileInput) (*UploadFileOutput, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if in == nil {
		return nil, &Error{Result: ResultNullArgument, Message: "UploadFileInput is nil"}
	}
	if !c.own.acquire() {
		return nil, ErrClosed
	}
	defer c.own.release()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Result: ResultPaused, Message: "the context was done before the upload started", wrapped: err}
	}

	var cs cstrings
	defer cs.free()
	var ci C.struct_tos_upload_file_input
	C.tos_upload_file_input_init(&ci)
	ci.bucket = cs.req(in.Bucket)
	ci.key = cs.req(in.Key)
	ci.file_path = cs.req(in.FilePath)
	if in.PartSize < 0 || in.TaskNum < 0 || in.TrafficLimit < 0 || in.MultipartThreshold < 0 {
		return nil, &Error{Result: ResultInvalidArgument, Message: "PartSize, TaskNum, TrafficLimit and MultipartThreshold must not be negative"}
	}
	ci.part_size = C.uint64_t(in.PartSize)
	ci.multipart_threshold = C.uint64_t(in.MultipartThreshold)
	ci.force_multipart = C.bool(in.ForceMultipart)
	if in.TaskNum > 1<<31 {
		ci.task_num = 1 << 31
	} else {
		ci.task_num = C.uint32_t(in.TaskNum)
	}
	ci.disable_checkpoint = C.bool(!in.EnableCheckpoint)
	ci.checkpoint_file = cs.opt(in.CheckpointFile)
	attrs := in.attributes()
	cs.attributes(&attrs, &ci.attributes)

	st := &callState{in: in}
	var out *C.struct_tos_upload_file_output
	defer func() { C.tos_upload_file_output_free(out) }() // NULL-safe; also when a listener panicked
	err := runTransfer(ctx, in.TokenBucket, in.CancelHook, st, st,
		func(rl *C.struct_tos_rate_limiter, hook *C.struct_tos_cancel_hook, h C.uintptr_t) (C.tos_result, *C.struct_tos_error) {
			ci.rate_limiter = rl
			ci.cancel_hook = hook
			C.tosgo_set_callbacks(&ci, h, cbool(in.DataTransferListener != nil),
				cbool(in.UploadEventListener != nil), cbool(in.RateLimiter != nil))
			var cerr *C.struct_tos_error
			rc := C.tos_upload_file(c.ptr, &ci, &out, &cerr)
			runtime.KeepAlive(c)
			return rc, cerr
		})
	if err != nil {
		return nil, err
	}
	return uploadFileOutput(out), nil
}

// uploadFileOutput copies the C output of UploadFile.
func uploadFileOutput(out *C.struct_tos_upload_file_output) *UploadFileOutput {
	return &UploadFileOutput{
		Bucket:        C.GoString(C.tos_upload_file_output_bucket(out)),
		Key:           C.GoString(C.tos_upload_file_output_key(out)),
		UploadID:      C.GoString(C.tos_upload_file_output_upload_id(out)),
		ETag:          C.GoString(C.tos_upload_file_output_etag(out)),
		Location:      C.GoString(C.tos_upload_file_output_location(out)),
		VersionID:     C.GoString(C.tos_upload_file_output_version_id(out)),
		RequestID:     C.GoString(C.tos_upload_file_output_request_id(out)),
		HashCrc64ecma: uint64(C.tos_upload_file_output_crc64(out)),
		PartSize:      int64(C.tos_upload_file_output_part_size(out)),
		BytesSent:     int64(C.tos_upload_file_output_bytes_sent(out)),
	}
}

// attributes gathers the object attributes of in, as UploadDirInput holds them.
func (in *UploadFileInput) attributes() ObjectAttributes {
	return ObjectAttributes{
		ContentType:               in.ContentType,
		CacheControl:              in.CacheControl,
		ContentDisposition:        in.ContentDisposition,
		ContentEncoding:           in.ContentEncoding,
		ContentLanguage:           in.ContentLanguage,
		Expires:                   in.Expires,
		ACL:                       in.ACL,
		StorageClass:              in.StorageClass,
		Meta:                      in.Meta,
		Tagging:                   in.Tagging,
		ForbidOverwrite:           in.ForbidOverwrite,
		SSECAlgorithm:             in.SSECAlgorithm,
		SSECKey:                   in.SSECKey,
		SSECKeyMD5:                in.SSECKeyMD5,
		ServerSideEncryption:      in.ServerSideEncryption,
		ServerSideEncryptionKeyID: in.ServerSideEncryptionKeyID,
		WebsiteRedirectLocation:   in.WebsiteRedirectLocation,
		TrafficLimit:              in.TrafficLimit,
	}
}

// runTransfer is what the uploads, DownloadFile and the control calls share around their C
// call. It holds tb (if any) for the call, makes the call's private cancel hook, attaches it
// to user (if any) and to ctx, and registers handleValue (whose embedded callState is st) for the listeners'
// trampolines; call sets these in its C input and makes the C call. A listener's panic is
// raised again here, after the returned error is freed. A failure is returned as an *Error
// (ErrPaused also wrapping ctx.Err() when ctx was done); nil for TOS_OK.
func runTransfer(ctx context.Context, tb *TokenBucket, user *CancelHook, st *callState, handleValue interface{},
	call func(rl *C.struct_tos_rate_limiter, hook *C.struct_tos_cancel_hook, h C.uintptr_t) (C.tos_result, *C.struct_tos_error)) error {
	var rl *C.struct_tos_rate_limiter
	if tb != nil {
		if !tb.own.acquire() { // keeps it from being freed during the call
			return ErrClosed
		}
		defer tb.own.release()
		rl = tb.ptr
	}

	hook := C.tos_cancel_hook_new()
	if hook == nil {
		return &Error{Result: ResultInternal, Message: "tos_cancel_hook_new failed"}
	}
	defer C.tos_cancel_hook_free(hook)
	st.hook = hook
	h := cgo.NewHandle(handleValue)
	defer h.Delete()

	if user != nil {
		user.attach(hook)
		defer user.detach(hook)
	}
	done := make(chan struct{})
	var watcher sync.WaitGroup
	if ctx.Done() != nil {
		watcher.Add(1)
		go func() {
			defer watcher.Done()
			select {
			case <-ctx.Done():
				C.tos_pause(hook)
			case <-done:
			}
		}()
	}

	crc, cerr := call(rl, hook, C.uintptr_t(h))
	rc := Result(crc)
	close(done)
	watcher.Wait() // the hook is freed only once nothing can call tos_cancel on it
	runtime.KeepAlive(tb)

	if st.panicked {
		C.tos_error_free(cerr)
		panic(st.panicVal)
	}
	if rc != ResultOK {
		e := takeError(rc, cerr)
		if e.Result == ResultPaused && ctx.Err() != nil {
			e.wrapped = ctx.Err()
		}
		return e
	}
	return nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
