package tosupload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// randomBytes is size bytes that no pattern of the library or server could reproduce by
// accident (an offset or part mix-up shows as a difference).
func randomBytes(size int, seed int64) []byte {
	data := make([]byte, size)
	rand.New(rand.NewSource(seed)).Read(data)
	return data
}

// chunkyReader hands out data in uneven short reads, the last one together with io.EOF, as
// a pipe or a decompressor may.
type chunkyReader struct {
	data  []byte
	rng   *rand.Rand
	reads int
}

func (r *chunkyReader) Read(p []byte) (int, error) {
	r.reads++
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := 1 + r.rng.Intn(300<<10)
	if n > len(p) {
		n = len(p)
	}
	n = copy(p, r.data[:min(n, len(r.data))])
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// failingReader yields good bytes until limit, then fails (err) or panics (panicValue).
type failingReader struct {
	limit      int
	sent       int
	err        error
	panicValue interface{}
	afterFail  int // Read calls after the failure
	failed     bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.failed {
		r.afterFail++
	}
	if r.sent >= r.limit {
		r.failed = true
		if r.panicValue != nil {
			panic(r.panicValue)
		}
		return 0, r.err
	}
	n := min(len(p), min(64<<10, r.limit-r.sent))
	for i := 0; i < n; i++ {
		p[i] = byte(r.sent + i)
	}
	r.sent += n
	return n, nil
}

// storedObject reads an object back through the admin API: its HTTP status and body.
func storedObject(t *testing.T, adminURL, bucket, key string) (int, http.Header, []byte) {
	t.Helper()
	u := adminURL + "/object?bucket=" + url.QueryEscape(bucket) + "&key=" + url.QueryEscape(key)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", u, err)
	}
	return resp.StatusCode, resp.Header, body
}

// checkNothingLeft asserts that key has no object and no open multipart upload, asked both
// through the binding and through the server's own list (admin API), which also catches an
// upload the listing would miss.
func checkNothingLeft(t *testing.T, c *tos.Client, adminURL, bucket, key, uploadID string) {
	t.Helper()
	if status, _, body := storedObject(t, adminURL, bucket, key); status != 404 {
		t.Errorf("object %s: HTTP %d (%d bytes), want 404", key, status, len(body))
	}
	uploads, err := c.ListMultipartUploads(context.Background(), tos.ListMultipartUploadsInput{Bucket: bucket, Prefix: key})
	if err != nil || len(uploads) != 0 {
		t.Errorf("uploads left under %s: %+v, %v", key, uploads, err)
	}
	if uploadID != "" && contains(openUploadIDs(t, adminURL, bucket), uploadID) {
		t.Errorf("the server still holds upload %s", uploadID)
	}
}

// uploadIDRecorder keeps the id of the multipart upload an upload created.
type uploadIDRecorder struct{ id string }

func (r *uploadIDRecorder) EventChange(e *tos.UploadEvent) {
	if e.Type == tos.UploadEventCreateMultipartUploadSucceeded && e.UploadID != nil {
		r.id = *e.UploadID
	}
}

