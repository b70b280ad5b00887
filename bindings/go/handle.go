package tosupload

import "sync"

// owner guards a C handle shared by running uploads: Close marks it closed and the handle is
// freed when the last upload using it returns. Only a plain mutex held for a moment, so Close
// and SetRate may be called from anywhere, listeners included, without deadlock.
type owner struct {
	mu     sync.Mutex
	users  int
	closed bool
	freed  bool
	free   func()
}

// acquire registers a user; false once closed.
func (o *owner) acquire() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	o.users++
	return true
}

func (o *owner) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.users--
	o.maybeFree()
}

func (o *owner) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	o.maybeFree()
}

func (o *owner) maybeFree() {
	if o.closed && o.users == 0 && !o.freed {
		o.freed = true
		o.free()
	}
}
