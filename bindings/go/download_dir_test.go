package tosupload_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

type downloadDirRecorder struct {
	events   []*tos.DownloadDirEvent
	progress []tos.DownloadDirProgress
}

func (r *downloadDirRecorder) DownloadDirEventChange(e *tos.DownloadDirEvent) {
	r.events = append(r.events, e)
}

func (r *downloadDirRecorder) DownloadDirProgressChange(p *tos.DownloadDirProgress) {
	r.progress = append(r.progress, *p)
}

// downloadDirEventFunc adapts a function to DownloadDirEventListener.
type downloadDirEventFunc func(*tos.DownloadDirEvent)

func (f downloadDirEventFunc) DownloadDirEventChange(e *tos.DownloadDirEvent) { f(e) }

// getsByKey counts the GetObject requests of the server's log, by key: what a download
// fetched, ranged or not.
func getsByKey(t *testing.T, adminURL string) map[string]int {
	t.Helper()
	var all []logEntry
	if err := json.Unmarshal(admin(t, "GET", adminURL+"/log"), &all); err != nil {
		t.Fatalf("decoding the server log: %v", err)
	}
	gets := map[string]int{}
	for _, e := range all {
		if e.Op == "GetObject" && e.Key != nil {
			gets[*e.Key]++
		}
	}
	return gets
}

// uploadTree writes files (relative path: size) under a new folder and uploads it under a
// fresh prefix with UploadDir; it returns the folder, the prefix and the files' total size.
func uploadTree(t *testing.T, c *tos.Client, bucket, name string, files map[string]int) (string, string, int64) {
	t.Helper()
	src := writeTree(t, files)
	prefix := fmt.Sprintf("%s-%d/", name, time.Now().UnixNano())
	out, err := c.UploadDir(context.Background(), &tos.UploadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: src, PartSize: 5 * mib,
	})
	if err != nil || out.FilesUploaded != int64(len(files)) {
		t.Fatalf("uploading the tree: %v (output %+v)", err, out)
	}
	var total int64
	for _, size := range files {
		total += int64(size)
	}
	return src, prefix, total
}

func checkSameTree(t *testing.T, got, want string, files map[string]int) {
	t.Helper()
	for rel := range files {
		checkSameBytes(t, filepath.Join(got, filepath.FromSlash(rel)), filepath.Join(want, filepath.FromSlash(rel)))
	}
}