func TestUploadStreamMultipartReadsBackByteExact(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	size := 12*mib + 5
	data := randomBytes(size, 1)
	want := crc64.Checksum(data, crc64.MakeTable(crc64.ECMA))
	key := fmt.Sprintf("go-stream-%d/multipart.bin", time.Now().UnixNano())
	clearLog(t, adminURL)

	reader := &chunkyReader{data: data, rng: rand.New(rand.NewSource(2))}
	progress := &progressRecorder{}
	var parts []tos.UploadPartInfo
	out, err := c.UploadStream(context.Background(), &tos.UploadStreamInput{
		Bucket: bucket, Key: key, Reader: reader, PartSize: 5 * mib, TaskNum: 2,
		Attributes: tos.ObjectAttributes{
			ContentType: "application/x-go-stream",
			Meta:        map[string]string{"origin": "go-stream"},
		},
		DataTransferListener: progress,
		UploadEventListener: eventFunc(func(e *tos.UploadEvent) {
			if e.Type == tos.UploadEventUploadPartSucceeded {
				parts = append(parts, *e.UploadPartInfo)
			}
		}),
	})
	if err != nil {
		t.Fatalf("UploadStream: %v", err)
	}
	if out.HashCrc64ecma != want {
		t.Errorf("CRC-64 reported %#x, computed in Go %#x", out.HashCrc64ecma, want)
	}
	status, header, got := storedObject(t, adminURL, bucket, key)
	if status != 200 || !bytes.Equal(got, data) {
		t.Fatalf("read back: HTTP %d, %d bytes, equal %v; want 200, %d bytes", status, len(got), bytes.Equal(got, data), size)
	}
	if header.Get("Content-Type") != "application/x-go-stream" || header.Get("X-Tos-Meta-Origin") != "go-stream" {
		t.Errorf("attributes not stored: %v", header)
	}
	if out.Key != key || out.UploadID == "" || out.ETag == "" || out.PartSize != 5*mib || out.BytesSent != int64(size) {
		t.Errorf("output %+v", out)
	}
	if len(parts) != 3 {
		t.Fatalf("%d part events, want 3: %+v", len(parts), parts)
	}
	sizes := map[int]int64{}
	for _, p := range parts {
		sizes[p.PartNumber] = p.PartSize
	}
	if sizes[1] != 5*mib || sizes[2] != 5*mib || sizes[3] != int64(size-10*mib) {
		t.Errorf("part sizes %v", sizes)
	}
	log := serverLog(t, adminURL, key)
	if count(log, "UploadPart", 200) != 3 || count(log, "CompleteMultipartUpload", 200) != 1 || count(log, "PutObject", -1) != 0 {
		t.Errorf("server log %+v", log)
	}
	last := progress.got[len(progress.got)-1]
	if last.Type != tos.DataTransferSucceeded || last.ConsumedBytes != int64(size) || last.TotalBytes != int64(size) {
		t.Errorf("last progress %+v", last)
	}
	if reader.reads < 40 {
		t.Errorf("only %d reads: the short reads were not exercised", reader.reads)
	}
}

// A stream shorter than one part is one PutObject, as a small file is.
func TestUploadStreamShortIsOnePutObject(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	data := randomBytes(1000, 3)
	key := fmt.Sprintf("go-stream-%d/short.bin", time.Now().UnixNano())
	clearLog(t, adminURL)
	out, err := c.UploadStream(context.Background(), &tos.UploadStreamInput{
		Bucket: bucket, Key: key, Reader: bytes.NewReader(data), PartSize: 5 * mib,
	})
	if err != nil {
		t.Fatalf("UploadStream: %v", err)
	}
	if _, _, got := storedObject(t, adminURL, bucket, key); !bytes.Equal(got, data) {
		t.Errorf("read back %d bytes, want the %d sent", len(got), len(data))
	}
	if out.UploadID != "" || out.PartSize != 0 || out.HashCrc64ecma != crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)) {
		t.Errorf("output %+v", out)
	}
	if log := serverLog(t, adminURL, key); len(log) != 1 || count(log, "PutObject", 200) != 1 {
		t.Errorf("server log %+v, want one PutObject", log)
	}
}

func TestUploadStreamReaderErrorAbortsAndLeavesNothing(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	diskError := errors.New("disk on fire")
	for _, limit := range []int{7 * mib, 1000} { // after a part was sent; before one was full
		limit := limit
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			key := fmt.Sprintf("go-stream-%d/fails-after-%d.bin", time.Now().UnixNano(), limit)
			clearLog(t, adminURL)
			ids := &uploadIDRecorder{}
			reader := &failingReader{limit: limit, err: diskError}
			out, err := c.UploadStream(context.Background(), &tos.UploadStreamInput{
				Bucket: bucket, Key: key, Reader: reader, PartSize: 5 * mib, TaskNum: 2,
				UploadEventListener: ids,
			})
			var te *tos.Error
			if out != nil || !errors.As(err, &te) {
				t.Fatalf("got %v, %v; want a *tos.Error", out, err)
			}
			if te.Result != tos.ResultStreamRead || !errors.Is(err, tos.ErrStreamRead) || !errors.Is(err, diskError) ||
				!strings.HasSuffix(err.Error(), ": disk on fire") {
				t.Errorf("got %s (%v), want TOS_ERR_STREAM_READ wrapping the reader's error", te.Result, err)
			}
			t.Logf("%v", err)
			if reader.afterFail != 0 {
				t.Errorf("the reader was called %d times after it failed", reader.afterFail)
			}
			log := serverLog(t, adminURL, key)
			if limit > 5*mib && (ids.id == "" || count(log, "AbortMultipartUpload", -1) != 1) {
				t.Errorf("the multipart upload (%q) was not aborted: %+v", ids.id, log)
			}
			if limit < 5*mib && len(log) != 0 {
				t.Errorf("a stream failing within its first part sent requests: %+v", log)
			}
			checkNothingLeft(t, c, adminURL, bucket, key, ids.id)
		})
	}
}

