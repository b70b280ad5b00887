package tosupload

/*
#include <stdint.h>
#include <stdlib.h>
#include "tosupload.h"

void tosgo_set_download_dir_callbacks(struct tos_download_dir_input *input, uintptr_t handle, int progress,
                                      int event, int rate);
*/
import "C"

import (
	"context"
	"runtime"
)

// DownloadDirEventType is the kind of a DownloadDirEvent. Its own type, not DirEventType,
// because the C API names each call's events apart (the numbers happen to be the same).
type DownloadDirEventType int

const (
	// An object's download starts; exactly one Succeeded, Failed or Skipped follows for the
	// same key.
	DownloadDirEventFileStarted DownloadDirEventType = C.TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_STARTED
	// The object is in place at Path (for a key ending in "/", the directory was made).
	DownloadDirEventFileSucceeded DownloadDirEventType = C.TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_SUCCEEDED
	DownloadDirEventFileFailed    DownloadDirEventType = C.TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_FAILED  // Err says why
	DownloadDirEventFileSkipped   DownloadDirEventType = C.TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_SKIPPED // Reason says why
	// FileConcurrency (0: automatic) now downloads FileConcurrency objects at once; Path and
	// Key are empty.
	DownloadDirEventFileConcurrencyChanged DownloadDirEventType = C.TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED
)

// DownloadDirProgress is the aggregate progress of a folder download. The totals grow while
// the bucket is listed and are final once ListingComplete.
type DownloadDirProgress struct {
	BytesDone       int64 // of the objects done (written now, or found done by an earlier run)
	BytesTotal      int64 // of every object listed so far
	FilesDone       int64
	FilesTotal      int64 // listed so far
	FilesSkipped    int64 // of FilesDone, not fetched: journal, or SkipExisting
	FilesFailed     int64
	ListingComplete bool // the whole prefix has been listed
}

// DownloadDirEvent is one object's step in a folder download; everything in it is a copy.
type DownloadDirEvent struct {
	Type          DownloadDirEventType
	Path          string // the local path: Dir joined with the key after Prefix
	Key           string // the object key
	Size          int64
	ETag          string  // quoted, when the listing gave it
	HashCrc64ecma *uint64 // when the listing (or a HEAD) gave it
	Reason        string  // why an object was skipped
	Err           error   // *Error, why an object failed
	// FileConcurrency is, for DownloadDirEventFileConcurrencyChanged, the objects now
	// downloaded at once; 0 otherwise.
	FileConcurrency int
}

// DownloadDirProgressListener receives the progress of a folder download. Its method is
// named apart from DirProgressListener's, so one type may listen to both folder calls.
type DownloadDirProgressListener interface {
	DownloadDirProgressChange(progress *DownloadDirProgress)
}

// DownloadDirEventListener receives the per-object events of a folder download.
type DownloadDirEventListener interface {
	DownloadDirEventChange(event *DownloadDirEvent)
}

// DownloadDirInput is the input of Client.DownloadDir. Bucket and Dir are required; every
// other zero field means its default.
type DownloadDirInput struct {
	Bucket string
	// Prefix selects the objects whose keys start with it ("" = the whole bucket). An
	// object's local path is Dir joined with its key after Prefix (a "/" right after a Prefix
	// that does not end in one is dropped).
	Prefix string
	Dir    string // the local folder, made if missing
	// Include and Exclude are globs (*, **, ?, [a-z]) on the key after Prefix, as in
	// UploadDirInput. With Include, only matching objects are downloaded.
	Include         []string
	Exclude         []string
	FileConcurrency int   // objects at once; 0 = automatic, at most 16 (DownloadDirEventFileConcurrencyChanged)
	TaskNum         int   // ranges at once per large object, at most 1000; 0 = automatic
	PartSize        int64 // bytes per ranged GET, 5 MiB ..= 5 GiB; 0 = 20 MiB
	// CheckpointDir makes the download resumable as a whole: a journal of finished objects and
	// the large objects' checkpoints, so a paused, failed or killed download fetches nothing
	// twice. "" = not resumable. The journal is removed once every object is done.
	CheckpointDir string
	// ContinueOnError downloads every object that can be and lists the failures; by default
	// no new object starts after the first failure.
	ContinueOnError bool
	// SkipExisting leaves alone a local file with the object's size and CRC-64
	// (DownloadDirEventFileSkipped); it costs a read of each such file. A server that gives
	// no CRC-64 (some S3 stores) proves nothing, and the object is downloaded.
	SkipExisting bool

	DownloadDirProgressListener DownloadDirProgressListener
	DownloadDirEventListener    DownloadDirEventListener
	// RateLimiter is asked before any object's bytes are written; it takes precedence over
	// TokenBucket.
	RateLimiter RateLimiter
	TokenBucket *TokenBucket
	// CancelHook pauses (journal and checkpoints kept) or aborts (journal removed) the whole
	// folder download.
	CancelHook *CancelHook
}

