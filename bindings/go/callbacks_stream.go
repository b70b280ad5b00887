package tosupload

// The exported read trampoline of UploadStream (trampolines.c calls it). Declarations only
// in the preamble, as cgo requires of files with //export.

/*
#include <stdint.h>
#include "tosupload.h"
*/
import "C"

import (
	"fmt"
	"io"
	"runtime/cgo"
	"unsafe"
)

// maxRead bounds one Read, so the slice length fits an int on every platform; a short read
// is fine for the library.
const maxRead = 1 << 30

// emptyReadsAllowed is how many (0, nil) Reads in a row are taken as "nothing yet", as bufio
// does, before the Reader is judged broken (io.ErrNoProgress).
const emptyReadsAllowed = 100

//export tosgoRead
func tosgoRead(buf *C.uint8_t, capacity C.size_t, h C.uintptr_t) C.int64_t {
	s := cgo.Handle(h).Value().(*streamState)
	return C.int64_t(s.read(buf, capacity))
}

// read fills at most capacity bytes of buf from the Reader: the count, 0 at io.EOF only (for
// the library 0 is the end), negative for a failure.
func (s *streamState) read(buf *C.uint8_t, capacity C.size_t) int64 {
	if s.st.panicked {
		return -1
	}
	if s.ctx.Err() != nil {
		// Cancelled before the negative result, so the library ends the upload as a cancel
		// (ErrAborted) rather than as a read error; the watcher goroutine may not have run yet.
		C.tos_pause(s.st.hook)
		return -1
	}
	if err := s.pending; err != nil {
		if err == io.EOF {
			return 0
		}
		s.readErr = err
		return -1
	}
	n := int(maxRead)
	if capacity < maxRead {
		n = int(capacity)
	}
	// The Reader writes straight into the library's buffer: io.Reader must not keep p.
	p := unsafe.Slice((*byte)(unsafe.Pointer(buf)), n)
	got, err := 0, error(nil)
	s.st.guard(func() {
		for tries := 0; got == 0 && err == nil; tries++ {
			if tries == emptyReadsAllowed {
				err = io.ErrNoProgress
				break
			}
			got, err = s.r.Read(p)
		}
	})
	switch {
	case s.st.panicked: // guard has cancelled the upload
		return -1
	case got < 0 || got > n:
		s.readErr = fmt.Errorf("tosupload: the Reader returned %d bytes for a buffer of %d", got, n)
		return -1
	case got > 0:
		s.pending = err
		return int64(got)
	case err == io.EOF:
		return 0
	}
	s.readErr = err
	return -1
}
