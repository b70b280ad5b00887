package tosupload_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

type dirRecorder struct {
	events   []*tos.DirEvent
	progress []tos.DirProgress
}

func (r *dirRecorder) DirEventChange(e *tos.DirEvent)       { r.events = append(r.events, e) }
func (r *dirRecorder) DirProgressChange(p *tos.DirProgress) { r.progress = append(r.progress, *p) }

func writeTree(t *testing.T, files map[string]int) string {
	t.Helper()
	dir := t.TempDir()
	for rel, size := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + len(rel))
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A tree with a multipart file, small ones and a dangling symbolic link (followed, so it
// fails): every good file is read back identical, the failure is listed in the output and
// in the events, and the error is ErrSomeFilesFailed.
func TestUploadDirUploadsTheTreeAndListsFailures(t *testing.T) {
	bucket, adminURL := env(t)
	client := newClient(t)
	files := map[string]int{"big.bin": 12<<20 + 3, "small.txt": 10, "sub/deep/c.bin": 100 << 10}
	dir := writeTree(t, files)
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("go-dir-%d/", time.Now().UnixNano())
	clearLog(t, adminURL)
	rec := &dirRecorder{}
	out, err := client.UploadDir(context.Background(), &tos.UploadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: dir, PartSize: 5 << 20,
		FollowSymlinks: true, ContinueOnError: true,
		DirEventListener: rec, DirProgressListener: rec,
	})
	if !errors.Is(err, tos.ErrSomeFilesFailed) {
		t.Fatalf("UploadDir: %v, want ErrSomeFilesFailed", err)
	}
	if out == nil {
		t.Fatal("no output with ErrSomeFilesFailed")
	}
	var total int64
	for _, size := range files {
		total += int64(size)
	}
	if out.FilesUploaded != 3 || out.BytesUploaded != total {
		t.Errorf("uploaded %d files, %d bytes; want 3, %d", out.FilesUploaded, out.BytesUploaded, total)
	}
	if len(out.Failures) != 1 || filepath.Base(out.Failures[0].Path) != "dangling" ||
		out.Failures[0].Key != prefix+"dangling" || out.Failures[0].Err == nil {
		t.Fatalf("failures: %+v, want the dangling link alone", out.Failures)
	}
	for rel := range files {
		checkObjectBytes(t, adminURL, bucket, prefix+rel, filepath.Join(dir, filepath.FromSlash(rel)))
	}
	if n := count(serverLog(t, adminURL, prefix+"big.bin"), "UploadPart", 200); n != 3 {
		t.Errorf("big.bin went up in %d parts, want 3 (5 MiB parts)", n)
	}

	succeeded, failed := map[string]bool{}, 0
	for _, e := range rec.events {
		switch e.Type {
		case tos.DirEventFileSucceeded:
			if e.ETag == "" || e.HashCrc64ecma == nil {
				t.Errorf("%s: success without ETag or CRC", e.Key)
			}
			succeeded[strings.TrimPrefix(e.Key, prefix)] = true
		case tos.DirEventFileFailed:
			failed++
			if e.Err == nil || filepath.Base(e.Path) != "dangling" {
				t.Errorf("failure event %+v", e)
			}
		}
	}
	if len(succeeded) != 3 || failed != 1 {
		t.Errorf("events: succeeded %v, %d failed", succeeded, failed)
	}
	if len(rec.progress) == 0 {
		t.Fatal("no progress")
	}
	last := rec.progress[len(rec.progress)-1]
	if !last.WalkComplete || last.FilesDone != 3 || last.FilesFailed != 1 || last.BytesDone != total {
		t.Errorf("last progress %+v", last)
	}
}

