// Package tosupload is the Go binding of libtosupload, a resumable, parallel, CRC-64-verified
// uploader for Volcengine TOS, through its C API (include/tosupload.h) and cgo.
//
// The shapes follow the official TOS Go SDK where it has them: DataTransferListener,
// UploadEventListener, RateLimiter, NewCancelHook. Cancelling the context of UploadFile pauses
// the upload (the multipart upload and the checkpoint are kept, so the same call resumes it
// when EnableCheckpoint is set); CancelHook.Cancel(true) aborts it.
//
// Building: cgo needs the header (include/) and the built library. By default it looks in
// build/lib of the repository (what `cmake -S . -B build && cmake --build build` stages) and
// records that directory as the run path; to use another build, set for example
//
//	CGO_LDFLAGS="-L$PWD/build/release/lib -Wl,-rpath,$PWD/build/release/lib"
//
// (flags from CGO_LDFLAGS come before the package's own, so they win).
//
// Callbacks cross cgo through runtime/cgo.Handle: C receives only an integer handle, never a
// Go pointer. They run on the goroutine that called UploadFile, one at a time, and never
// after it returns. A panic in a listener is recovered at the C boundary, pauses the upload,
// and is raised again from UploadFile once the library has returned.
//
// Signals: Go's runtime lets a SIGPIPE raised outside Go code (a C thread, or a cgo call)
// take its default action and kill the process. The library never raises one here: its
// threads block SIGPIPE, and so does the thread of an UploadFile call while it is in C (the
// mask is restored after). Nothing needs to be set up in Go (sigpipe_test.go).
package tosupload
