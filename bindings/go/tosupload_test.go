package tosupload_test

// Run against the local TOS server: from the repository top,
//
//	python3 scripts/with_server.py -- bash -c 'cd bindings/go && go test ./...'
//
// which sets TOS_ENDPOINT, TOS_REGION, TOS_ACCESS_KEY, TOS_SECRET_KEY, TOS_TEST_BUCKET and
// TOS_ADMIN_URL. Without them the tests that need a server are skipped.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

const mib = 1024 * 1024

func env(t *testing.T) (bucket, admin string) {
	t.Helper()
	bucket, admin = os.Getenv("TOS_TEST_BUCKET"), os.Getenv("TOS_ADMIN_URL")
	if bucket == "" || admin == "" || os.Getenv("TOS_ENDPOINT") == "" {
		// Failing, not skipping: a run without a server must not look like a pass.
		t.Fatal("no local server: run under scripts/with_server.py (sets TOS_ENDPOINT, TOS_TEST_BUCKET, TOS_ADMIN_URL)")
	}
	return bucket, admin
}

func newClient(t *testing.T) *tos.Client {
	t.Helper()
	c, err := tos.NewClient(tos.ClientOptions{
		Endpoint:  os.Getenv("TOS_ENDPOINT"),
		Region:    os.Getenv("TOS_REGION"),
		AccessKey: os.Getenv("TOS_ACCESS_KEY"),
		SecretKey: os.Getenv("TOS_SECRET_KEY"),
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// makeFile writes size deterministic bytes and returns the path and their CRC-64/XZ, which
// is hash/crc64 with the ECMA table (the function TOS uses).
func makeFile(t *testing.T, size int) (string, uint64) {
	t.Helper()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*31 + i/4096)
	}
	path := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, crc64.Checksum(data, crc64.MakeTable(crc64.ECMA))
}

type logEntry struct {
	Op         string  `json:"op"`
	Key        *string `json:"key"`
	PartNumber *int    `json:"part_number"`
	Status     int     `json:"status"`
}

func admin(t *testing.T, method, url string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 64*1024)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: HTTP %d %s", method, url, resp.StatusCode, b.String())
	}
	return []byte(b.String())
}

// serverLog returns the request log entries for key.
func serverLog(t *testing.T, adminURL, key string) []logEntry {
	t.Helper()
	var all []logEntry
	if err := json.Unmarshal(admin(t, "GET", adminURL+"/log"), &all); err != nil {
		t.Fatalf("decoding the server log: %v", err)
	}
	var mine []logEntry
	for _, e := range all {
		if e.Key != nil && *e.Key == key {
			mine = append(mine, e)
		}
	}
	return mine
}

func clearLog(t *testing.T, adminURL string) { admin(t, "DELETE", adminURL+"/log") }

// checkObjectBytes reads the object back through the server's admin API
// (GET /__admin/object) and compares it with the file byte for byte.
func checkObjectBytes(t *testing.T, adminURL, bucket, key, path string) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := adminURL + "/object?bucket=" + url.QueryEscape(bucket) + "&key=" + url.QueryEscape(key)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", u, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: HTTP %d %s", u, resp.StatusCode, got)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("object %s/%s: %d bytes read back, file has %d; first difference at offset %d",
			bucket, key, len(got), len(want), i)
	}
}

func count(entries []logEntry, op string, status int) int {
	n := 0
	for _, e := range entries {
		if e.Op == op && (status < 0 || e.Status == status) {
			n++
		}
	}
	return n
}

// partsSent is the set of part numbers answered 200.
func partsSent(entries []logEntry) map[int]bool {
	m := map[int]bool{}
	for _, e := range entries {
		if e.Op == "UploadPart" && e.Status == 200 && e.PartNumber != nil {
			m[*e.PartNumber] = true
		}
	}
	return m
}

type progressRecorder struct{ got []tos.DataTransferStatus }

func (p *progressRecorder) DataTransferStatusChange(s *tos.DataTransferStatus) {
	p.got = append(p.got, *s)
}

// eventFunc adapts a function to UploadEventListener.
type eventFunc func(*tos.UploadEvent)