// DownloadDirOutput is the result of a folder download.
type DownloadDirOutput struct {
	FilesDownloaded int64 // by this call; folder markers not counted
	BytesDownloaded int64 // body bytes fetched for them by this call (a resumed one: only its missing ranges)
	FilesSkipped    int64 // not fetched: done by an earlier run (journal), or SkipExisting
	BytesSkipped    int64
	DirsCreated     int64        // directories made for keys ending in "/"
	Failures        []DirFailure // with ContinueOnError, every failed object
}

// downloadDirCallState is what the C callbacks of one DownloadDir reach through their
// cgo.Handle; the embedded callState carries the hook and the recovered panic.
type downloadDirCallState struct {
	callState
	downloadDir *DownloadDirInput
}

// DownloadDir downloads every object under in.Prefix into in.Dir (tos_download_dir): the
// listing feeds the downloads as it comes, each object goes through DownloadFile's machinery
// (a temporary file, If-Match, CRC-64, a rename: never a partial file), several at once. A
// key that would lead outside Dir (.. segments, a symbolic link on the way, ...) fails its
// object, never writes elsewhere. It blocks until every object is done or the download is
// stopped. Cancelling ctx pauses it (ErrPaused; with CheckpointDir the same call resumes it);
// in.CancelHook can pause or abort it. When some objects failed the output lists them and
// the error is ErrSomeFilesFailed (an *Error about the first failure); any other failure (bad
// input, a listing that fails such as a missing bucket, a pause) returns a nil output. The
// listeners run on the calling goroutine, one at a time, and never after DownloadDir returns.
func (c *Client) DownloadDir(ctx context.Context, in *DownloadDirInput) (*DownloadDirOutput, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if in == nil {
		return nil, &Error{Result: ResultNullArgument, Message: "DownloadDirInput is nil"}
	}
	if in.PartSize < 0 || in.TaskNum < 0 || in.FileConcurrency < 0 {
		return nil, &Error{Result: ResultInvalidArgument, Message: "PartSize, TaskNum and FileConcurrency must not be negative"}
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
	var ci C.struct_tos_download_dir_input
	C.tos_download_dir_input_init(&ci)
	ci.bucket = cs.req(in.Bucket)
	ci.prefix = cs.opt(in.Prefix)
	ci.dir = cs.req(in.Dir)
	inc, nInc := cs.array(in.Include)
	ci.include, ci.include_count = inc, nInc
	exc, nExc := cs.array(in.Exclude)
	ci.exclude, ci.exclude_count = exc, nExc
	ci.file_concurrency = clampU32(in.FileConcurrency)
	ci.task_num = clampU32(in.TaskNum)
	ci.part_size = C.uint64_t(in.PartSize)
	ci.checkpoint_dir = cs.opt(in.CheckpointDir)
	ci.continue_on_error = C.bool(in.ContinueOnError)
	ci.skip_existing = C.bool(in.SkipExisting)

	st := &downloadDirCallState{downloadDir: in}
	var out *C.struct_tos_download_dir_output
	defer func() { C.tos_download_dir_output_free(out) }() // NULL-safe; also when a listener panicked
	err := runTransfer(ctx, in.TokenBucket, in.CancelHook, &st.callState, st,
		func(rl *C.struct_tos_rate_limiter, hook *C.struct_tos_cancel_hook, h C.uintptr_t) (C.tos_result, *C.struct_tos_error) {
			ci.rate_limiter = rl
			ci.cancel_hook = hook
			C.tosgo_set_download_dir_callbacks(&ci, h, cbool(in.DownloadDirProgressListener != nil),
				cbool(in.DownloadDirEventListener != nil), cbool(in.RateLimiter != nil))
			var cerr *C.struct_tos_error
			rc := C.tos_download_dir(c.ptr, &ci, &out, &cerr)
			runtime.KeepAlive(c)
			return rc, cerr
		})
	var result *DownloadDirOutput
	if out != nil { // TOS_OK, or TOS_ERR_SOME_FILES_FAILED with err
		result = downloadDirOutput(out)
	}
	return result, err
}

// downloadDirOutput copies the C output; the failures' errors are lent by it, so they are
// copied too.
func downloadDirOutput(out *C.struct_tos_download_dir_output) *DownloadDirOutput {
	r := &DownloadDirOutput{
		FilesDownloaded: int64(C.tos_download_dir_output_files_downloaded(out)),
		BytesDownloaded: int64(C.tos_download_dir_output_bytes_downloaded(out)),
		FilesSkipped:    int64(C.tos_download_dir_output_files_skipped(out)),
		BytesSkipped:    int64(C.tos_download_dir_output_bytes_skipped(out)),
		DirsCreated:     int64(C.tos_download_dir_output_dirs_created(out)),
	}
	n := C.tos_download_dir_output_failure_count(out)
	for i := C.size_t(0); i < n; i++ {
		cerr := C.tos_download_dir_output_failure_error(out, i)
		r.Failures = append(r.Failures, DirFailure{
			Path: C.GoString(C.tos_download_dir_output_failure_path(out, i)),
			Key:  C.GoString(C.tos_download_dir_output_failure_key(out, i)),
			Err:  newError(Result(C.tos_error_result(cerr)), cerr),
		})
	}
	return r
}
