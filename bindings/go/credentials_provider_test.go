package tosupload_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// shortLived hands out the local server's keys as if they expired after lifetime, so the
// library must ask again during a slow upload; or fails when told to.
type shortLived struct {
	lifetime time.Duration
	fail     bool
	calls    atomic.Int32
}

func (p *shortLived) Credentials() (tos.ProvidedCredentials, error) {
	p.calls.Add(1)
	if p.fail {
		return tos.ProvidedCredentials{}, errors.New("the STS service is down")
	}
	return tos.ProvidedCredentials{
		AccessKey: os.Getenv("TOS_ACCESS_KEY"),
		SecretKey: os.Getenv("TOS_SECRET_KEY"),
		Expires:   time.Now().Add(p.lifetime),
	}, nil
}

// A CredentialsProvider whose credentials last 1 s serves a rate-limited upload of about 3 s:
// it is asked again (more than once in all) and the bytes arrive; a provider that fails gives
// ResultMissingCredentials before anything is sent.
func TestCredentialsProvider(t *testing.T) {
	bucket, adminURL := env(t)
	path, crc := makeFile(t, 12<<20+7)
	upload := func(p *shortLived, key string) (*tos.UploadFileOutput, error) {
		t.Helper()
		c, err := tos.NewClient(tos.ClientOptions{
			Endpoint:            os.Getenv("TOS_ENDPOINT"),
			Region:              os.Getenv("TOS_REGION"),
			CredentialsProvider: p,
			MaxRetryCount:       -1,
		})
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		defer c.Close()
		bucketLimit, err := tos.NewTokenBucket(4<<20, 256<<10)
		if err != nil {
			t.Fatal(err)
		}
		defer bucketLimit.Close()
		return c.UploadFile(context.Background(), &tos.UploadFileInput{
			Bucket: bucket, Key: key, FilePath: path, PartSize: 5 << 20, TaskNum: 2,
			TokenBucket: bucketLimit,
		})
	}

	renewing := &shortLived{lifetime: time.Second}
	out, err := upload(renewing, "go/credentials-provider.bin")
	if err != nil || out.HashCrc64ecma != crc {
		t.Fatalf("upload with a provider: %v", err)
	}
	if calls := renewing.calls.Load(); calls < 2 {
		t.Errorf("the provider was asked %d times during a 3 s upload of 1 s credentials", calls)
	}
	checkObjectBytes(t, adminURL, bucket, "go/credentials-provider.bin", path)

	_, err = upload(&shortLived{fail: true}, "go/credentials-provider-failing.bin")
	var e *tos.Error
	if !errors.As(err, &e) || e.Result != tos.ResultMissingCredentials || !strings.Contains(e.Message, "credentials") {
		t.Errorf("a failing provider: %v, want ResultMissingCredentials", err)
	}
}
