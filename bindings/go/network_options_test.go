package tosupload_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// The 1.1 network options reach the library: a Proxy where nothing listens fails the upload
// naming the proxy but not its password, NoProxy "*" bypasses it, and NewClient refuses a
// missing CAFile and a ClientCertFile without its key (tests/c/test_tosput_proxy.py and
// test_tosput_tls.py go through real proxies and TLS servers).
func TestNetworkOptions(t *testing.T) {
	bucket, _ := env(t)
	path, crc := makeFile(t, 1000)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadProxy := "http://tester:go-pr0xy-secret@" + listener.Addr().String()
	listener.Close()

	upload := func(opts tos.ClientOptions) (*tos.UploadFileOutput, error) {
		t.Helper()
		c, err := tos.NewClient(opts)
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		defer c.Close()
		return c.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: bucket, Key: "go/network-options.bin",
			FilePath: path})
	}
	opts := optionsWith(tos.CredentialsEnvironment)
	opts.Proxy = deadProxy
	_, err = upload(opts)
	var e *tos.Error
	if !errors.As(err, &e) || e.Result != tos.ResultNetwork || !strings.Contains(e.Message, "through the proxy") {
		t.Errorf("upload through a proxy that is down: %v, want a network error naming the proxy", err)
	}
	if err != nil && strings.Contains(err.Error(), "go-pr0xy-secret") {
		t.Errorf("the error shows the proxy's password: %v", err)
	}
	opts.NoProxy = "*"
	if out, err := upload(opts); err != nil || out.HashCrc64ecma != crc {
		t.Errorf("NoProxy \"*\": %v", err)
	}

	bad := optionsWith(tos.CredentialsEnvironment)
	bad.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := tos.NewClient(bad); !errors.As(err, &e) || e.Result != tos.ResultFileNotFound ||
		!strings.Contains(e.Message, bad.CAFile) {
		t.Errorf("a missing CAFile: %v, want FileNotFound naming it", err)
	}
	bad = optionsWith(tos.CredentialsEnvironment)
	bad.ClientCertFile = path
	if _, err := tos.NewClient(bad); !errors.As(err, &e) || e.Result != tos.ResultInvalidArgument {
		t.Errorf("ClientCertFile without ClientKeyFile: %v, want InvalidArgument", err)
	}
}
