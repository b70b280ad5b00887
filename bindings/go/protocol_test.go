package tosupload_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// The protocol option reaches the engine: a dotted bucket name is valid for S3 and refused
// by TOS's naming rules, so with an unreachable S3 endpoint the same input fails on the
// network, not on the name.
func TestProtocolOptionSelectsTheNamingRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		protocol tos.Protocol
		want     tos.Result
	}{
		{tos.ProtocolTOS, tos.ResultInvalidBucket},
		{tos.ProtocolS3, tos.ResultNetwork},
	}
	for _, tc := range cases {
		c, err := tos.NewClient(tos.ClientOptions{
			Protocol: tc.protocol, Endpoint: "http://127.0.0.1:1", Region: "cn-beijing",
			AccessKey: "AK", SecretKey: "SK", MaxRetryCount: -1,
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.protocol, err)
		}
		_, err = c.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: "my.bucket", Key: "k", FilePath: path})
		c.Close()
		var te *tos.Error
		if !errors.As(err, &te) || te.Result != tc.want {
			t.Errorf("%s: got %v, want %s", tc.protocol, err, tc.want)
		}
	}
	if tos.ProtocolS3.String() != "s3" || tos.ProtocolTOS.String() != "tos" {
		t.Errorf("String: %s, %s", tos.ProtocolS3, tos.ProtocolTOS)
	}
}

// S3Checksum reaches the C options: a value outside tos_s3_checksum is refused by
// NewClient, and every named mode makes a client.
func TestS3ChecksumOptionReachesTheLibrary(t *testing.T) {
	base := tos.ClientOptions{
		Protocol: tos.ProtocolS3, Endpoint: "http://127.0.0.1:1", Region: "us-east-1",
		AccessKey: "AK", SecretKey: "SK",
	}
	for _, mode := range []tos.S3Checksum{tos.S3ChecksumAuto, tos.S3ChecksumTrailer,
		tos.S3ChecksumHeader, tos.S3ChecksumContentMD5, tos.S3ChecksumNone} {
		opts := base
		opts.S3Checksum = mode
		c, err := tos.NewClient(opts)
		if err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		c.Close()
	}
	opts := base
	opts.S3Checksum = 9
	_, err := tos.NewClient(opts)
	var te *tos.Error
	if !errors.As(err, &te) || te.Result != tos.ResultInvalidArgument {
		t.Errorf("mode 9: got %v, want %s", err, tos.ResultInvalidArgument)
	}
}
