package tosupload

/*
#include "tosupload.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
)

// Result is the library's result code (tos_result). It implements error, so the codes work
// as sentinels: errors.Is(err, tosupload.ErrPaused) or errors.Is(err, tosupload.ResultInvalidKey).
type Result uint32

// The result codes; the numbers are the C ABI's and never change.
const (
	ResultOK                 Result = C.TOS_OK
	ResultNullArgument       Result = C.TOS_ERR_NULL_ARGUMENT
	ResultStructSize         Result = C.TOS_ERR_STRUCT_SIZE
	ResultInvalidUTF8        Result = C.TOS_ERR_INVALID_UTF8
	ResultInvalidArgument    Result = C.TOS_ERR_INVALID_ARGUMENT
	ResultInvalidEndpoint    Result = C.TOS_ERR_INVALID_ENDPOINT
	ResultMissingCredentials Result = C.TOS_ERR_MISSING_CREDENTIALS
	ResultInvalidBucket      Result = C.TOS_ERR_INVALID_BUCKET
	ResultInvalidKey         Result = C.TOS_ERR_INVALID_KEY
	ResultInvalidPartSize    Result = C.TOS_ERR_INVALID_PART_SIZE
	ResultTooManyParts       Result = C.TOS_ERR_TOO_MANY_PARTS
	ResultFileNotFound       Result = C.TOS_ERR_FILE_NOT_FOUND
	ResultFileIsDirectory    Result = C.TOS_ERR_FILE_IS_DIRECTORY
	ResultFileUnreadable     Result = C.TOS_ERR_FILE_UNREADABLE
	ResultCheckpointPath     Result = C.TOS_ERR_CHECKPOINT_PATH
	ResultReentrantCall      Result = C.TOS_ERR_REENTRANT_CALL
	ResultNetwork            Result = C.TOS_ERR_NETWORK
	ResultTimeout            Result = C.TOS_ERR_TIMEOUT
	ResultServer             Result = C.TOS_ERR_SERVER
	ResultCRCMismatch        Result = C.TOS_ERR_CRC_MISMATCH
	ResultFileChanged        Result = C.TOS_ERR_FILE_CHANGED
	ResultCheckpointIO       Result = C.TOS_ERR_CHECKPOINT_IO
	ResultPaused             Result = C.TOS_PAUSED
	ResultAborted            Result = C.TOS_ABORTED
	ResultInternal           Result = C.TOS_ERR_INTERNAL
	ResultPanic              Result = C.TOS_ERR_PANIC
)

// Sentinels for errors.Is.
var (
	// ErrPaused: the upload or download was paused (context cancelled, or
	// CancelHook.Cancel(false)); the multipart upload (or the download's temporary file) and
	// the checkpoint are kept and the same call resumes it.
	ErrPaused error = ResultPaused
	// ErrAborted: the upload or download was aborted (CancelHook.Cancel(true)); the
	// multipart upload was aborted on the server (the download's temporary file removed) and
	// the checkpoint deleted.
	ErrAborted error = ResultAborted
	// ErrReentrantCall: a call that sends requests or makes a client (UploadFile, UploadDir,
	// UploadStream, DownloadFile, DownloadDir, ListMultipartUploads, AbortMultipartUpload,
	// NewClient) was made from inside a listener, a RateLimiter or a stream's Reader, and the
	// library refused it before sending anything. CancelHook.Cancel and TokenBucket.SetRate
	// are allowed there.
	ErrReentrantCall error = ResultReentrantCall
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("tosupload: client is closed")
)

// String is the C name of the code, e.g. "TOS_ERR_INVALID_KEY".
func (r Result) String() string { return C.GoString(C.tos_result_name(C.uint32_t(r))) }

// Error makes Result usable as a sentinel error.
func (r Result) Error() string { return "tosupload: " + r.String() }

// Error is every failure of the library: the result code and, for server errors, the server's
// answer. Use errors.As to get it, errors.Is with a Result (ErrPaused, ErrAborted, ...) to
// test the code.
type Error struct {
	Result        Result
	Message       string // for people, never empty
	IsServerError bool
	HTTPStatus    int    // 0 unless IsServerError
	Code          string // TOS error Code, e.g. "NoSuchBucket"
	ServerMessage string // the Message of the server's error response
	RequestID     string
	EC            string
	HostID        string
	Cause         string // the underlying I/O or transport error, if any

	wrapped error // the context's error when it stopped the call; the Reader's in ResultStreamRead
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tosupload: %s: %s", e.Result.String(), e.Message)
	if e.IsServerError {
		fmt.Fprintf(&b, " (HTTP %d, Code %s", e.HTTPStatus, e.Code)
		if e.EC != "" {
			fmt.Fprintf(&b, ", EC %s", e.EC)
		}
		if e.RequestID != "" {
			fmt.Fprintf(&b, ", RequestId %s", e.RequestID)
		}
		b.WriteString(")")
	}
	if e.Cause != "" && !strings.Contains(e.Message, e.Cause) {
		fmt.Fprintf(&b, ": %s", e.Cause)
	}
	return b.String()
}

// Is matches a Result (ErrPaused, ResultInvalidKey, ...) or another *Error with the same code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Result:
		return e.Result == t
	case *Error:
		return e.Result == t.Result
	}
	return false
}

// Unwrap returns context.Canceled or context.DeadlineExceeded when the context stopped the
// call, the Reader's error when it failed UploadStream (ResultStreamRead), nil otherwise.
func (e *Error) Unwrap() error { return e.wrapped }

// newError copies a borrowed tos_error.
func newError(rc Result, cerr *C.struct_tos_error) *Error {
	if cerr == nil {
		return &Error{Result: rc, Message: rc.String()}
	}
	return &Error{
		Result:        Result(C.tos_error_result(cerr)),
		Message:       C.GoString(C.tos_error_message(cerr)),
		IsServerError: bool(C.tos_error_is_server_error(cerr)),
		HTTPStatus:    int(C.tos_error_http_status(cerr)),
		Code:          C.GoString(C.tos_error_code(cerr)),
		ServerMessage: C.GoString(C.tos_error_server_message(cerr)),
		RequestID:     C.GoString(C.tos_error_request_id(cerr)),
		EC:            C.GoString(C.tos_error_ec(cerr)),
		HostID:        C.GoString(C.tos_error_host_id(cerr)),
		Cause:         C.GoString(C.tos_error_cause(cerr)),
	}
}

// takeError copies and frees an owned tos_error.
func takeError(rc Result, cerr *C.struct_tos_error) *Error {
	e := newError(rc, cerr)
	C.tos_error_free(cerr)
	return e
}
