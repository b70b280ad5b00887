package tosupload_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// openUploadIDs is the server's own list of the bucket's open multipart uploads.
func openUploadIDs(t *testing.T, adminURL, bucket string) []string {
	t.Helper()
	var ids []string
	if err := json.Unmarshal(admin(t, "GET", adminURL+"/uploads?bucket="+url.QueryEscape(bucket)), &ids); err != nil {
		t.Fatalf("decoding the open uploads: %v", err)
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// leaveOpenUpload pauses an UploadFile as soon as its multipart upload exists, which leaves
// that upload open on the server, and returns its id.
func leaveOpenUpload(t *testing.T, c *tos.Client, bucket, key, path string) string {
	t.Helper()
	hook := tos.NewCancelHook()
	var id string
	_, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path, PartSize: 5 * mib, CancelHook: hook,
		UploadEventListener: eventFunc(func(e *tos.UploadEvent) {
			if e.Type == tos.UploadEventCreateMultipartUploadSucceeded {
				id = *e.UploadID
				hook.Cancel(false)
			}
		}),
	})
	if !errors.Is(err, tos.ErrPaused) || id == "" {
		t.Fatalf("leaving %s open: %v (upload id %q)", key, err, id)
	}
	return id
}

func TestListAndAbortMultipartUpload(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	path, _ := makeFile(t, 6*mib)
	base := fmt.Sprintf("go-uploads-%d", time.Now().UnixNano())
	key, other := base+"/left.bin", base+"-elsewhere.bin"
	before := time.Now()
	id := leaveOpenUpload(t, c, bucket, key, path)
	otherID := leaveOpenUpload(t, c, bucket, other, path)
	if open := openUploadIDs(t, adminURL, bucket); !contains(open, id) || !contains(open, otherID) {
		t.Fatalf("the server does not hold %s and %s: %v", id, otherID, open)
	}

	list := func(in tos.ListMultipartUploadsInput) []tos.MultipartUpload {
		t.Helper()
		in.Bucket = bucket
		uploads, err := c.ListMultipartUploads(context.Background(), in)
		if err != nil {
			t.Fatalf("ListMultipartUploads(%+v): %v", in, err)
		}
		return uploads
	}
	uploads := list(tos.ListMultipartUploadsInput{Prefix: base + "/"})
	if len(uploads) != 1 || uploads[0].Key != key || uploads[0].UploadID != id {
		t.Fatalf("listed %+v, want %s %s alone", uploads, key, id)
	}
	if age := uploads[0].Initiated.Sub(before.Truncate(time.Second)); age < -5*time.Second || age > 2*time.Minute {
		t.Errorf("Initiated %v, the upload was created at %v", uploads[0].Initiated, before)
	}
	// Both uploads under the wider prefix, in key order ("-" before "/"), also one per page;
	// Limit stops at one.
	if all := list(tos.ListMultipartUploadsInput{Prefix: base, PageSize: 1}); len(all) != 2 || all[0].Key != other || all[1].Key != key {
		t.Errorf("one per page: %+v", all)
	}
	if limited := list(tos.ListMultipartUploadsInput{Prefix: base, Limit: 1}); len(limited) != 1 {
		t.Errorf("Limit 1: %+v", limited)
	}

	if err := c.AbortMultipartUpload(context.Background(), tos.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadID: id}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if left := list(tos.ListMultipartUploadsInput{Prefix: base + "/"}); len(left) != 0 {
		t.Errorf("still listed after the abort: %+v", left)
	}
	open := openUploadIDs(t, adminURL, bucket)
	if contains(open, id) || !contains(open, otherID) {
		t.Errorf("after aborting %s the server holds %v; want only the other one kept", id, open)
	}

	err := c.AbortMultipartUpload(context.Background(), tos.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadID: id})
	var te *tos.Error
	if !errors.As(err, &te) || te.Result != tos.ResultServer || te.Code != "NoSuchUpload" || te.HTTPStatus != 404 {
		t.Errorf("aborting it again: %#v, want TOS_ERR_SERVER NoSuchUpload 404", err)
	}

	if err := c.AbortMultipartUpload(context.Background(), tos.AbortMultipartUploadInput{Bucket: bucket, Key: other, UploadID: otherID, CancelHook: tos.NewCancelHook()}); err != nil {
		t.Fatalf("aborting the other upload: %v", err)
	}
	if left := list(tos.ListMultipartUploadsInput{Prefix: base}); len(left) != 0 {
		t.Errorf("left after both aborts: %+v", left)
	}
}

