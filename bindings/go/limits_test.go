package tosupload_test

import (
	"context"
	"errors"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// Values outside their range are refused (ResultInvalidArgument), never raised or clamped:
// the token bucket's floors (1024 bytes/s, a 10240-byte burst) and TaskNum above 1000.
func TestOutOfRangeValuesAreRefused(t *testing.T) {
	for _, v := range [][2]int64{{1, 0}, {1023, 0}, {1024, 1}, {1024, 10239}} {
		tb, err := tos.NewTokenBucket(v[0], v[1])
		if tb != nil {
			tb.Close()
		}
		if !errors.Is(err, tos.ResultInvalidArgument) {
			t.Errorf("NewTokenBucket(%d, %d): %v, want ResultInvalidArgument", v[0], v[1], err)
		}
	}
	tb, err := tos.NewTokenBucket(1024, 10240)
	if err != nil {
		t.Fatalf("NewTokenBucket at the floors: %v", err)
	}
	defer tb.Close()
	if err := tb.SetRate(1023, 0); !errors.Is(err, tos.ResultInvalidArgument) {
		t.Errorf("SetRate(1023, 0): %v, want ResultInvalidArgument", err)
	}
	if err := tb.SetRate(0, 0); err != nil {
		t.Errorf("SetRate(0, 0) after a refusal: %v", err)
	}

	bucket, _ := env(t)
	c := newClient(t)
	path, _ := makeFile(t, 1000)
	_, err = c.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: bucket, Key: "go/tasks.bin", FilePath: path, TaskNum: 1001})
	if !errors.Is(err, tos.ResultInvalidArgument) {
		t.Errorf("TaskNum 1001: %v, want ResultInvalidArgument", err)
	}
}
