package tosupload

/*
#include <stdlib.h>
#include "tosupload.h"
*/
import "C"

import (
	"sort"
	"time"
	"unsafe"
)

// ObjectAttributes are the headers, ACL, metadata and encryption of the objects an upload
// creates (UploadDirInput.Attributes, UploadStreamInput.Attributes); the zero value sets none.
type ObjectAttributes struct {
	ContentType               string // "" = guessed from each key's extension
	CacheControl              string
	ContentDisposition        string
	ContentEncoding           string
	ContentLanguage           string
	Expires                   time.Time // zero = not set
	ACL                       string
	StorageClass              string
	Meta                      map[string]string
	Tagging                   string // URL-encoded k1=v1&k2=v2
	ForbidOverwrite           bool
	SSECAlgorithm             string
	SSECKey                   string // base64
	SSECKeyMD5                string // base64
	ServerSideEncryption      string
	ServerSideEncryptionKeyID string
	WebsiteRedirectLocation   string
	TrafficLimit              int64 // bits per second; 0 = none
}

// array copies strs into a C array of C strings (NULL for none).
func (cs *cstrings) array(strs []string) (**C.char, C.size_t) {
	if len(strs) == 0 {
		return nil, 0
	}
	// C memory: the array holds pointers, so it must not be Go memory.
	arr := (**C.char)(C.calloc(C.size_t(len(strs)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	*cs = append(*cs, unsafe.Pointer(arr))
	entries := unsafe.Slice(arr, len(strs))
	for i, s := range strs {
		entries[i] = cs.req(s)
	}
	return arr, C.size_t(len(strs))
}

func (cs *cstrings) attributes(a *ObjectAttributes, ca *C.struct_tos_object_attributes) {
	ca.content_type = cs.opt(a.ContentType)
	ca.cache_control = cs.opt(a.CacheControl)
	ca.content_disposition = cs.opt(a.ContentDisposition)
	ca.content_encoding = cs.opt(a.ContentEncoding)
	ca.content_language = cs.opt(a.ContentLanguage)
	if !a.Expires.IsZero() {
		ca.expires = C.int64_t(a.Expires.Unix())
	}
	ca.acl = cs.opt(a.ACL)
	ca.storage_class = cs.opt(a.StorageClass)
	ca.tagging = cs.opt(a.Tagging)
	ca.forbid_overwrite = C.bool(a.ForbidOverwrite)
	ca.ssec_algorithm = cs.opt(a.SSECAlgorithm)
	ca.ssec_key = cs.opt(a.SSECKey)
	ca.ssec_key_md5 = cs.opt(a.SSECKeyMD5)
	ca.server_side_encryption = cs.opt(a.ServerSideEncryption)
	ca.server_side_encryption_key_id = cs.opt(a.ServerSideEncryptionKeyID)
	ca.website_redirect_location = cs.opt(a.WebsiteRedirectLocation)
	ca.traffic_limit = C.uint64_t(a.TrafficLimit)
	if len(a.Meta) > 0 {
		keys := make([]string, 0, len(a.Meta))
		for k := range a.Meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		arr := (*C.struct_tos_meta_entry)(C.calloc(C.size_t(len(keys)), C.size_t(unsafe.Sizeof(C.struct_tos_meta_entry{}))))
		*cs = append(*cs, unsafe.Pointer(arr))
		entries := unsafe.Slice(arr, len(keys))
		for i, k := range keys {
			entries[i].key = cs.req(k)
			entries[i].value = cs.req(a.Meta[k])
		}
		ca.meta = arr
		ca.meta_count = C.size_t(len(keys))
	}
}
