package tosupload

/*
#include <stdint.h>
#include <stdlib.h>
#include "tosupload.h"

void tosgo_set_dir_callbacks(struct tos_upload_dir_input *input, uintptr_t handle, int progress, int event,
                             int rate);
*/
import "C"

import (
	"context"
	"runtime"
)

// ResultSomeFilesFailed: UploadDir or DownloadDir went through, but some files failed; the
// output lists them.
const ResultSomeFilesFailed Result = C.TOS_ERR_SOME_FILES_FAILED

// ErrSomeFilesFailed is for errors.Is on the error of UploadDir and DownloadDir.
var ErrSomeFilesFailed error = ResultSomeFilesFailed

// DirEventType is the kind of a DirEvent.
type DirEventType int

const (
	DirEventFileStarted   DirEventType = C.TOS_UPLOAD_DIR_EVENT_KIND_FILE_STARTED   // a file's upload starts
	DirEventFileSucceeded DirEventType = C.TOS_UPLOAD_DIR_EVENT_KIND_FILE_SUCCEEDED // ETag and HashCrc64ecma are set
	DirEventFileFailed    DirEventType = C.TOS_UPLOAD_DIR_EVENT_KIND_FILE_FAILED    // Err says why
	DirEventFileSkipped   DirEventType = C.TOS_UPLOAD_DIR_EVENT_KIND_FILE_SKIPPED   // Reason says why
	// FileConcurrency (0: automatic) now uploads FileConcurrency files at once; Path and Key
	// are empty.
	DirEventFileConcurrencyChanged DirEventType = C.TOS_UPLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED
)

// DirProgress is the aggregate progress of a folder upload.
type DirProgress struct {
	BytesDone    int64 // of the files done (sent now, or found uploaded by an earlier run)
	BytesTotal   int64 // of every file found so far
	FilesDone    int64
	FilesTotal   int64 // found so far
	FilesSkipped int64 // of FilesDone, found uploaded by an earlier run
	FilesFailed  int64
	WalkComplete bool // the whole tree has been walked
}

// DirEvent is one file's step in a folder upload; everything in it is a copy.
type DirEvent struct {
	Type          DirEventType
	Path          string // the local path
	Key           string // the object key
	Size          int64
	ETag          string  // on success or "already uploaded"
	HashCrc64ecma *uint64 // set with ETag
	Reason        string  // why a file was skipped
	Err           error   // *Error, why a file failed
	// FileConcurrency is, for DirEventFileConcurrencyChanged, the files now uploaded at
	// once; 0 otherwise.
	FileConcurrency int
}

// DirProgressListener receives the progress of a folder upload.
type DirProgressListener interface {
	DirProgressChange(progress *DirProgress)
}

// DirEventListener receives the per-file events of a folder upload.
type DirEventListener interface {
	DirEventChange(event *DirEvent)
}

// UploadDirInput is the input of Client.UploadDir. Bucket and Dir are required; every other
// zero field means its default.
type UploadDirInput struct {
	Bucket string
	// Prefix goes before each file's path relative to Dir (always with /) to make its key.
	Prefix string
	Dir    string
	// TopLevelOnly uploads the files directly in Dir, not its subdirectories.
	TopLevelOnly bool
	// Include and Exclude are globs (*, **, ?, [a-z]); one with a / matches the relative
	// path, one without the file name. With Include, only matching files go up.
	Include []string
	Exclude []string
	// FollowSymlinks uploads what links point to (loops and dangling links fail); by default
	// links are skipped.
	FollowSymlinks  bool
	FileConcurrency int   // files at once; 0 = automatic (DirEventFileConcurrencyChanged)
	TaskNum         int   // parts at once per large file, at most 1000; 0 = automatic
	MaxConnections  int   // requests in flight over all files; 0 = automatic (docs/throttling.md)
	PartSize        int64 // multipart threshold and part size, 5 MiB ..= 5 GiB; 0 = 20 MiB
	// CheckpointDir makes the upload resumable as a whole: a journal of finished files and the
	// checkpoints of large ones. "" = not resumable.
	CheckpointDir string
	// ContinueOnError uploads every file that can be and lists the failures; by default no
	// new file starts after the first failure.
	ContinueOnError bool
	Attributes      ObjectAttributes

	DirProgressListener DirProgressListener
	DirEventListener    DirEventListener
	// RateLimiter is asked before any file's data is sent; it takes precedence over TokenBucket.
	RateLimiter RateLimiter
	TokenBucket *TokenBucket
	CancelHook  *CancelHook
}

// DirFailure is one file that failed, in a folder upload or download.
type DirFailure struct {
	Path string
	Key  string
	Err  *Error
}

// UploadDirOutput is the result of a folder upload.
type UploadDirOutput struct {
	FilesUploaded int64
	BytesUploaded int64
	FilesSkipped  int64 // found uploaded by an earlier run
	BytesSkipped  int64
	FilesLeftOut  int64        // symbolic links not followed, entries that are not regular files
	Failures      []DirFailure // with ContinueOnError, every failed file
}

