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

// NewTokenBucket makes a bucket of rate bytes per second (0 = unlimited; at least 1 KiB/s
// otherwise) with a burst of capacity bytes (0 = a tenth of a second of the rate; at least
// 10 KiB). It starts full.
func NewTokenBucket(rate, capacity int64) (*TokenBucket, error) {
	if rate < 0 || capacity < 0 {
		return nil, &Error{Result: ResultInvalidArgument, Message: "rate and capacity must not be negative"}
	}
	p := C.tos_rate_limiter_new(C.uint64_t(rate), C.uint64_t(capacity))
	if p == nil {
		return nil, &Error{Result: ResultInternal, Message: "tos_rate_limiter_new failed"}
	}
	tb := &TokenBucket{ptr: p}
	tb.own.free = func() { C.tos_rate_limiter_free(p) }
	runtime.SetFinalizer(tb, (*TokenBucket).Close)
	return tb, nil
}

// SetRate changes the rate and burst (as in NewTokenBucket), also while uploads run and from
// inside a listener.
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
