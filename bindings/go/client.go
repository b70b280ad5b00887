package tosupload

/*
#cgo pkg-config: tosupload
#include <stdlib.h>
#include "tosupload.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// Version is the version of the loaded library, e.g. "1.0.0".
func Version() string { return C.GoString(C.tos_version()) }

// VersionNum is the version of the loaded library as MAJOR*10000 + MINOR*100 + PATCH (10000
// for 1.0.0), to compare with HeaderVersionNum.
func VersionNum() int { return int(C.tos_version_num()) }

// HeaderVersion is the version of the header this package was compiled against.
var HeaderVersion = fmt.Sprintf("%d.%d.%d", C.TOS_VERSION_MAJOR, C.TOS_VERSION_MINOR, C.TOS_VERSION_PATCH)

// HeaderVersionNum is HeaderVersion as a number, as VersionNum is for the loaded library.
const HeaderVersionNum = C.TOS_VERSION_NUM

// Addressing says how bucket names go into URLs.
type Addressing uint32

const (
	// AddressingAuto is virtual-hosted (bucket.host/key), or path-style for an IP address.
	AddressingAuto Addressing = C.TOS_ADDRESSING_AUTO
	// AddressingPathStyle is always host/bucket/key.
	AddressingPathStyle Addressing = C.TOS_ADDRESSING_PATH_STYLE
	// AddressingCustomDomain: the endpoint serves one bucket, host/key.
	AddressingCustomDomain Addressing = C.TOS_ADDRESSING_CUSTOM_DOMAIN
)

// Protocol is the wire protocol a client speaks.
type Protocol uint32

const (
	// ProtocolTOS is TOS's native protocol (the default).
	ProtocolTOS Protocol = C.TOS_PROTOCOL_TOS
	// ProtocolS3 is the S3 protocol (AWS Signature V4): TOS's S3 endpoints and any
	// S3-compatible store. Empty fields come from AWS_ENDPOINT_URL, AWS_REGION,
	// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
	ProtocolS3 Protocol = C.TOS_PROTOCOL_S3
)

// String names the protocol as the C API does.
func (p Protocol) String() string {
	switch p {
	case ProtocolTOS:
		return "tos"
	case ProtocolS3:
		return "s3"
	}
	return fmt.Sprintf("Protocol(%d)", uint32(p))
}

// S3Checksum is how ProtocolS3 uploads prove their bytes to the store (the C API's
// tos_s3_checksum; see docs/s3-stores.md, "Checksum modes").
type S3Checksum uint32

const (
	// S3ChecksumAuto (the default): a streamed CRC-64/NVME trailer on parts; when the store
	// refuses trailers, the header, kept for the client.
	S3ChecksumAuto S3Checksum = C.TOS_S3_CHECKSUM_AUTO
	// S3ChecksumTrailer: always the streamed trailer on parts; a store that refuses it fails
	// the upload.
	S3ChecksumTrailer S3Checksum = C.TOS_S3_CHECKSUM_TRAILER
	// S3ChecksumHeader: the CRC-64/NVME read before the send, in x-amz-checksum-crc64nvme.
	S3ChecksumHeader S3Checksum = C.TOS_S3_CHECKSUM_HEADER
	// S3ChecksumContentMD5: Content-MD5, read before the send.
	S3ChecksumContentMD5 S3Checksum = C.TOS_S3_CHECKSUM_CONTENT_MD5
	// S3ChecksumNone: no checksum sent.
	S3ChecksumNone S3Checksum = C.TOS_S3_CHECKSUM_NONE
)

// Credentials says where a client's credentials come from.
type Credentials uint32

const (
	// CredentialsAuto (the default): AccessKey, SecretKey and SecurityToken when AccessKey is
	// set; otherwise all three from the environment (TOS_ACCESS_KEY, TOS_SECRET_KEY,
	// TOS_SECURITY_TOKEN; with ProtocolS3 AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
	// AWS_SESSION_TOKEN); with none there, unsigned requests.
	CredentialsAuto Credentials = C.TOS_CREDENTIALS_AUTO
	// CredentialsStatic: only the fields, never the environment; an empty AccessKey is
	// ResultMissingCredentials.
	CredentialsStatic Credentials = C.TOS_CREDENTIALS_STATIC
	// CredentialsEnvironment: only the environment variables named for CredentialsAuto; the
	// fields must be empty (ResultInvalidArgument), and no access key there is
	// ResultMissingCredentials.
	CredentialsEnvironment Credentials = C.TOS_CREDENTIALS_ENVIRONMENT
	// CredentialsAnonymous: unsigned requests (public-read buckets); the fields must be
	// empty and the environment is not read.
	CredentialsAnonymous Credentials = C.TOS_CREDENTIALS_ANONYMOUS
	// CredentialsCallback: from CredentialsProvider (required; chosen by itself when
	// Credentials is left CredentialsAuto); the key fields must be empty.
	CredentialsCallback Credentials = C.TOS_CREDENTIALS_CALLBACK
)

// ClientOptions configures NewClient. The zero value of every field means its default; an
// empty Endpoint or Region is read from the environment (TOS_ENDPOINT, TOS_REGION; the AWS_*
// ones with ProtocolS3), the keys as Credentials says.
type ClientOptions struct {
	Protocol Protocol
	Endpoint string // http://host:port or https://host
	Region   string // e.g. cn-beijing
	// Credentials chooses where the keys come from; the zero value is CredentialsAuto.
	Credentials   Credentials
	AccessKey     string // with CredentialsAuto or CredentialsStatic
	SecretKey     string
	SecurityToken string
	// CredentialsProvider, when set, supplies the credentials (CredentialsCallback), asked
	// again as they expire.
	CredentialsProvider CredentialsProvider
	Addressing          Addressing
	// MaxRetryCount is the retries after the first attempt of each request: 0 = default (3),
	// negative = none.
	MaxRetryCount int
	// ConnectTimeout: 0 = default (10 s). Rounded down to milliseconds.
	ConnectTimeout time.Duration
	// IdleTimeout is the longest time no byte moves in either direction while a request is
	// under way: 0 = default (30 s).
	IdleTimeout time.Duration
	// RequestBudget is the longest one request may take, its retries and their waits
	// included: 0 = default (120 s). A request with a body gets one more second per MiB.
	RequestBudget time.Duration
	// DisableCRC turns off the CRC-64 check of every part and of the whole object.
	DisableCRC bool
	// InsecureSkipTLSVerify is for test servers only.
	InsecureSkipTLSVerify bool
	// Proxy is the proxy for every request, http://[user:password@]host:port; "" = the
	// environment's HTTPS_PROXY, HTTP_PROXY, ALL_PROXY (or lower case), as curl reads them.
	// Its password never appears in errors or logs. Since 1.1.
	Proxy string
	// NoProxy lists the hosts, IP addresses and CIDR ranges that bypass the proxy, as curl's
	// NO_PROXY; "*" = no proxy at all; "" = the environment's NO_PROXY. Since 1.1.
	NoProxy string
	// CAFile is a PEM file of CA certificates trusted instead of the system's (as curl's
	// --cacert); "" = SSL_CERT_FILE when set, else the system's. Since 1.1.
	CAFile string
	// ClientCertFile and ClientKeyFile are a PEM client certificate and its key for mutual
	// TLS: both or neither. Read by NewClient, which fails naming a bad file. Since 1.1.
	ClientCertFile string
	ClientKeyFile  string
	// S3Checksum chooses the check S3 bodies carry; ignored by ProtocolTOS.
	S3Checksum S3Checksum
	// MaxRequestsPerSecond caps the requests the client sends per second, all calls
	// together (bursts of a tenth of a second's worth, at least 10): 0 = no cap.
	MaxRequestsPerSecond uint32
}

// Client holds the endpoint, credentials, retry policy and connection pool shared by its
// uploads. It is safe for concurrent use. Close it when done.
type Client struct {
	own owner
	ptr *C.struct_tos_client
}

// cstrings collects C copies of Go strings, freed together.
type cstrings []unsafe.Pointer

// opt returns NULL for "" (the C API's "not set") and a C copy otherwise.
func (cs *cstrings) opt(s string) *C.char {
	if s == "" {
		return nil
	}
	return cs.req(s)
}

// req always returns a C copy, so the library itself judges a required empty string.
func (cs *cstrings) req(s string) *C.char {
	p := C.CString(s)
	*cs = append(*cs, unsafe.Pointer(p))
	return p
}

func (cs *cstrings) free() {
	for _, p := range *cs {
		C.free(p)
	}
	*cs = nil
}

func millis(d time.Duration) C.uint32_t {
	ms := millis64(d)
	if ms > 1<<32-1 {
		ms = 1<<32 - 1
	}
	return C.uint32_t(ms)
}

// millis64 is d in whole milliseconds, at least 1 for a positive d (so it is not "default").
func millis64(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	ms := d.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return ms
}

// NewClient makes a client. On failure the error is an *Error (Result InvalidEndpoint,
// MissingCredentials, ...).
func NewClient(opts ClientOptions) (*Client, error) {
	var cs cstrings
	defer cs.free()
	var o C.struct_tos_client_options
	// The sized form: cgo cannot expand the header's macro, and the plain function
	// initialises only the 1.0 layout.
	C.tos_client_options_init_sized(&o, C.sizeof_tos_client_options)
	o.endpoint = cs.opt(opts.Endpoint)
	o.region = cs.opt(opts.Region)
	o.access_key = cs.opt(opts.AccessKey)
	o.secret_key = cs.opt(opts.SecretKey)
	o.security_token = cs.opt(opts.SecurityToken)
	o.credentials = C.uint32_t(opts.Credentials)
	o.addressing = C.uint32_t(opts.Addressing)
	switch {
	case opts.MaxRetryCount < 0:
		o.max_retry_count = -1
	case opts.MaxRetryCount > 1<<31-1:
		o.max_retry_count = 1<<31 - 1
	default:
		o.max_retry_count = C.int32_t(opts.MaxRetryCount)
	}
	o.connect_timeout_ms = millis(opts.ConnectTimeout)
	o.idle_timeout_ms = millis(opts.IdleTimeout)
	o.request_budget_ms = C.uint64_t(millis64(opts.RequestBudget))
	o.protocol = C.uint32_t(opts.Protocol)
	o.disable_crc = C.bool(opts.DisableCRC)
	o.insecure_skip_tls_verify = C.bool(opts.InsecureSkipTLSVerify)
	o.proxy = cs.opt(opts.Proxy)
	o.no_proxy = cs.opt(opts.NoProxy)
	o.ca_file = cs.opt(opts.CAFile)
	o.client_cert_file = cs.opt(opts.ClientCertFile)
	o.client_key_file = cs.opt(opts.ClientKeyFile)
	o.s3_checksum = C.uint32_t(opts.S3Checksum)
	freeProvider := func() {}
	if opts.CredentialsProvider != nil {
		freeProvider = setCredentialsProvider(&o, opts.CredentialsProvider)
	}
	o.max_requests_per_second = C.uint32_t(opts.MaxRequestsPerSecond)

	var client *C.struct_tos_client
	var cerr *C.struct_tos_error
	if rc := C.tos_client_new(&o, &client, &cerr); rc != C.TOS_OK {
		freeProvider()
		return nil, takeError(Result(rc), cerr)
	}
	c := &Client{ptr: client}
	c.own.free = func() {
		C.tos_client_free(client)
		freeProvider()
	}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close frees the client; uploads still running on it finish first (the C handle is freed
// when the last one returns), later ones fail with ErrClosed. Calling it again does nothing.
func (c *Client) Close() error {
	runtime.SetFinalizer(c, nil)
	c.own.close()
	return nil
}
