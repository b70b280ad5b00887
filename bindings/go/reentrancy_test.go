package tosupload_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// From inside a listener, the calls that send requests or make a client are refused by the
// library before anything is sent (ErrReentrantCall), and the outer upload goes on; what a
// listener may do there (CancelHook, TokenBucket.SetRate) still works.
func TestCallsFromInsideAListenerAreRefused(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	path, crc := makeFile(t, 6*mib+1)
	const innerKey = "go/reentrant-inner.bin"
	limiter, err := tos.NewTokenBucket(64*mib, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer limiter.Close()

	downloadDest := filepath.Join(t.TempDir(), "inner.bin")
	downloadDirDest := filepath.Join(t.TempDir(), "inner-dir")
	var uploadErr, streamErr, downloadErr, downloadDirErr, listErr, abortErr, clientErr, setRateErr error
	called := false
	out, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: "go/reentrant.bin", FilePath: path, PartSize: 5 * mib, TokenBucket: limiter,
		DataTransferListener: progressFunc(func(s *tos.DataTransferStatus) {
			if s.Type != tos.DataTransferStarted {
				return
			}
			called = true
			_, uploadErr = c.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: bucket, Key: innerKey, FilePath: path})
			_, streamErr = c.UploadStream(context.Background(), &tos.UploadStreamInput{Bucket: bucket, Key: innerKey, Reader: &eofReader{}})
			_, downloadErr = c.DownloadFile(context.Background(), &tos.DownloadFileInput{Bucket: bucket, Key: innerKey, FilePath: downloadDest})
			_, downloadDirErr = c.DownloadDir(context.Background(), &tos.DownloadDirInput{Bucket: bucket, Prefix: "go/", Dir: downloadDirDest})
			_, listErr = c.ListMultipartUploads(context.Background(), tos.ListMultipartUploadsInput{Bucket: bucket})
			abortErr = c.AbortMultipartUpload(context.Background(), tos.AbortMultipartUploadInput{Bucket: bucket, Key: innerKey, UploadID: "id"})
			var another *tos.Client
			another, clientErr = tos.NewClient(optionsWith(tos.CredentialsEnvironment))
			if another != nil {
				another.Close()
			}
			setRateErr = limiter.SetRate(128*mib, 0)
		}),
	})
	if err != nil || out.HashCrc64ecma != crc {
		t.Fatalf("the outer upload: %v", err)
	}
	if !called {
		t.Fatal("no DataTransferStarted")
	}
	for what, err := range map[string]error{
		"UploadFile": uploadErr, "UploadStream": streamErr, "DownloadFile": downloadErr, "DownloadDir": downloadDirErr,
		"ListMultipartUploads": listErr,
		"AbortMultipartUpload": abortErr, "NewClient": clientErr,
	} {
		var e *tos.Error
		if !errors.Is(err, tos.ErrReentrantCall) || !errors.As(err, &e) || e.Result != tos.ResultReentrantCall {
			t.Errorf("%s inside a listener: %v, want ErrReentrantCall", what, err)
		}
	}
	for _, dest := range []string{downloadDest, downloadDirDest} {
		if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused download left something at %s: %v", dest, err)
		}
	}
	if setRateErr != nil {
		t.Errorf("TokenBucket.SetRate inside a listener: %v", setRateErr)
	}
	resp, err := http.Get(adminURL + "/object?bucket=" + url.QueryEscape(bucket) + "&key=" + url.QueryEscape(innerKey))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the refused inner upload: the object answers HTTP %d, want 404", resp.StatusCode)
	}
}

// eofReader is an empty stream.
type eofReader struct{}

func (*eofReader) Read([]byte) (int, error) { return 0, io.EOF }
