package tosupload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// downloadEventFunc adapts a function to DownloadEventListener.
type downloadEventFunc func(*tos.DownloadEvent)

func (f downloadEventFunc) EventChange(e *tos.DownloadEvent) { f(e) }

// getEntry is a request of the server's log with the Range it asked for.
type getEntry struct {
	Op            string  `json:"op"`
	Key           *string `json:"key"`
	Status        int     `json:"status"`
	Range         *string `json:"range"`
	ResponseBytes int64   `json:"response_bytes"`
}

// rangedGets returns the Range headers of the GetObject requests for key in the server's log.
func rangedGets(t *testing.T, adminURL, key string) []string {
	t.Helper()
	var all []getEntry
	if err := json.Unmarshal(admin(t, "GET", adminURL+"/log"), &all); err != nil {
		t.Fatalf("decoding the server log: %v", err)
	}
	var ranges []string
	for _, e := range all {
		if e.Op != "GetObject" || e.Key == nil || *e.Key != key {
			continue
		}
		if e.Range == nil {
			t.Errorf("a GetObject of %s without a Range: %+v", key, e)
			continue
		}
		ranges = append(ranges, *e.Range)
	}
	return ranges
}

// uploadObject uploads size deterministic bytes to key as a multipart object (5 MiB parts)
// and returns the local file holding them and their CRC-64.
func uploadObject(t *testing.T, c *tos.Client, bucket, key string, size int) (string, uint64) {
	t.Helper()
	path, crc := makeFile(t, size)
	out, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path, PartSize: 5 * mib, TaskNum: 4,
	})
	if err != nil {
		t.Fatalf("uploading %s: %v", key, err)
	}
	if out.UploadID == "" || out.HashCrc64ecma != crc {
		t.Fatalf("uploading %s: not a multipart object, or CRC %d != %d", key, out.HashCrc64ecma, crc)
	}
	return path, crc
}

func checkSameBytes(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Errorf("%s: %d bytes, the uploaded file %d; first difference at offset %d", got, len(a), len(b), i)
	}
}

