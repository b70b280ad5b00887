package tosupload_test

import (
	"context"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// A file under MultipartThreshold is one PutObject; ForceMultipart keeps the three requests.
func TestSmallFileIsOnePutObjectUnlessForced(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	path, crc := makeFile(t, 1000)
	for _, force := range []bool{false, true} {
		key := "go/small-put.bin"
		if force {
			key = "go/small-forced.bin"
		}
		clearLog(t, adminURL)
		out, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
			Bucket: bucket, Key: key, FilePath: path,
			MultipartThreshold: 1001, ForceMultipart: force,
		})
		if err != nil {
			t.Fatalf("force=%v: %v", force, err)
		}
		checkObjectBytes(t, adminURL, bucket, key, path)
		if out.HashCrc64ecma != crc || (out.UploadID == "") == force {
			t.Errorf("force=%v: output %+v", force, out)
		}
		log := serverLog(t, adminURL, key)
		var want []string
		if force {
			want = []string{"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}
		} else {
			want = []string{"PutObject"}
		}
		if len(log) != len(want) {
			t.Fatalf("force=%v: log %+v, want %v", force, log, want)
		}
		for i, op := range want {
			if count(log[i:i+1], op, 200) != 1 {
				t.Errorf("force=%v: request %d is %+v, want %s 200", force, i, log[i], op)
			}
		}
	}
}