// dirCallState is what the C callbacks of one UploadDir reach through their cgo.Handle; the
// embedded callState carries the hook and the recovered panic.
type dirCallState struct {
	callState
	dir *UploadDirInput
}

func clampU32(n int) C.uint32_t {
	if n > 1<<31 {
		return 1 << 31
	}
	return C.uint32_t(n)
}

// UploadDir uploads the files under in.Dir (tos_upload_dir): small files in one PutObject,
// larger ones multipart, several at once under one cap on connections. It blocks until every
// file is done or the upload is stopped. Cancelling ctx pauses it (ErrPaused; with
// CheckpointDir the same call resumes it); in.CancelHook can pause or abort it. When some
// files failed the output lists them and the error is ErrSomeFilesFailed (an *Error about the
// first failure); any other failure returns a nil output. The listeners run on the calling
// goroutine, one at a time, and never after UploadDir returns.
func (c *Client) UploadDir(ctx context.Context, in *UploadDirInput) (*UploadDirOutput, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if in == nil {
		return nil, &Error{Result: ResultNullArgument, Message: "UploadDirInput is nil"}
	}
	if in.PartSize < 0 || in.TaskNum < 0 || in.FileConcurrency < 0 || in.MaxConnections < 0 || in.Attributes.TrafficLimit < 0 {
		return nil, &Error{Result: ResultInvalidArgument,
			Message: "PartSize, TaskNum, FileConcurrency, MaxConnections and TrafficLimit must not be negative"}
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
	var ci C.struct_tos_upload_dir_input
	C.tos_upload_dir_input_init(&ci)
	ci.bucket = cs.req(in.Bucket)
	ci.prefix = cs.opt(in.Prefix)
	ci.dir = cs.req(in.Dir)
	ci.top_level_only = C.bool(in.TopLevelOnly)
	inc, nInc := cs.array(in.Include)
	ci.include, ci.include_count = inc, nInc
	exc, nExc := cs.array(in.Exclude)
	ci.exclude, ci.exclude_count = exc, nExc
	ci.follow_symlinks = C.bool(in.FollowSymlinks)
	ci.file_concurrency = clampU32(in.FileConcurrency)
	ci.task_num = clampU32(in.TaskNum)
	ci.max_connections = clampU32(in.MaxConnections)
	ci.part_size = C.uint64_t(in.PartSize)
	ci.checkpoint_dir = cs.opt(in.CheckpointDir)
	ci.continue_on_error = C.bool(in.ContinueOnError)
	cs.attributes(&in.Attributes, &ci.attributes)

	st := &dirCallState{dir: in}
	var out *C.struct_tos_upload_dir_output
	defer func() { C.tos_upload_dir_output_free(out) }() // NULL-safe; also when a listener panicked
	err := runTransfer(ctx, in.TokenBucket, in.CancelHook, &st.callState, st,
		func(rl *C.struct_tos_rate_limiter, hook *C.struct_tos_cancel_hook, h C.uintptr_t) (C.tos_result, *C.struct_tos_error) {
			ci.rate_limiter = rl
			ci.cancel_hook = hook
			C.tosgo_set_dir_callbacks(&ci, h, cbool(in.DirProgressListener != nil),
				cbool(in.DirEventListener != nil), cbool(in.RateLimiter != nil))
			var cerr *C.struct_tos_error
			rc := C.tos_upload_dir(c.ptr, &ci, &out, &cerr)
			runtime.KeepAlive(c)
			return rc, cerr
		})
	var result *UploadDirOutput
	if out != nil {
		result = dirOutput(out)
	}
	return result, err
}

// dirOutput copies the C output; the failures' errors are lent by it, so they are copied too.
func dirOutput(out *C.struct_tos_upload_dir_output) *UploadDirOutput {
	r := &UploadDirOutput{
		FilesUploaded: int64(C.tos_upload_dir_output_files_uploaded(out)),
		BytesUploaded: int64(C.tos_upload_dir_output_bytes_uploaded(out)),
		FilesSkipped:  int64(C.tos_upload_dir_output_files_skipped(out)),
		BytesSkipped:  int64(C.tos_upload_dir_output_bytes_skipped(out)),
		FilesLeftOut:  int64(C.tos_upload_dir_output_files_left_out(out)),
	}
	n := C.tos_upload_dir_output_failure_count(out)
	for i := C.size_t(0); i < n; i++ {
		cerr := C.tos_upload_dir_output_failure_error(out, i)
		r.Failures = append(r.Failures, DirFailure{
			Path: C.GoString(C.tos_upload_dir_output_failure_path(out, i)),
			Key:  C.GoString(C.tos_upload_dir_output_failure_key(out, i)),
			Err:  newError(Result(C.tos_error_result(cerr)), cerr),
		})
	}
	return r
}
