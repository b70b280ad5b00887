package tosupload_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// A connection reset while a part body is being written makes the writing thread's next
// write fail with EPIPE, which raises SIGPIPE on that thread. Go's runtime forwards a SIGPIPE
// raised outside Go code (a library thread, or this thread inside a cgo call) to the
// default action, which kills the process: this test binary would die, not fail. The
// library blocks SIGPIPE on its threads and on the calling thread during the call, and
// retries the reset part, so every upload ends byte-exact.
func TestConnectionResetsNeverKillTheProcess(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	const runs = 40
	path, _ := makeFile(t, 5*mib+65536+17)
	key := "go/sigpipe.bin"
	clearLog(t, adminURL)
	failed := 0
	for run := 0; run < runs; run++ {
		// A different object each run, so a read-back cannot match an older one.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte(fmt.Sprintf("run %04d", run)), 4096); err != nil {
			t.Fatal(err)
		}
		f.Close()
		admin(t, "DELETE", adminURL+"/faults")
		addFault(t, adminURL, `{"op":"UploadPart","part_number":1,"times":1,`+
			`"action":{"kind":"reset","after_bytes":65536,"fin_first":true}}`)
		_, err = c.UploadFile(context.Background(), &tos.UploadFileInput{
			Bucket: bucket, Key: key, FilePath: path, PartSize: 5 * mib, TaskNum: 2,
		})
		if err != nil {
			// One reset part, with the client's default retries: the retry must carry the
			// upload through, so any error is a failure, a well-formed one included.
			var e *tos.Error
			if !errors.As(err, &e) {
				t.Errorf("run %d: an error that is not a *tos.Error: %v", run, err)
			} else {
				t.Errorf("run %d: one reset part failed the upload despite retries: %v", run, err)
			}
			failed++
			continue
		}
		checkObjectBytes(t, adminURL, bucket, key, path)
	}
	admin(t, "DELETE", adminURL+"/faults")
	resets := count(serverLog(t, adminURL, key), "UploadPart", 0)
	if resets != runs {
		t.Errorf("%d UploadParts were reset, want one per upload (%d)", resets, runs)
	}
	t.Logf("%d uploads with a part reset mid-body: %d byte-exact, %d failed with an error", runs, runs-failed, failed)
}

func addFault(t *testing.T, adminURL, rule string) {
	t.Helper()
	resp, err := http.Post(adminURL+"/faults", "application/json", strings.NewReader(rule))
	if err != nil {
		t.Fatalf("adding fault %s: %v", rule, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("adding fault %s: HTTP %d", rule, resp.StatusCode)
	}
}
