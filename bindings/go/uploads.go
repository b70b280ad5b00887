package tosupload

/*
#include <stdint.h>
#include "tosupload.h"
*/
import "C"

import (
	"context"
	"runtime"
	"time"
)

// ListMultipartUploadsInput is the input of Client.ListMultipartUploads. Bucket is required;
// every other zero field means its default.
type ListMultipartUploadsInput struct {
	Bucket string
	Prefix string // only keys starting with it; "" = every key
	// Limit stops after this many uploads; 0 = all of them (more than 1,000,000 fails with
	// ResultServer rather than grow without bound).
	Limit int64
	// PageSize is uploads asked for per request, 1..=1000; 0 = 1000.
	PageSize int
	// CancelHook stops the listing (ErrPaused or ErrAborted, as it was pulled).
	CancelHook *CancelHook
}

// ListUploadsInput is the name ListMultipartUploadsInput had before 1.0.
//
// Deprecated: use ListMultipartUploadsInput.
type ListUploadsInput = ListMultipartUploadsInput

// AbortMultipartUploadInput is the input of Client.AbortMultipartUpload. Bucket, Key and
// UploadID are required.
type AbortMultipartUploadInput struct {
	Bucket   string
	Key      string
	UploadID string // as MultipartUpload.UploadID gives it
	// CancelHook stops the call (ErrPaused or ErrAborted, as it was pulled); may be nil.
	CancelHook *CancelHook
}

// MultipartUpload is one multipart upload open on the server.
type MultipartUpload struct {
	Key       string
	UploadID  string    // what AbortMultipartUpload takes
	Initiated time.Time // zero when the server sent no readable time; whole seconds
}

// ListMultipartUploads lists the multipart uploads open in in.Bucket under in.Prefix, every
// page of them, sorted by key (tos_list_multipart_uploads): those a paused upload or a dead
// process left behind. Cancelling ctx pauses the listing (ErrPaused, also wrapping
// ctx.Err()). Every failure is an *Error.
func (c *Client) ListMultipartUploads(ctx context.Context, in ListMultipartUploadsInput) ([]MultipartUpload, error) {
	if in.Limit < 0 || in.PageSize < 0 {
		return nil, &Error{Result: ResultInvalidArgument, Message: "Limit and PageSize must not be negative"}
	}
	var cs cstrings
	defer cs.free()
	var ci C.struct_tos_list_multipart_uploads_input
	C.tos_list_multipart_uploads_input_init(&ci)
	ci.bucket = cs.req(in.Bucket)
	ci.prefix = cs.opt(in.Prefix)
	ci.limit = C.uint64_t(in.Limit)
	ci.page_size = clampU32(in.PageSize)

	var list *C.struct_tos_list_multipart_uploads_output
	defer func() { C.tos_list_multipart_uploads_output_free(list) }() // NULL-safe
	err := c.runControl(ctx, in.CancelHook, func(hook *C.struct_tos_cancel_hook) (C.tos_result, *C.struct_tos_error) {
		ci.cancel_hook = hook
		var cerr *C.struct_tos_error
		rc := C.tos_list_multipart_uploads(c.ptr, &ci, &list, &cerr)
		return rc, cerr
	})
	if err != nil {
		return nil, err
	}
	n := C.tos_list_multipart_uploads_output_count(list)
	uploads := make([]MultipartUpload, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		u := MultipartUpload{
			Key:      C.GoString(C.tos_list_multipart_uploads_output_key(list, i)),
			UploadID: C.GoString(C.tos_list_multipart_uploads_output_upload_id(list, i)),
		}
		if secs := int64(C.tos_list_multipart_uploads_output_initiated(list, i)); secs != 0 {
			u.Initiated = time.Unix(secs, 0)
		}
		uploads = append(uploads, u)
	}
	return uploads, nil
}

// AbortMultipartUpload aborts the multipart upload in.UploadID of in.Key in in.Bucket
// (tos_abort_multipart_upload): the server deletes its parts, and it can no longer be
// resumed or completed (a checkpoint naming it then starts afresh). An upload that is not
// open is ResultServer with Code "NoSuchUpload". Cancelling ctx stops it (ErrPaused, also
// wrapping ctx.Err()), as does in.CancelHook. Every failure is an *Error.
func (c *Client) AbortMultipartUpload(ctx context.Context, in AbortMultipartUploadInput) error {
	var cs cstrings
	defer cs.free()
	var ci C.struct_tos_abort_multipart_upload_input
	C.tos_abort_multipart_upload_input_init(&ci)
	ci.bucket = cs.req(in.Bucket)
	ci.key = cs.req(in.Key)
	ci.upload_id = cs.req(in.UploadID)
	return c.runControl(ctx, in.CancelHook, func(hook *C.struct_tos_cancel_hook) (C.tos_result, *C.struct_tos_error) {
		ci.cancel_hook = hook
		var cerr *C.struct_tos_error
		rc := C.tos_abort_multipart_upload(c.ptr, &ci, &cerr)
		return rc, cerr
	})
}

// runControl runs a list or abort call as runTransfer runs a transfer: ctx pauses it, user (if
// any) pauses or aborts it, the Client stays open meanwhile. Without listeners, nothing
// reaches the handle runTransfer registers.
func (c *Client) runControl(ctx context.Context, user *CancelHook,
	call func(hook *C.struct_tos_cancel_hook) (C.tos_result, *C.struct_tos_error)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !c.own.acquire() {
		return ErrClosed
	}
	defer c.own.release()
	if err := ctx.Err(); err != nil {
		return &Error{Result: ResultPaused, Message: "the context was done before the call started", wrapped: err}
	}
	st := &callState{}
	return runTransfer(ctx, nil, user, st, st,
		func(_ *C.struct_tos_rate_limiter, hook *C.struct_tos_cancel_hook, _ C.uintptr_t) (C.tos_result, *C.struct_tos_error) {
			rc, cerr := call(hook)
			runtime.KeepAlive(c)
			return rc, cerr
		})
}