func (f eventFunc) EventChange(e *tos.UploadEvent) { f(e) }

func TestUploadMultipartFile(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	size := 12*mib + 3
	path, crc := makeFile(t, size)
	key := "go/multipart.bin"
	clearLog(t, adminURL)

	progress := &progressRecorder{}
	var partEvents []tos.UploadPartInfo
	out, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path,
		PartSize: 5 * mib, TaskNum: 3,
		ContentType:          "application/octet-stream",
		Meta:                 map[string]string{"origin": "go-test", "answer": "42"},
		DataTransferListener: progress,
		UploadEventListener: eventFunc(func(e *tos.UploadEvent) {
			if e.Type == tos.UploadEventUploadPartSucceeded {
				partEvents = append(partEvents, *e.UploadPartInfo)
			}
		}),
	})
	if err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	if out.HashCrc64ecma != crc {
		t.Errorf("CRC-64 of the object %d, of the file %d", out.HashCrc64ecma, crc)
	}
	checkObjectBytes(t, adminURL, bucket, key, path)
	if out.Bucket != bucket || out.Key != key || out.UploadID == "" || out.ETag == "" {
		t.Errorf("output %+v", out)
	}
	if out.BytesSent != int64(size) || out.PartSize != 5*mib {
		t.Errorf("BytesSent %d PartSize %d", out.BytesSent, out.PartSize)
	}

	log := serverLog(t, adminURL, key)
	if n := count(log, "CompleteMultipartUpload", 200); n != 1 {
		t.Errorf("CompleteMultipartUpload 200 seen %d times, want 1: %+v", n, log)
	}
	if n := count(log, "UploadPart", 200); n != 3 {
		t.Errorf("UploadPart 200 seen %d times, want 3", n)
	}
	if n := count(log, "UploadPart", -1); n != 3 {
		t.Errorf("UploadPart sent %d times, want 3", n)
	}

	if len(partEvents) != 3 {
		t.Fatalf("%d part events, want 3", len(partEvents))
	}
	sort.Slice(partEvents, func(i, j int) bool { return partEvents[i].PartNumber < partEvents[j].PartNumber })
	for i, p := range partEvents {
		if p.PartNumber != i+1 || p.ETag == "" || p.HashCrc64ecma == nil || p.Offset != uint64(i)*5*mib {
			t.Errorf("part event %d: %+v", i, p)
		}
	}

	got := progress.got
	if len(got) < 2 {
		t.Fatalf("progress calls %+v", got)
	}
	if got[0].Type != tos.DataTransferStarted {
		t.Errorf("first progress %+v, want Started", got[0])
	}
	last := got[len(got)-1]
	if last.Type != tos.DataTransferSucceeded || last.ConsumedBytes != last.TotalBytes || last.TotalBytes != int64(size) {
		t.Errorf("last progress %+v, want Succeed with ConsumedBytes == TotalBytes == %d", last, size)
	}
	var prev int64
	for _, s := range got {
		if s.ConsumedBytes < prev || s.ConsumedBytes > s.TotalBytes {
			t.Errorf("progress went backwards or over: %+v", got)
			break
		}
		prev = s.ConsumedBytes
	}
}