func TestListAndAbortBadInput(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	ctx := context.Background()
	clearLog(t, adminURL)
	code := func(err error) tos.Result {
		var te *tos.Error
		if !errors.As(err, &te) {
			return tos.ResultOK
		}
		return te.Result
	}
	_, err := c.ListMultipartUploads(ctx, tos.ListMultipartUploadsInput{Bucket: "Not_A_Bucket"})
	if code(err) != tos.ResultInvalidBucket {
		t.Errorf("bad bucket: %v", err)
	}
	_, err = c.ListMultipartUploads(ctx, tos.ListMultipartUploadsInput{Bucket: bucket, PageSize: 1001})
	if code(err) != tos.ResultInvalidArgument {
		t.Errorf("page size 1001: %v", err)
	}
	_, err = c.ListMultipartUploads(ctx, tos.ListMultipartUploadsInput{Bucket: bucket, Limit: -1})
	if code(err) != tos.ResultInvalidArgument {
		t.Errorf("negative limit: %v", err)
	}
	if err := c.AbortMultipartUpload(ctx, tos.AbortMultipartUploadInput{Bucket: bucket, Key: "k", UploadID: ""}); code(err) != tos.ResultInvalidArgument {
		t.Errorf("empty upload id: %v", err)
	}
	if err := c.AbortMultipartUpload(ctx, tos.AbortMultipartUploadInput{Bucket: bucket, Key: "", UploadID: "id"}); code(err) != tos.ResultInvalidKey {
		t.Errorf("empty key: %v", err)
	}
	// Only this test's operations count: a part request an earlier test cut off by a pause
	// may reach the log after clearLog (the server logs it as 400 IncompleteBody once it sees
	// the body end short).
	var all, reached []logEntry
	if err := json.Unmarshal(admin(t, "GET", adminURL+"/log"), &all); err != nil {
		t.Fatalf("server log: %v", err)
	}
	for _, e := range all {
		if e.Op == "ListMultipartUploads" || e.Op == "AbortMultipartUpload" {
			reached = append(reached, e)
		}
	}
	if len(reached) != 0 {
		t.Errorf("bad input reached the server: %+v", reached)
	}

	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.ListMultipartUploads(done, tos.ListMultipartUploadsInput{Bucket: bucket}); !errors.Is(err, tos.ErrPaused) || !errors.Is(err, context.Canceled) {
		t.Errorf("list with a done context: %v", err)
	}
	if err := c.AbortMultipartUpload(done, tos.AbortMultipartUploadInput{Bucket: bucket, Key: "k", UploadID: "id"}); !errors.Is(err, tos.ErrPaused) || !errors.Is(err, context.Canceled) {
		t.Errorf("abort with a done context: %v", err)
	}
	hook := tos.NewCancelHook()
	hook.Cancel(true)
	if _, err := c.ListMultipartUploads(ctx, tos.ListMultipartUploadsInput{Bucket: bucket, CancelHook: hook}); !errors.Is(err, tos.ErrAborted) {
		t.Errorf("list with an aborted hook: %v", err)
	}
	if err := c.AbortMultipartUpload(ctx, tos.AbortMultipartUploadInput{Bucket: bucket, Key: "k", UploadID: "id", CancelHook: hook}); !errors.Is(err, tos.ErrAborted) {
		t.Errorf("abort with an aborted hook: %v", err)
	}

	closed := newClient(t)
	closed.Close()
	if _, err := closed.ListMultipartUploads(ctx, tos.ListMultipartUploadsInput{Bucket: bucket}); !errors.Is(err, tos.ErrClosed) {
		t.Errorf("list on a closed client: %v", err)
	}
	if err := closed.AbortMultipartUpload(ctx, tos.AbortMultipartUploadInput{Bucket: bucket, Key: "k", UploadID: "id"}); !errors.Is(err, tos.ErrClosed) {
		t.Errorf("abort on a closed client: %v", err)
	}
}