// A cancelled context pauses the folder upload; the same call with the checkpoint directory
// then finishes it.
func TestUploadDirPausesOnContextAndResumes(t *testing.T) {
	bucket, adminURL := env(t)
	client := newClient(t)
	files := map[string]int{"one.bin": 11 << 20, "two.bin": 11 << 20}
	dir := writeTree(t, files)
	prefix := fmt.Sprintf("go-dir-pause-%d/", time.Now().UnixNano())
	ckpt := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	in := &tos.UploadDirInput{
		Bucket: bucket, Prefix: prefix, Dir: dir, PartSize: 5 << 20, CheckpointDir: ckpt,
		FileConcurrency: 1, TaskNum: 1,
		DirEventListener: eventsFunc(func(e *tos.DirEvent) {
			if e.Type == tos.DirEventFileStarted {
				cancel()
			}
		}),
	}
	out, err := client.UploadDir(ctx, in)
	if !errors.Is(err, tos.ErrPaused) || !errors.Is(err, context.Canceled) || out != nil {
		t.Fatalf("UploadDir with a cancelled context: %v (output %v), want ErrPaused", err, out)
	}
	in.DirEventListener = nil
	out, err = client.UploadDir(context.Background(), in)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if out.FilesUploaded+out.FilesSkipped != 2 {
		t.Errorf("resume: %d uploaded + %d skipped, want 2", out.FilesUploaded, out.FilesSkipped)
	}
	for rel := range files {
		checkObjectBytes(t, adminURL, bucket, prefix+rel, filepath.Join(dir, rel))
	}
}

type eventsFunc func(*tos.DirEvent)

func (f eventsFunc) DirEventChange(e *tos.DirEvent) { f(e) }

func TestEnumsHaveNames(t *testing.T) {
	for _, c := range []struct {
		got  fmt.Stringer
		want string
	}{
		{tos.DataTransferSucceeded, "Succeeded"},
		{tos.DataTransferType(99), "DataTransferType(99)"},
		{tos.UploadEventUploadPartSucceeded, "UploadPartSucceeded"},
		{tos.UploadEventPartSizeAdjusted, "PartSizeAdjusted"},
		{tos.UploadEventTaskNumChanged, "TaskNumChanged"},
		{tos.UploadEventType(13), "UploadEventType(13)"},
		{tos.DirEventFileConcurrencyChanged, "FileConcurrencyChanged"},
		{tos.CredentialsStatic, "Static"},
		{tos.UploadEventType(0), "UploadEventType(0)"},
		{tos.DirEventFileSkipped, "FileSkipped"},
		{tos.AddressingPathStyle, "PathStyle"},
		{tos.ProtocolS3, "s3"},
		{tos.ResultSomeFilesFailed, "TOS_ERR_SOME_FILES_FAILED"},
	} {
		if s := c.got.String(); s != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.got, s, c.want)
		}
	}
	// Every kind the C API has, up to the last one, has a name of its own.
	for k := tos.UploadEventCreateMultipartUploadSucceeded; k <= tos.UploadEventTaskNumChanged; k++ {
		if s := k.String(); strings.HasPrefix(s, "UploadEventType(") {
			t.Errorf("UploadEventType %d has no name", int(k))
		}
	}
	for k := tos.DirEventFileStarted; k <= tos.DirEventFileConcurrencyChanged; k++ {
		if s := k.String(); strings.HasPrefix(s, "DirEventType(") {
			t.Errorf("DirEventType %d has no name", int(k))
		}
	}
}

// Symbolic links not followed are counted, not skipped silently.
func TestUploadDirCountsTheLinksItLeavesOut(t *testing.T) {
	bucket, _ := env(t)
	client := newClient(t)
	dir := writeTree(t, map[string]int{"a.txt": 10})
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	out, err := client.UploadDir(context.Background(), &tos.UploadDirInput{
		Bucket: bucket, Prefix: fmt.Sprintf("go-left-out-%d/", time.Now().UnixNano()), Dir: dir,
	})
	if err != nil {
		t.Fatalf("UploadDir: %v", err)
	}
	if out.FilesUploaded != 1 || out.FilesLeftOut != 1 {
		t.Errorf("uploaded %d, left out %d; want 1 and 1", out.FilesUploaded, out.FilesLeftOut)
	}
}