func TestContextCancelPausesAndSecondCallResumes(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	const taskNum = 2
	size := 40*mib + 7 // 9 parts of 5 MiB
	path, crc := makeFile(t, size)
	key := "go/pause-resume.bin"
	checkpoint := filepath.Join(t.TempDir(), "checkpoints")
	limiter, err := tos.NewTokenBucket(16*mib, 1*mib) // about 2.5 s in all
	if err != nil {
		t.Fatal(err)
	}
	defer limiter.Close()
	clearLog(t, adminURL)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	partsBefore := 0
	in := &tos.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path,
		PartSize: 5 * mib, TaskNum: taskNum,
		EnableCheckpoint: true, CheckpointFile: checkpoint,
		TokenBucket: limiter,
		UploadEventListener: eventFunc(func(e *tos.UploadEvent) {
			if e.Type == tos.UploadEventUploadPartSucceeded {
				partsBefore++
				if partsBefore == 2 {
					cancel() // from inside a listener: the watcher goroutine pauses the upload
				}
			}
		}),
	}
	start := time.Now()
	out, err := c.UploadFile(ctx, in)
	if out != nil || !errors.Is(err, tos.ErrPaused) {
		t.Fatalf("after cancelling the context: %v, %v; want ErrPaused", out, err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the pause error does not wrap context.Canceled: %v", err)
	}
	var te *tos.Error
	if !errors.As(err, &te) || te.Result != tos.ResultPaused {
		t.Fatalf("not a *tos.Error with ResultPaused: %#v", err)
	}
	t.Logf("paused after %d parts in %v: %v", partsBefore, time.Since(start), err)
	first := serverLog(t, adminURL, key)
	firstSent := partsSent(first)
	if len(firstSent) >= 9 || count(first, "CompleteMultipartUpload", -1) != 0 {
		t.Fatalf("the pause came too late: %d parts sent, log %+v", len(firstSent), first)
	}
	if count(first, "AbortMultipartUpload", -1) != 0 {
		t.Errorf("a pause aborted the multipart upload")
	}
	clearLog(t, adminURL)

	resumed := false
	in.UploadEventListener = eventFunc(func(e *tos.UploadEvent) {
		if e.Type == tos.UploadEventUploadResumed {
			resumed = true
		}
	})
	out, err = c.UploadFile(context.Background(), in)
	if err != nil {
		t.Fatalf("resuming: %v", err)
	}
	if !resumed {
		t.Errorf("no UploadResumed event")
	}
	if out.HashCrc64ecma != crc {
		t.Errorf("CRC-64 of the object %d, of the file %d", out.HashCrc64ecma, crc)
	}
	checkObjectBytes(t, adminURL, bucket, key, path)
	second := serverLog(t, adminURL, key)
	secondSent := partsSent(second)
	resent := 0
	for p := range secondSent {
		if firstSent[p] {
			resent++
		}
	}
	if resent > taskNum {
		t.Errorf("%d parts re-sent (more than task-num %d): first %v, second %v", resent, taskNum, firstSent, secondSent)
	}
	for p := 1; p <= 9; p++ {
		if !firstSent[p] && !secondSent[p] {
			t.Errorf("part %d never sent", p)
		}
	}
	if count(second, "CompleteMultipartUpload", 200) != 1 || count(second, "CreateMultipartUpload", -1) != 0 {
		t.Errorf("the second call did not resume the same upload: %+v", second)
	}
	if out.BytesSent >= int64(size) {
		t.Errorf("the second call sent %d bytes, the whole file", out.BytesSent)
	}
	t.Logf("first run sent parts %v, second %v (%d re-sent), BytesSent %d", firstSent, secondSent, resent, out.BytesSent)
}

func TestCancelHookAborts(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	path, _ := makeFile(t, 30*mib)
	key := "go/abort.bin"
	checkpoint := filepath.Join(t.TempDir(), "cp")
	clearLog(t, adminURL)

	hook := tos.NewCancelHook()
	limiter, err := tos.NewTokenBucket(16*mib, 1*mib)
	if err != nil {
		t.Fatal(err)
	}
	defer limiter.Close()
	var mu sync.Mutex
	var failed []tos.DataTransferStatus
	progress := progressFunc(func(s *tos.DataTransferStatus) {
		if s.Type == tos.DataTransferFailed {
			mu.Lock()
			failed = append(failed, *s)
			mu.Unlock()
		}
	})
	go func() {
		time.Sleep(300 * time.Millisecond)
		hook.Cancel(true)
	}()
	_, err = c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path, PartSize: 5 * mib, TaskNum: 2,
		EnableCheckpoint: true, CheckpointFile: checkpoint,
		TokenBucket: limiter, CancelHook: hook, DataTransferListener: progress,
	})
	if !errors.Is(err, tos.ErrAborted) || errors.Is(err, tos.ErrPaused) {
		t.Fatalf("want ErrAborted, got %v", err)
	}
	if len(failed) != 1 {
		t.Errorf("want one Failed progress call, got %+v", failed)
	}
	log := serverLog(t, adminURL, key)
	if count(log, "AbortMultipartUpload", -1) != 1 || count(log, "CompleteMultipartUpload", -1) != 0 {
		t.Errorf("abort not seen by the server: %+v", log)
	}
	// The hook stays cancelled: a later upload using it stops at once (as the C hook does).
	_, err = c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path, PartSize: 5 * mib, CancelHook: hook,
	})
	if !errors.Is(err, tos.ErrAborted) {
		t.Errorf("a second upload with the cancelled hook: %v, want ErrAborted", err)
	}
}

