package tosupload

/*
#include <stdint.h>
#include "tosupload.h"
void tosgo_set_credentials(struct tos_client_options *options, uintptr_t handle);
*/
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ProvidedCredentials is what a CredentialsProvider hands over.
type ProvidedCredentials struct {
	AccessKey     string
	SecretKey     string
	SecurityToken string // "" for none
	// Expires is when they stop working; the zero time: never. The library asks again
	// 5 minutes before (a tenth of their lifetime when that is shorter).
	Expires time.Time
}

// CredentialsProvider supplies credentials that can change while a client runs (STS tokens),
// as the TOS Go SDK's does. Set ClientOptions.CredentialsProvider. Credentials is called
// before the first request, again before the credentials it returned expire and after the
// server refuses them as expired; calls come one at a time, from a thread of the library,
// and may block (a request waits at most 60 s). An error, or no AccessKey or SecretKey,
// fails the requests that needed them with ResultMissingCredentials; a panic is recovered
// and is such an error. Uploads and downloads may not be started from inside it.
type CredentialsProvider interface {
	Credentials() (ProvidedCredentials, error)
}

// credentialsState is what the client's credentials_user_data handle reaches.
type credentialsState struct {
	provider CredentialsProvider
	mu       sync.Mutex
	// The C copies handed to the library, which copies them once the callback returns:
	// freed at the next call (calls never overlap) or with the client.
	lent cstrings
}

// The providers of live clients by id. Not cgo.Handle: a call of the library still under way
// when its client is freed (tos_client_free leaves a stuck thread to finish on its own) must
// find nothing rather than panic on a deleted handle.
var (
	credentialStates sync.Map
	lastCredentialID atomic.Uintptr
)

// setCredentialsProvider points the options' callback at p; the returned function frees
// what it keeps, once the client is freed.
func setCredentialsProvider(o *C.struct_tos_client_options, p CredentialsProvider) func() {
	st := &credentialsState{provider: p}
	id := lastCredentialID.Add(1)
	credentialStates.Store(id, st)
	if o.credentials == C.TOS_CREDENTIALS_AUTO {
		o.credentials = C.TOS_CREDENTIALS_CALLBACK
	}
	C.tosgo_set_credentials(o, C.uintptr_t(id))
	return func() {
		credentialStates.Delete(id)
		st.mu.Lock()
		st.lent.free()
		st.mu.Unlock()
	}
}

// provide runs the provider for the C callback and fills out; false when it gave nothing.
func (st *credentialsState) provide(out *C.struct_tos_provided_credentials) (ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.lent.free()
	var given ProvidedCredentials
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the credentials provider panicked")
			}
		}()
		given, err = st.provider.Credentials()
	}()
	if err != nil {
		return false
	}
	out.access_key = st.lent.opt(given.AccessKey)
	out.secret_key = st.lent.opt(given.SecretKey)
	out.security_token = st.lent.opt(given.SecurityToken)
	if !given.Expires.IsZero() {
		out.expires_at_unix_ms = C.uint64_t(given.Expires.UnixMilli())
	}
	return true
}