func TestDownloadMultipartObject(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	size := 12*mib + 3 // 3 ranges of 5 MiB
	key := "go/download/multipart.bin"
	src, crc := uploadObject(t, c, bucket, key, size)
	dest := filepath.Join(t.TempDir(), "nested", "out.bin") // the parent is made
	clearLog(t, adminURL)

	progress := &progressRecorder{}
	var events []tos.DownloadEvent
	out, err := c.DownloadFile(context.Background(), &tos.DownloadFileInput{
		Bucket: bucket, Key: key, FilePath: dest, PartSize: 5 * mib, TaskNum: 3,
		DataTransferListener:  progress,
		DownloadEventListener: downloadEventFunc(func(e *tos.DownloadEvent) { events = append(events, *e) }),
	})
	if err != nil {
		t.Fatalf("DownloadFile: %v", err)
	}
	checkSameBytes(t, dest, src)
	if out.Bucket != bucket || out.Key != key || out.FilePath != dest || out.ETag == "" ||
		out.ContentLength != int64(size) || out.BytesReceived != int64(size) {
		t.Errorf("output %+v", out)
	}
	if !out.HashCrc64Checked || out.HashCrc64ecma != crc {
		t.Errorf("CRC-64 %d (checked %v), want %d", out.HashCrc64ecma, out.HashCrc64Checked, crc)
	}

	gets := rangedGets(t, adminURL, key)
	sort.Strings(gets)
	want := []string{"bytes=0-5242879", "bytes=10485760-12582914", "bytes=5242880-10485759"}
	if fmt.Sprint(gets) != fmt.Sprint(want) {
		t.Errorf("ranged GETs %v, want %v", gets, want)
	}

	kinds := map[tos.DownloadEventType]int{}
	var parts []tos.DownloadPartInfo
	for _, e := range events {
		kinds[e.Type]++
		if e.Bucket != bucket || e.Key != key || e.FilePath != dest || e.CheckpointFile != nil {
			t.Errorf("event %s: %+v", e.Type, e)
		}
		if e.Type == tos.DownloadEventDownloadPartSucceeded {
			if e.DownloadPartInfo == nil || e.DownloadPartInfo.HashCrc64ecma == nil || e.TempFilePath == nil {
				t.Errorf("part event without its range, CRC or temporary file: %+v", e)
				continue
			}
			parts = append(parts, *e.DownloadPartInfo)
		}
	}
	if kinds[tos.DownloadEventCreateTempFileSucceeded] != 1 || kinds[tos.DownloadEventRenameTempFileSucceeded] != 1 ||
		kinds[tos.DownloadEventDownloadPartSucceeded] != 3 {
		t.Errorf("events %v", kinds)
	}
	if last := events[len(events)-1]; last.Type != tos.DownloadEventRenameTempFileSucceeded {
		t.Errorf("last event %s, want RenameTempFileSucceeded", last.Type)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	for i, p := range parts {
		start := int64(i) * 5 * mib
		end := start + 5*mib - 1
		if end >= int64(size) {
			end = int64(size) - 1
		}
		if p.PartNumber != i+1 || p.RangeStart != start || p.RangeEnd != end {
			t.Errorf("part %d: %+v, want %d-%d", i+1, p, start, end)
		}
	}

	got := progress.got
	if len(got) < 2 || got[0].Type != tos.DataTransferStarted || got[0].ConsumedBytes != 0 {
		t.Fatalf("progress %+v, want Started at 0 first", got)
	}
	last := got[len(got)-1]
	if last.Type != tos.DataTransferSucceeded || last.ConsumedBytes != int64(size) || last.TotalBytes != int64(size) {
		t.Errorf("last progress %+v, want Succeeded with %d bytes", last, size)
	}
	var prev int64
	for _, s := range got {
		if s.ConsumedBytes < prev || s.ConsumedBytes > s.TotalBytes {
			t.Fatalf("progress went backwards or over: %+v", got)
		}
		prev = s.ConsumedBytes
	}
}

func TestDownloadContextCancelPausesAndSecondCallResumes(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	size := 40*mib + 7 // 9 ranges of 5 MiB
	key := "go/download/pause-resume.bin"
	src, _ := uploadObject(t, c, bucket, key, size)
	dest := filepath.Join(t.TempDir(), "out.bin")
	checkpointDir := t.TempDir() + "/"
	limiter, err := tos.NewTokenBucket(16*mib, 1*mib) // about 2.5 s in all: the pause comes first
	if err != nil {
		t.Fatal(err)
	}
	defer limiter.Close()
	clearLog(t, adminURL)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keptRanges := map[string]bool{} // "bytes=s-e" of the ranges recorded before the pause
	var keptBytes int64
	in := &tos.DownloadFileInput{
		Bucket: bucket, Key: key, FilePath: dest, PartSize: 5 * mib, TaskNum: 2,
		EnableCheckpoint: true, CheckpointFile: checkpointDir, TokenBucket: limiter,
		DownloadEventListener: downloadEventFunc(func(e *tos.DownloadEvent) {
			if e.Type != tos.DownloadEventDownloadPartSucceeded {
				return
			}
			p := e.DownloadPartInfo
			keptRanges[fmt.Sprintf("bytes=%d-%d", p.RangeStart, p.RangeEnd)] = true
			keptBytes += p.RangeEnd - p.RangeStart + 1
			if len(keptRanges) == 2 {
				cancel() // from inside a listener: the watcher goroutine pauses the download
			}
		}),
	}
	out, err := c.DownloadFile(ctx, in)
	if out != nil || !errors.Is(err, tos.ErrPaused) || !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancelling the context: %v, %v; want ErrPaused wrapping context.Canceled", out, err)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a paused download left something at the destination: %v", err)
	}
	if len(keptRanges) >= 9 {
		t.Fatalf("the pause came too late: %d ranges done", len(keptRanges))
	}
	checkpoints, _ := filepath.Glob(filepath.Join(checkpointDir, "out.bin.*.download"))
	if len(checkpoints) != 1 {
		t.Errorf("checkpoint files after the pause: %v, want one", checkpoints)
	}
	first := rangedGets(t, adminURL, key)
	clearLog(t, adminURL)

	resumed := false
	startedAt := int64(-1)
	in.DownloadEventListener = downloadEventFunc(func(e *tos.DownloadEvent) {
		if e.Type == tos.DownloadEventDownloadResumed {
			resumed = true
		}
	})
	in.DataTransferListener = progressFunc(func(s *tos.DataTransferStatus) {
		if s.Type == tos.DataTransferStarted {
			startedAt = s.ConsumedBytes
		}
	})
	out, err = c.DownloadFile(context.Background(), in)
	if err != nil {
		t.Fatalf("resuming: %v", err)
	}
	checkSameBytes(t, dest, src)
	if !resumed {
		t.Errorf("no DownloadResumed event")
	}
	if startedAt != keptBytes {
		t.Errorf("the resumed progress started at %d, the first run kept %d bytes", startedAt, keptBytes)
	}
	if out.BytesReceived != int64(size)-keptBytes {
		t.Errorf("the second call received %d bytes, want %d (the ranges the first did not keep)",
			out.BytesReceived, int64(size)-keptBytes)
	}
	second := rangedGets(t, adminURL, key)
	asked := map[string]int{}
	for _, r := range second {
		asked[r]++
		if keptRanges[r] {
			t.Errorf("range %s was fetched again after the first call kept it", r)
		}
		if asked[r] > 1 {
			t.Errorf("range %s was fetched %d times by the second call", r, asked[r])
		}
	}
	if len(asked)+len(keptRanges) != 9 {
		t.Errorf("the second call fetched %d ranges, the first kept %d; want 9 in all", len(asked), len(keptRanges))
	}
	checkpoints, _ = filepath.Glob(filepath.Join(checkpointDir, "*"))
	if len(checkpoints) != 0 {
		t.Errorf("the checkpoint outlived the download: %v", checkpoints)
	}
	t.Logf("first call: %d GETs, kept %v; second call: %v", len(first), keptRanges, second)
}