func TestUploadStreamReaderPanicIsRaisedAfterTheUpload(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	key := fmt.Sprintf("go-stream-%d/panics.bin", time.Now().UnixNano())
	ids := &uploadIDRecorder{}
	reader := &failingReader{limit: 6 * mib, panicValue: "reader boom"}
	defer func() {
		if v := recover(); v != "reader boom" {
			t.Fatalf("recovered %v, want the reader's panic", v)
		}
		if reader.afterFail != 0 {
			t.Errorf("the reader was called %d times after panicking", reader.afterFail)
		}
		if ids.id == "" {
			t.Errorf("no multipart upload was created before the panic")
		}
		checkNothingLeft(t, c, adminURL, bucket, key, ids.id)
	}()
	_, _ = c.UploadStream(context.Background(), &tos.UploadStreamInput{
		Bucket: bucket, Key: key, Reader: reader, PartSize: 5 * mib, UploadEventListener: ids,
	})
	t.Fatal("UploadStream returned instead of panicking")
}

// endlessReader never ends; it cancels its context once it has given cancelAfter bytes.
type endlessReader struct {
	sent, cancelAfter int
	cancel            func()
}

func (r *endlessReader) Read(p []byte) (int, error) {
	n := min(len(p), 256<<10)
	r.sent += n
	if r.sent >= r.cancelAfter && r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	return n, nil
}

// A stream cannot be resumed, so a cancelled context aborts it rather than pausing it.
func TestUploadStreamContextCancelAborts(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	key := fmt.Sprintf("go-stream-%d/cancelled.bin", time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := &uploadIDRecorder{}
	reader := &endlessReader{cancelAfter: 6 * mib, cancel: cancel}
	start := time.Now()
	out, err := c.UploadStream(ctx, &tos.UploadStreamInput{
		Bucket: bucket, Key: key, Reader: reader, PartSize: 5 * mib, UploadEventListener: ids,
	})
	if out != nil || !errors.Is(err, tos.ErrAborted) || !errors.Is(err, context.Canceled) || errors.Is(err, tos.ErrStreamRead) {
		t.Fatalf("got %v, %v; want ErrAborted wrapping context.Canceled", out, err)
	}
	if reader.sent > 7*mib {
		t.Errorf("%d bytes read after the cancel at 6 MiB", reader.sent-6*mib)
	}
	t.Logf("aborted after %v: %v", time.Since(start), err)
	checkNothingLeft(t, c, adminURL, bucket, key, ids.id)
}

func TestUploadStreamBadInput(t *testing.T) {
	bucket, _ := env(t)
	c := newClient(t)
	reader := &failingReader{limit: 1 << 30}
	cases := []struct {
		name string
		in   tos.UploadStreamInput
		want tos.Result
	}{
		{"nil reader", tos.UploadStreamInput{Bucket: bucket, Key: "k"}, tos.ResultNullArgument},
		{"part size too small", tos.UploadStreamInput{Bucket: bucket, Key: "k", Reader: reader, PartSize: 1024}, tos.ResultInvalidPartSize},
		{"bad bucket name", tos.UploadStreamInput{Bucket: "Bad_Bucket!", Key: "k", Reader: reader}, tos.ResultInvalidBucket},
		{"empty key", tos.UploadStreamInput{Bucket: bucket, Key: "", Reader: reader}, tos.ResultInvalidKey},
		{"negative task num", tos.UploadStreamInput{Bucket: bucket, Key: "k", Reader: reader, TaskNum: -1}, tos.ResultInvalidArgument},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.UploadStream(context.Background(), &tc.in)
			var te *tos.Error
			if out != nil || !errors.As(err, &te) || te.Result != tc.want {
				t.Fatalf("got %v, %v; want %s", out, err, tc.want)
			}
		})
	}
	if reader.sent != 0 {
		t.Errorf("input errors read %d bytes of the stream first", reader.sent)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.UploadStream(ctx, &tos.UploadStreamInput{Bucket: bucket, Key: "k", Reader: reader}); !errors.Is(err, tos.ErrAborted) || !errors.Is(err, context.Canceled) {
		t.Errorf("a done context: %v", err)
	}
}
