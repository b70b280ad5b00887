package tosupload

// The exported trampoline of CredentialsProvider (trampolines_credentials.c calls it).
// Declarations only in the preamble, as cgo requires of files with //export.

/*
#include <stdint.h>
#include "tosupload.h"
*/
import "C"

//export tosgoCredentials
func tosgoCredentials(out *C.struct_tos_provided_credentials, id C.uintptr_t) C.uint32_t {
	st, ok := credentialStates.Load(uintptr(id))
	if !ok || !st.(*credentialsState).provide(out) {
		return C.TOS_ERR_MISSING_CREDENTIALS
	}
	return C.TOS_OK
}