// An object replaced while it downloads: the next ranged GET no longer matches the ETag the
// download started with, and the call fails with ErrObjectChanged, leaving nothing behind.
func TestDownloadObjectReplacedMeanwhile(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	key := "go/download/replaced.bin"
	uploadObject(t, c, bucket, key, 12*mib+3) // 3 ranges
	replacement, _ := makeFile(t, 1024)
	dir := t.TempDir()
	dest := filepath.Join(dir, "out.bin")
	replaced := false
	_, err := c.DownloadFile(context.Background(), &tos.DownloadFileInput{
		Bucket: bucket, Key: key, FilePath: dest, PartSize: 5 * mib, TaskNum: 1, EnableCheckpoint: true,
		DownloadEventListener: downloadEventFunc(func(e *tos.DownloadEvent) {
			if e.Type != tos.DownloadEventDownloadPartSucceeded || replaced {
				return
			}
			replaced = true
			// Not from this goroutine (that would be ErrReentrantCall): the listener waits
			// while another goroutine, on another thread, replaces the object.
			done := make(chan error)
			go func() {
				_, err := c.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: bucket, Key: key, FilePath: replacement})
				done <- err
			}()
			if err := <-done; err != nil {
				t.Errorf("replacing the object: %v", err)
			}
		}),
	})
	if !replaced {
		t.Fatalf("no range finished: %v", err)
	}
	var te *tos.Error
	if !errors.Is(err, tos.ErrObjectChanged) || !errors.As(err, &te) || te.Result != tos.ResultObjectChanged {
		t.Fatalf("got %v, want ErrObjectChanged", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestDownloadMissingObject(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	key := "go/download/no-such-key.bin"
	dest := filepath.Join(t.TempDir(), "out.bin")
	clearLog(t, adminURL)
	var failed []tos.DataTransferStatus
	out, err := c.DownloadFile(context.Background(), &tos.DownloadFileInput{
		Bucket: bucket, Key: key, FilePath: dest,
		DataTransferListener: progressFunc(func(s *tos.DataTransferStatus) {
			if s.Type == tos.DataTransferFailed {
				failed = append(failed, *s)
			}
		}),
	})
	var te *tos.Error
	if out != nil || !errors.As(err, &te) {
		t.Fatalf("got %v, %v; want a *tos.Error", out, err)
	}
	if te.Result != tos.ResultServer || !errors.Is(err, tos.ResultServer) || !te.IsServerError ||
		te.HTTPStatus != 404 || te.EC == "" || te.RequestID == "" {
		t.Errorf("error %#v, want ResultServer, HTTP 404 with its EC and request id", te)
	}
	// The library's first request is a HEAD, whose 404 has no body: the library names the
	// code from the EC header (a missing bucket) or, as S3 SDKs do, NoSuchKey.
	if te.Code != "NoSuchKey" {
		t.Errorf("Code %q, want NoSuchKey", te.Code)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed download left something at the destination: %v", err)
	}
	if gets := rangedGets(t, adminURL, key); len(gets) != 0 {
		t.Errorf("ranged GETs of a missing object: %v", gets)
	}
	t.Logf("%v; Failed progress calls: %d", err, len(failed))
}

func TestDownloadBadInput(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	dest := filepath.Join(t.TempDir(), "out.bin")
	cases := []struct {
		name string
		in   tos.DownloadFileInput
		want tos.Result
	}{
		{"empty key", tos.DownloadFileInput{Bucket: bucket, Key: "", FilePath: dest}, tos.ResultInvalidKey},
		{"a key that climbs", tos.DownloadFileInput{Bucket: bucket, Key: "a/../../x", FilePath: dest}, tos.ResultInvalidKey},
		{"part size too small", tos.DownloadFileInput{Bucket: bucket, Key: "k", FilePath: dest, PartSize: 1024}, tos.ResultInvalidPartSize},
		{"negative part size", tos.DownloadFileInput{Bucket: bucket, Key: "k", FilePath: dest, PartSize: -1}, tos.ResultInvalidArgument},
		{"too many tasks", tos.DownloadFileInput{Bucket: bucket, Key: "k", FilePath: dest, TaskNum: 1001}, tos.ResultInvalidArgument},
		{"a condition before 1970", tos.DownloadFileInput{Bucket: bucket, Key: "k", FilePath: dest,
			IfModifiedSince: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}, tos.ResultInvalidArgument},
		{"SSE-C key without its algorithm", tos.DownloadFileInput{Bucket: bucket, Key: "k", FilePath: dest, SSECKey: "a2V5"}, tos.ResultInvalidArgument},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DownloadFile(context.Background(), &tc.in)
			var te *tos.Error
			if out != nil || !errors.As(err, &te) {
				t.Fatalf("got %v, %v; want a *tos.Error", out, err)
			}
			if te.Result != tc.want || !errors.Is(err, tc.want) || te.Message == "" || te.IsServerError {
				t.Errorf("got %s (%v), want %s", te.Result, err, tc.want)
			}
		})
	}
	if _, err := c.DownloadFile(context.Background(), nil); !errors.Is(err, tos.ResultNullArgument) {
		t.Errorf("nil input: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.DownloadFile(ctx, &tos.DownloadFileInput{Bucket: bucket, Key: "k", FilePath: dest}); !errors.Is(err, tos.ErrPaused) || !errors.Is(err, context.Canceled) {
		t.Errorf("a done context: %v", err)
	}
}

func TestDownloadNames(t *testing.T) {
	for typ, want := range map[tos.DownloadEventType]string{
		tos.DownloadEventCreateTempFileSucceeded: "CreateTempFileSucceeded",
		tos.DownloadEventDownloadPartAborted:     "DownloadPartAborted",
		tos.DownloadEventRenameTempFileFailed:    "RenameTempFileFailed",
		tos.DownloadEventTaskNumChanged:          "TaskNumChanged",
		tos.DownloadEventType(99):                "DownloadEventType(99)",
	} {
		if typ.String() != want {
			t.Errorf("%d prints %q, want %q", int(typ), typ.String(), want)
		}
	}
	// The Go SDK's numbers: a listener ported from it compares the same values.
	if tos.DownloadEventCreateTempFileSucceeded != 1 || tos.DownloadEventRenameTempFileFailed != 7 {
		t.Errorf("the Go SDK's event numbers are 1-7")
	}
	if tos.ResultObjectChanged != 208 || tos.ResultLocalWrite != 209 ||
		tos.ErrObjectChanged.Error() != "tosupload: TOS_ERR_OBJECT_CHANGED" ||
		tos.ErrLocalWrite.Error() != "tosupload: TOS_ERR_LOCAL_WRITE" {
		t.Errorf("ObjectChanged/LocalWrite: %d %d %v %v", tos.ResultObjectChanged, tos.ResultLocalWrite,
			tos.ErrObjectChanged, tos.ErrLocalWrite)
	}
	if tos.ResultCheckpointInUse != 210 ||
		tos.ErrCheckpointInUse.Error() != "tosupload: TOS_ERR_CHECKPOINT_IN_USE" {
		t.Errorf("CheckpointInUse: %d %v", tos.ResultCheckpointInUse, tos.ErrCheckpointInUse)
	}
}