type progressFunc func(*tos.DataTransferStatus)

func (f progressFunc) DataTransferStatusChange(s *tos.DataTransferStatus) { f(s) }

func TestBadInput(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	path, _ := makeFile(t, 1024)
	dir := t.TempDir()
	cases := []struct {
		name string
		in   tos.UploadFileInput
		want tos.Result
	}{
		{"missing file", tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: filepath.Join(dir, "nope")}, tos.ResultFileNotFound},
		{"directory", tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: dir}, tos.ResultFileIsDirectory},
		{"part size too small", tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: path, PartSize: 1024}, tos.ResultInvalidPartSize},
		{"bad bucket name", tos.UploadFileInput{Bucket: "Bad_Bucket!", Key: "k", FilePath: path}, tos.ResultInvalidBucket},
		{"empty key", tos.UploadFileInput{Bucket: bucket, Key: "", FilePath: path}, tos.ResultInvalidKey},
		{"invalid UTF-8 key", tos.UploadFileInput{Bucket: bucket, Key: "k\xff", FilePath: path}, tos.ResultInvalidUTF8},
		{"negative part size", tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: path, PartSize: -1}, tos.ResultInvalidArgument},
		{"negative multipart threshold", tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: path, MultipartThreshold: -1}, tos.ResultInvalidArgument},
		{"multipart threshold over 5 GiB", tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: path, MultipartThreshold: 5<<30 + 1}, tos.ResultInvalidArgument},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.UploadFile(context.Background(), &tc.in)
			var te *tos.Error
			if out != nil || !errors.As(err, &te) {
				t.Fatalf("got %v, %v; want a *tos.Error", out, err)
			}
			if te.Result != tc.want || !errors.Is(err, tc.want) || te.Message == "" || te.IsServerError {
				t.Errorf("got %s (%v), want %s", te.Result, err, tc.want)
			}
		})
	}
	if _, err := c.UploadFile(context.Background(), nil); !errors.Is(err, tos.ResultNullArgument) {
		t.Errorf("nil input: %v", err)
	}
	_, err := tos.NewClient(tos.ClientOptions{Endpoint: "not a url", Region: "cn-beijing"})
	if !errors.Is(err, tos.ResultInvalidEndpoint) {
		t.Errorf("bad endpoint: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.UploadFile(ctx, &tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: path}); !errors.Is(err, tos.ErrPaused) || !errors.Is(err, context.Canceled) {
		t.Errorf("a done context: %v", err)
	}
	closed, _ := tos.NewClient(tos.ClientOptions{})
	closed.Close()
	closed.Close()
	if _, err := closed.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: bucket, Key: "k", FilePath: path}); !errors.Is(err, tos.ErrClosed) {
		t.Errorf("a closed client: %v", err)
	}
}

func TestServerError(t *testing.T) {
	_, _ = env(t)
	c := newClient(t)
	path, _ := makeFile(t, 1024)
	_, err := c.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: "no-such-bucket", Key: "k", FilePath: path})
	var te *tos.Error
	if !errors.As(err, &te) {
		t.Fatalf("want *tos.Error, got %v", err)
	}
	if te.Result != tos.ResultServer || !te.IsServerError || te.HTTPStatus != 404 || te.Code != "NoSuchBucket" || te.RequestID == "" {
		t.Errorf("server error %#v", te)
	}
	if !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("Error() lacks the code: %s", err)
	}
}

// countingLimiter lets every other request wait, and counts the bytes it let through.
type countingLimiter struct {
	calls, granted int64
}

func (l *countingLimiter) Acquire(want int64) (bool, time.Duration) {
	l.calls++
	if l.calls%2 == 1 {
		return false, time.Millisecond
	}
	l.granted += want
	return true, 0
}

