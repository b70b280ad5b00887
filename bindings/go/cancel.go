package tosupload

/*
#include "tosupload.h"
*/
import "C"

import "sync"

// CancelHook pauses or aborts the uploads it is given to (UploadFileInput.CancelHook), like
// the TOS Go SDK's tos.NewCancelHook(). It may be shared by several uploads and used from any
// goroutine, also from inside a listener. As in the C API it stops every upload using it, now
// and later: make a new hook for a new attempt.
type CancelHook struct {
	mu     sync.Mutex
	state  int // 0 not cancelled, 1 paused, 2 aborted
	active map[*C.struct_tos_cancel_hook]struct{}
}

// NewCancelHook makes a cancel hook.
func NewCancelHook() *CancelHook {
	return &CancelHook{active: map[*C.struct_tos_cancel_hook]struct{}{}}
}

// Cancel stops the uploads using the hook. isAbort false pauses (UploadFile returns
// ErrPaused, the multipart upload and checkpoint are kept); true aborts (ErrAborted, the
// multipart upload is aborted on the server and the checkpoint deleted). The first request
// wins, except that an abort may follow a pause. Returns at once.
func (h *CancelHook) Cancel(isAbort bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == 2 || (h.state == 1 && !isAbort) {
		return
	}
	h.state = 1
	if isAbort {
		h.state = 2
	}
	for p := range h.active {
		pull(p, isAbort)
	}
}

// pull pauses or aborts one call's C hook.
func pull(p *C.struct_tos_cancel_hook, isAbort bool) {
	if isAbort {
		C.tos_abort(p)
	} else {
		C.tos_pause(p)
	}
}

// attach forwards this hook's cancellations, past and future, to one upload's C hook.
func (h *CancelHook) attach(p *C.struct_tos_cancel_hook) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.active == nil {
		h.active = map[*C.struct_tos_cancel_hook]struct{}{}
	}
	h.active[p] = struct{}{}
	if h.state != 0 {
		pull(p, h.state == 2)
	}
}

func (h *CancelHook) detach(p *C.struct_tos_cancel_hook) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.active, p)
}