// A tree with a multipart object, small ones, a nested one and an empty one comes back byte
// for byte, with an event pair per object, progress that ends complete, and the caller's
// RateLimiter asked for every byte. A second run with SkipExisting fetches nothing; a third,
// after one local file changed with its size kept, fetches that object alone.
func TestDownloadDirDownloadsTheTreeAndSkipExistingFetchesNothing(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	files := map[string]int{"big.bin": 12*mib + 3, "small.txt": 10, "sub/deep/c.bin": 100 << 10, "empty": 0}
	src, prefix, total := uploadTree(t, c, bucket, "go-download-dir", files)
	dest := filepath.Join(t.TempDir(), "restored") // made by the call
	clearLog(t, adminURL)

	rec := &downloadDirRecorder{}
	limiter := &countingLimiter{}
	in := &tos.DownloadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: dest, PartSize: 5 * mib, TaskNum: 3,
		DownloadDirEventListener: rec, DownloadDirProgressListener: rec, RateLimiter: limiter,
	}
	out, err := c.DownloadDir(context.Background(), in)
	if err != nil {
		t.Fatalf("DownloadDir: %v", err)
	}
	checkSameTree(t, dest, src, files)
	if out.FilesDownloaded != int64(len(files)) || out.BytesDownloaded != total || out.FilesSkipped != 0 ||
		out.BytesSkipped != 0 || out.DirsCreated != 0 || len(out.Failures) != 0 {
		t.Errorf("output %+v, want %d files and %d bytes downloaded, nothing else", out, len(files), total)
	}
	if ranges := rangedGets(t, adminURL, prefix+"big.bin"); len(ranges) != 3 {
		t.Errorf("big.bin came in %v, want 3 ranges of 5 MiB", ranges)
	}
	if limiter.granted < total {
		t.Errorf("the RateLimiter let %d bytes through, the objects have %d", limiter.granted, total)
	}

	started, succeeded := map[string]int{}, map[string]int{}
	for _, e := range rec.events {
		rel := strings.TrimPrefix(e.Key, prefix)
		switch e.Type {
		case tos.DownloadDirEventFileStarted:
			started[rel]++
		case tos.DownloadDirEventFileSucceeded:
			succeeded[rel]++
			if e.Path != filepath.Join(dest, filepath.FromSlash(rel)) || e.Size != int64(files[rel]) || e.ETag == "" {
				t.Errorf("success event %+v: want the local path, the size %d and the ETag", e, files[rel])
			}
		case tos.DownloadDirEventFileFailed, tos.DownloadDirEventFileSkipped:
			t.Errorf("event %s for %s (%v, %q)", e.Type, e.Key, e.Err, e.Reason)
		}
	}
	for rel := range files {
		if started[rel] != 1 || succeeded[rel] != 1 {
			t.Errorf("%s: %d started and %d succeeded events, want 1 and 1", rel, started[rel], succeeded[rel])
		}
	}
	if len(rec.progress) == 0 {
		t.Fatal("no progress")
	}
	last := rec.progress[len(rec.progress)-1]
	if !last.ListingComplete || last.FilesDone != int64(len(files)) || last.FilesTotal != int64(len(files)) ||
		last.BytesDone != total || last.BytesTotal != total || last.FilesFailed != 0 {
		t.Errorf("last progress %+v", last)
	}

	// Every local file has the object's size and CRC-64: nothing is fetched.
	clearLog(t, adminURL)
	rec = &downloadDirRecorder{}
	in = &tos.DownloadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: dest, SkipExisting: true, DownloadDirEventListener: rec,
	}
	out, err = c.DownloadDir(context.Background(), in)
	if err != nil {
		t.Fatalf("DownloadDir with SkipExisting: %v", err)
	}
	if gets := getsByKey(t, adminURL); len(gets) != 0 {
		t.Errorf("SkipExisting over an identical tree fetched %v", gets)
	}
	if out.FilesDownloaded != 0 || out.FilesSkipped != int64(len(files)) || out.BytesSkipped != total {
		t.Errorf("SkipExisting: output %+v, want every file skipped", out)
	}
	skipped := 0
	for _, e := range rec.events {
		if e.Type == tos.DownloadDirEventFileSkipped {
			skipped++
			if e.Reason == "" {
				t.Errorf("skip event without a reason: %+v", e)
			}
		}
	}
	if skipped != len(files) {
		t.Errorf("%d skip events, want %d", skipped, len(files))
	}
	checkSameTree(t, dest, src, files)

	// The same size with other bytes is not the object: only that file is fetched again.
	changed := filepath.Join(dest, "small.txt")
	if err := os.WriteFile(changed, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	clearLog(t, adminURL)
	out, err = c.DownloadDir(context.Background(), &tos.DownloadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: dest, SkipExisting: true,
	})
	if err != nil {
		t.Fatalf("DownloadDir with SkipExisting, one file changed: %v", err)
	}
	if gets := getsByKey(t, adminURL); len(gets) != 1 || gets[prefix+"small.txt"] != 1 {
		t.Errorf("with small.txt changed, the fetches were %v; want small.txt once", gets)
	}
	if out.FilesDownloaded != 1 || out.FilesSkipped != int64(len(files)-1) {
		t.Errorf("one file changed: output %+v", out)
	}
	checkSameTree(t, dest, src, files)
}