func TestRateLimiterCallbackAndTokenBucket(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	size := 6*mib + 1
	path, crc := makeFile(t, size)
	l := &countingLimiter{}
	out, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: "go/limited.bin", FilePath: path, PartSize: 5 * mib, RateLimiter: l,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.HashCrc64ecma != crc || l.granted < int64(size) || l.calls < 2 {
		t.Errorf("crc %d/%d, limiter %+v", out.HashCrc64ecma, crc, l)
	}

	tb, err := tos.NewTokenBucket(4*mib, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.SetRate(8*mib, 1*mib); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err = c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: "go/bucket.bin", FilePath: path, PartSize: 5 * mib, TokenBucket: tb,
	})
	if err != nil || out.HashCrc64ecma != crc {
		t.Fatalf("%v %v", out, err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("6 MiB at 8 MiB/s with a 1 MiB burst took only %v", d)
	}
	tb.Close()
	if err := tb.SetRate(1, 1); !errors.Is(err, tos.ErrClosed) {
		t.Errorf("SetRate on a closed bucket: %v", err)
	}
}

func TestListenerPanicIsRaisedAfterTheUpload(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	path, _ := makeFile(t, 11*mib)
	calls := 0
	defer func() {
		v := recover()
		if v != "boom" {
			t.Fatalf("recovered %v, want boom", v)
		}
		if calls != 1 {
			t.Errorf("the listener ran %d times after panicking", calls)
		}
	}()
	_, _ = c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: "go/panic.bin", FilePath: path, PartSize: 5 * mib,
		UploadEventListener: eventFunc(func(*tos.UploadEvent) {
			calls++
			panic("boom")
		}),
	})
	t.Fatal("UploadFile returned instead of panicking")
}

func TestVersion(t *testing.T) {
	if tos.Version() != tos.HeaderVersion {
		t.Errorf("library %s, header %s", tos.Version(), tos.HeaderVersion)
	}
	if tos.VersionNum() != tos.HeaderVersionNum || tos.HeaderVersionNum < 10000 {
		t.Errorf("library %d, header %d", tos.VersionNum(), tos.HeaderVersionNum)
	}
	if tos.ResultInvalidKey.String() != "TOS_ERR_INVALID_KEY" || tos.ResultInvalidKey.Error() != "tosupload: TOS_ERR_INVALID_KEY" {
		t.Errorf("Result.String: %s", tos.ResultInvalidKey.String())
	}
}

func TestCancelHookPausesAndConcurrentUploads(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	path, crc := makeFile(t, 11*mib)

	// Three uploads at once on one client, each with its own listeners (one handle each).
	var wg sync.WaitGroup
	errs := make([]error, 3)
	finals := make([]tos.DataTransferStatus, 3)
	for i := 0; i < 3; i++ {
		i := i
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
				Bucket: bucket, Key: fmt.Sprintf("go/concurrent-%d.bin", i), FilePath: path,
				PartSize: 5 * mib, TaskNum: 2,
				DataTransferListener: progressFunc(func(s *tos.DataTransferStatus) { finals[i] = *s }),
			})
			if err == nil && out.HashCrc64ecma != crc {
				err = fmt.Errorf("crc %d, want %d", out.HashCrc64ecma, crc)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil || finals[i].Type != tos.DataTransferSucceeded || finals[i].ConsumedBytes != 11*mib {
			t.Errorf("upload %d: %v, last progress %+v", i, errs[i], finals[i])
		}
	}

	// A CancelHook pause from inside a listener: ErrPaused, not wrapping a context error.
	hook := tos.NewCancelHook()
	_, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: "go/hook-pause.bin", FilePath: path, PartSize: 5 * mib, TaskNum: 1,
		EnableCheckpoint: true, CheckpointFile: filepath.Join(t.TempDir(), "cp"),
		CancelHook: hook,
		UploadEventListener: eventFunc(func(e *tos.UploadEvent) {
			if e.Type == tos.UploadEventUploadPartSucceeded {
				hook.Cancel(false)
			}
		}),
	})
	if !errors.Is(err, tos.ErrPaused) || errors.Is(err, context.Canceled) {
		t.Errorf("CancelHook pause: %v", err)
	}
}
