// Package tosupload is the Go binding of libtosupload, a resumable, parallel, CRC-64-verified
// uploader for Volcengine TOS, through its C API (include/tosupload.h) and cgo.
//
// The shapes follow the official TOS Go SDK where it has them: DataTransferListener,
// UploadEventListener, RateLimiter, NewCancelHook. Cancelling the context of UploadFile pauses
// the upload (the multipart upload and the checkpoint are kept, so the same call resumes it
// when EnableCheckpoint is set); CancelHook.Cancel(true) aborts it.
//
// Building: the module is github.com/libtosupload/libtosupload/bindings/go (package name
// tosupload). cgo finds the header and the library through pkg-config (`#cgo pkg-config:
// tosupload`): install the C library (`cmake --install build --prefix PREFIX`) and set
// PKG_CONFIG_PATH=PREFIX/lib/pkgconfig if PREFIX is not a system one. No run path is recorded:
// a library outside the loader's directories needs LD_LIBRARY_PATH=PREFIX/lib at run time (or
// CGO_LDFLAGS="-Wl,-rpath,PREFIX/lib" at build time). From a checkout of the repository, a
// program's go.mod uses it with
//
//	require github.com/libtosupload/libtosupload/bindings/go v0.0.0
//	replace github.com/libtosupload/libtosupload/bindings/go => /path/to/libtosupload/bindings/go
//
// UploadDir uploads a folder tree (tos_upload_dir) with its own progress and per-file event
// listeners; the enums print their names (String). UploadStream uploads what an io.Reader
// yields, of unknown size (tos_upload_stream); it cannot be resumed, so a cancelled context
// aborts it. ListMultipartUploads and AbortMultipartUpload find and remove the multipart
// uploads left open by paused uploads or dead processes.
//
// DownloadFile downloads one object to a file in ranged GETs, resumably (tos_download_file),
// with the Go SDK's DownloadFileInput fields and a DownloadEventListener; as for UploadFile, a
// cancelled context pauses it and EnableCheckpoint lets the same call resume it. Its own
// failures are ErrObjectChanged and ErrLocalWrite.
//
// DownloadDir brings every object under a prefix into a folder (tos_download_dir), each as
// DownloadFile would, with its own progress and per-object event listeners
// (DownloadDirProgressListener, DownloadDirEventListener); CheckpointDir makes it resumable
// as a whole and SkipExisting leaves identical local files alone. As with UploadDir, failed
// objects are listed in the output returned with ErrSomeFilesFailed.
//
// ClientOptions.Credentials chooses where the keys come from (CredentialsAuto, Static,
// Environment, Anonymous). From inside a listener, a RateLimiter or a Reader, the calls that
// send requests or make a client return ErrReentrantCall without sending anything.
//
// Callbacks cross cgo through runtime/cgo.Handle: C receives only an integer handle, never a
// Go pointer. They run on the goroutine that called UploadFile (or DownloadFile, ...), one at
// a time, and never after it returns. A panic in a listener (or a stream's Reader) is recovered at the C
// boundary, stops the upload, and is raised again from the call once the library has returned.
//
// Signals: Go's runtime lets a SIGPIPE raised outside Go code (a C thread, or a cgo call)
// take its default action and kill the process. The library never raises one here: its
// threads block SIGPIPE, and so does the thread of an UploadFile call while it is in C (the
// mask is restored after). Nothing needs to be set up in Go (sigpipe_test.go).
package tosupload
