package tosupload

/*
#include "tosupload.h"
*/
import "C"

import "runtime"

// TokenBucket is the library's token bucket in bytes per second, shared by every upload it
// is given to (UploadFileInput.TokenBucket), so their total rate stays under the limit. Safe
// for concurrent use; the rate may be changed while uploads run. Close it when done.
type TokenBucket struct {
	own owner
	ptr *C.struct_tos_rate_limiter
}

// NewTokenBucket makes a bucket of rate bytes per second (0 = unlimited, else at least 1024)
// with a burst of capacity bytes (0 = a tenth of a second of the rate but at least 10 KiB,
// else at least 10240). It starts full. A value out of range is an *Error with
// ResultInvalidArgument.
func NewTokenBucket(rate, capacity int64) (*TokenBucket, error) {
	if rate < 0 || capacity < 0 {
		return nil, &Error{Result: ResultInvalidArgument, Message: "rate and capacity must not be negative"}
	}
	var p *C.struct_tos_rate_limiter
	var cerr *C.struct_tos_error
	if rc := C.tos_rate_limiter_new(C.uint64_t(rate), C.uint64_t(capacity), &p, &cerr); rc != C.TOS_OK {
		return nil, takeError(Result(rc), cerr)
	}
	tb := &TokenBucket{ptr: p}
	tb.own.free = func() { C.tos_rate_limiter_free(p) }
	runtime.SetFinalizer(tb, (*TokenBucket).Close)
	return tb, nil
}

// SetRate changes the rate and burst (same meaning and ranges as in NewTokenBucket), also
// while uploads run and from inside a listener. A value out of range is an *Error with
// ResultInvalidArgument, and the limit is left as it was.
func (tb *TokenBucket) SetRate(rate, capacity int64) error {
	if rate < 0 || capacity < 0 {
		return &Error{Result: ResultInvalidArgument, Message: "rate and capacity must not be negative"}
	}
	if !tb.own.acquire() {
		return ErrClosed
	}
	defer tb.own.release()
	if rc := Result(C.tos_rate_limiter_set_rate(tb.ptr, C.uint64_t(rate), C.uint64_t(capacity))); rc != ResultOK {
		return &Error{Result: rc, Message: rc.String()}
	}
	return nil
}

// Close frees the bucket (once the uploads using it have returned); later uses fail with
// ErrClosed. Calling it again does nothing.
func (tb *TokenBucket) Close() error {
	runtime.SetFinalizer(tb, nil)
	tb.own.close()
	return nil
}
