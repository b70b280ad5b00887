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
	"sort"
	"sync"
	"time"
	"unsafe"
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
	// TaskNum is parts sent at once; 0 = 4; at most 1000.
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

// UploadFileOutput is the result of a completed upload.
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

// callState is what the C callbacks of one upload reach through their cgo.Handle.
type callState struct {
	in       *UploadFileInput
	hook     *C.struct_tos_cancel_hook
	panicked bool
	panicVal interface{}
}

// guard runs a listener; a panic is recovered (it must not unwind through C), pauses the
// upload, and is raised again by UploadFile.
func (st *callState) guard(f func()) {
	if st.panicked {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			st.panicked = true
			st.panicVal = v
			C.tos_cancel(st.hook, false)
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
	ci.attributes.content_type = cs.opt(in.ContentType)
	ci.attributes.cache_control = cs.opt(in.CacheControl)
	ci.attributes.content_disposition = cs.opt(in.ContentDisposition)
	ci.attributes.content_encoding = cs.opt(in.ContentEncoding)
	ci.attributes.content_language = cs.opt(in.ContentLanguage)
	if !in.Expires.IsZero() {
		ci.attributes.expires = C.int64_t(in.Expires.Unix())
	}
	ci.attributes.acl = cs.opt(in.ACL)
	ci.attributes.storage_class = cs.opt(in.StorageClass)
	ci.attributes.tagging = cs.opt(in.Tagging)
	ci.attributes.forbid_overwrite = C.bool(in.ForbidOverwrite)
	ci.attributes.ssec_algorithm = cs.opt(in.SSECAlgorithm)
	ci.attributes.ssec_key = cs.opt(in.SSECKey)
	ci.attributes.ssec_key_md5 = cs.opt(in.SSECKeyMD5)
	ci.attributes.server_side_encryption = cs.opt(in.ServerSideEncryption)
	ci.attributes.server_side_encryption_key_id = cs.opt(in.ServerSideEncryptionKeyID)
	ci.attributes.website_redirect_location = cs.opt(in.WebsiteRedirectLocation)
	ci.attributes.traffic_limit = C.uint64_t(in.TrafficLimit)
	if len(in.Meta) > 0 {
		keys := make([]string, 0, len(in.Meta))
		for k := range in.Meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := len(keys)
		// C memory: the array holds pointers, so it must not be Go memory.
		arr := (*C.struct_tos_meta_entry)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.struct_tos_meta_entry{}))))
		cs = append(cs, unsafe.Pointer(arr))
		entries := unsafe.Slice(arr, n)
		for i, k := range keys {
			entries[i].key = cs.req(k)
			entries[i].value = cs.req(in.Meta[k])
		}
		ci.attributes.meta = arr
		ci.attributes.meta_count = C.size_t(n)
	}
	var tb *TokenBucket
	if in.TokenBucket != nil {
		tb = in.TokenBucket
		if !tb.own.acquire() { // keeps it from being freed during the call
			return nil, ErrClosed
		}
		defer tb.own.release()
		ci.rate_limiter = tb.ptr
	}

	hook := C.tos_cancel_hook_new()
	if hook == nil {
		return nil, &Error{Result: ResultInternal, Message: "tos_cancel_hook_new failed"}
	}
	defer C.tos_cancel_hook_free(hook)
	ci.cancel_hook = hook

	st := &callState{in: in, hook: hook}
	h := cgo.NewHandle(st)
	defer h.Delete()
	C.tosgo_set_callbacks(&ci, C.uintptr_t(h), cbool(in.DataTransferListener != nil),
		cbool(in.UploadEventListener != nil), cbool(in.RateLimiter != nil))

	if in.CancelHook != nil {
		in.CancelHook.attach(hook)
		defer in.CancelHook.detach(hook)
	}
	done := make(chan struct{})
	var watcher sync.WaitGroup
	if ctx.Done() != nil {
		watcher.Add(1)
		go func() {
			defer watcher.Done()
			select {
			case <-ctx.Done():
				C.tos_cancel(hook, false)
			case <-done:
			}
		}()
	}

	var out *C.struct_tos_upload_output
	var cerr *C.struct_tos_error
	rc := Result(C.tos_upload_file(c.ptr, &ci, &out, &cerr))
	close(done)
	watcher.Wait() // the hook is freed only once nothing can call tos_cancel on it
	runtime.KeepAlive(c)
	runtime.KeepAlive(tb)

	if st.panicked {
		C.tos_upload_output_free(out)
		C.tos_error_free(cerr)
		panic(st.panicVal)
	}
	if rc != ResultOK {
		e := takeError(rc, cerr)
		if e.Result == ResultPaused && ctx.Err() != nil {
			e.wrapped = ctx.Err()
		}
		return nil, e
	}
	defer C.tos_upload_output_free(out)
	return &UploadFileOutput{
		Bucket:        C.GoString(C.tos_upload_output_bucket(out)),
		Key:           C.GoString(C.tos_upload_output_key(out)),
		UploadID:      C.GoString(C.tos_upload_output_upload_id(out)),
		ETag:          C.GoString(C.tos_upload_output_etag(out)),
		Location:      C.GoString(C.tos_upload_output_location(out)),
		VersionID:     C.GoString(C.tos_upload_output_version_id(out)),
		RequestID:     C.GoString(C.tos_upload_output_request_id(out)),
		HashCrc64ecma: uint64(C.tos_upload_output_crc64(out)),
		PartSize:      int64(C.tos_upload_output_part_size(out)),
		BytesSent:     int64(C.tos_upload_output_bytes_sent(out)),
	}, nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