// Exclude leaves objects out (no event, not counted); a regular file where a directory must
// go fails that object alone with ErrLocalWrite, listed in the output with
// ErrSomeFilesFailed, while ContinueOnError downloads the rest.
func TestDownloadDirPatternsAndFailures(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	files := map[string]int{"a.txt": 5, "b.log": 6, "sub/c.txt": 7, "d/e.txt": 8}
	src, prefix, _ := uploadTree(t, c, bucket, "go-download-dir-failures", files)
	dest := t.TempDir()
	if err := os.WriteFile(filepath.Join(dest, "sub"), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &downloadDirRecorder{}
	out, err := c.DownloadDir(context.Background(), &tos.DownloadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: dest, Exclude: []string{"*.log"}, ContinueOnError: true,
		FileConcurrency: 2, DownloadDirEventListener: rec,
	})
	if !errors.Is(err, tos.ErrSomeFilesFailed) {
		t.Fatalf("DownloadDir: %v, want ErrSomeFilesFailed", err)
	}
	if out == nil {
		t.Fatal("no output with ErrSomeFilesFailed")
	}
	if out.FilesDownloaded != 2 || out.BytesDownloaded != 5+8 {
		t.Errorf("output %+v, want a.txt and d/e.txt downloaded", out)
	}
	wantPath := filepath.Join(dest, "sub", "c.txt")
	if len(out.Failures) != 1 || out.Failures[0].Key != prefix+"sub/c.txt" || out.Failures[0].Path != wantPath ||
		!errors.Is(out.Failures[0].Err, tos.ErrLocalWrite) {
		t.Fatalf("failures %+v, want sub/c.txt alone, ErrLocalWrite", out.Failures)
	}
	for _, rel := range []string{"a.txt", "d/e.txt"} {
		checkSameBytes(t, filepath.Join(dest, filepath.FromSlash(rel)), filepath.Join(src, filepath.FromSlash(rel)))
	}
	if _, err := os.Stat(filepath.Join(dest, "b.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the excluded b.log was downloaded: %v", err)
	}
	failed := 0
	for _, e := range rec.events {
		if strings.HasSuffix(e.Key, ".log") {
			t.Errorf("an event for the excluded %s", e.Key)
		}
		if e.Type == tos.DownloadDirEventFileFailed {
			failed++
			if e.Path != wantPath || !errors.Is(e.Err, tos.ErrLocalWrite) {
				t.Errorf("failure event %+v", e)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failure events, want 1", failed)
	}
}

// A cancelled context pauses the folder download (ErrPaused, no output); the same call with
// the same CheckpointDir then finishes it, fetching none of the objects the first call
// finished, and removes its journal.
func TestDownloadDirPausesOnContextAndResumes(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	files := map[string]int{}
	for i := 0; i < 6; i++ {
		files[fmt.Sprintf("f%d.bin", i)] = 6*mib + i // two ranges of 5 MiB each
	}
	src, prefix, _ := uploadTree(t, c, bucket, "go-download-dir-pause", files)
	dest := t.TempDir()
	checkpoints := t.TempDir()
	// About 2.3 s for the whole tree: the pause comes after the first object, long before the
	// last.
	limiter, err := tos.NewTokenBucket(16*mib, 1*mib)
	if err != nil {
		t.Fatal(err)
	}
	defer limiter.Close()
	clearLog(t, adminURL)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var doneBefore []string
	in := &tos.DownloadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: dest, PartSize: 5 * mib, TaskNum: 1, FileConcurrency: 1,
		CheckpointDir: checkpoints, TokenBucket: limiter,
		DownloadDirEventListener: downloadDirEventFunc(func(e *tos.DownloadDirEvent) {
			if e.Type == tos.DownloadDirEventFileSucceeded {
				doneBefore = append(doneBefore, e.Key)
				cancel() // from inside a listener: the watcher goroutine pauses the download
			}
		}),
	}
	out, err := c.DownloadDir(ctx, in)
	if out != nil || !errors.Is(err, tos.ErrPaused) || !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancelling the context: %+v, %v; want ErrPaused wrapping context.Canceled", out, err)
	}
	if len(doneBefore) == 0 || len(doneBefore) >= len(files) {
		t.Fatalf("%d objects done before the pause, want some but not all", len(doneBefore))
	}
	if kept, _ := filepath.Glob(filepath.Join(checkpoints, "*")); len(kept) == 0 {
		t.Errorf("nothing in CheckpointDir after the pause: the journal must be kept")
	}
	first := getsByKey(t, adminURL)
	clearLog(t, adminURL)

	in.DownloadDirEventListener = nil
	out, err = c.DownloadDir(context.Background(), in)
	if err != nil {
		t.Fatalf("resuming: %v", err)
	}
	checkSameTree(t, dest, src, files)
	second := getsByKey(t, adminURL)
	for _, key := range doneBefore {
		if second[key] != 0 {
			t.Errorf("%s was finished by the first call and fetched again by the second", key)
		}
	}
	if out.FilesSkipped != int64(len(doneBefore)) || out.FilesDownloaded+out.FilesSkipped != int64(len(files)) {
		t.Errorf("resume: output %+v, want the %d finished objects skipped and the rest downloaded",
			out, len(doneBefore))
	}
	// Each object left is fetched in its two ranges at most: one the pause cut is fetched
	// again from its start, nothing is fetched twice by the same call.
	for key, n := range second {
		if n > 2 {
			t.Errorf("%s: %d GETs by the resumed call, want at most its 2 ranges", key, n)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(checkpoints, "*")); len(left) != 0 {
		t.Errorf("the journal or checkpoints outlived the download: %v", left)
	}
	keys := make([]string, 0, len(second))
	for k := range second {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("first call: done %v, GETs %v; second call fetched %v", doneBefore, first, keys)
}

func TestDownloadDirBadInput(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	dest := t.TempDir()
	cases := []struct {
		name string
		in   tos.DownloadDirInput
		want tos.Result
	}{
		{"empty bucket", tos.DownloadDirInput{Bucket: "", Dir: dest}, tos.ResultInvalidBucket},
		{"empty folder", tos.DownloadDirInput{Bucket: bucket, Dir: ""}, tos.ResultInvalidArgument},
		{"part size too small", tos.DownloadDirInput{Bucket: bucket, Dir: dest, PartSize: 1024}, tos.ResultInvalidPartSize},
		{"negative part size", tos.DownloadDirInput{Bucket: bucket, Dir: dest, PartSize: -1}, tos.ResultInvalidArgument},
		{"too many tasks", tos.DownloadDirInput{Bucket: bucket, Dir: dest, TaskNum: 1001}, tos.ResultInvalidArgument},
		{"negative file concurrency", tos.DownloadDirInput{Bucket: bucket, Dir: dest, FileConcurrency: -1}, tos.ResultInvalidArgument},
		{"a broken glob", tos.DownloadDirInput{Bucket: bucket, Dir: dest, Include: []string{"[a-"}}, tos.ResultInvalidArgument},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DownloadDir(context.Background(), &tc.in)
			var te *tos.Error
			if out != nil || !errors.As(err, &te) {
				t.Fatalf("got %+v, %v; want a *tos.Error", out, err)
			}
			if te.Result != tc.want || !errors.Is(err, tc.want) || te.Message == "" || te.IsServerError {
				t.Errorf("got %s (%v), want %s", te.Result, err, tc.want)
			}
		})
	}

	// The listing fails: the call fails, with the server's answer.
	out, err := c.DownloadDir(context.Background(), &tos.DownloadDirInput{
		Bucket: fmt.Sprintf("no-such-bucket-%d", time.Now().UnixNano()), Dir: dest,
	})
	var te *tos.Error
	if out != nil || !errors.As(err, &te) || te.Result != tos.ResultServer || te.HTTPStatus != 404 ||
		te.Code != "NoSuchBucket" {
		t.Errorf("a missing bucket: %+v, %v; want ResultServer, HTTP 404, NoSuchBucket", out, err)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("the failed calls wrote into the folder: %v", entries)
	}

	if _, err := c.DownloadDir(context.Background(), nil); !errors.Is(err, tos.ResultNullArgument) {
		t.Errorf("nil input: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.DownloadDir(ctx, &tos.DownloadDirInput{Bucket: bucket, Dir: dest}); !errors.Is(err, tos.ErrPaused) ||
		!errors.Is(err, context.Canceled) {
		t.Errorf("a done context: %v", err)
	}
}

func TestDownloadDirNames(t *testing.T) {
	for typ, want := range map[tos.DownloadDirEventType]string{
		tos.DownloadDirEventFileStarted:            "FileStarted",
		tos.DownloadDirEventFileSkipped:            "FileSkipped",
		tos.DownloadDirEventFileConcurrencyChanged: "FileConcurrencyChanged",
		tos.DownloadDirEventType(99):               "DownloadDirEventType(99)",
	} {
		if typ.String() != want {
			t.Errorf("%d prints %q, want %q", int(typ), typ.String(), want)
		}
	}
	for k := tos.DownloadDirEventFileStarted; k <= tos.DownloadDirEventFileConcurrencyChanged; k++ {
		if strings.HasPrefix(k.String(), "DownloadDirEventType(") {
			t.Errorf("DownloadDirEventType %d has no name", int(k))
		}
	}
}
