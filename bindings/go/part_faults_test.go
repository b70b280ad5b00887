package tosupload_test

// A part lost or damaged on the way, through the Go binding: the server stores part 2 but
// drops its reply (drop_reply), or answers it with a wrong CRC-64 (bad_crc), once or every
// time. The outcomes are the README's retry policy: sent again and byte-exact, or, when
// every answer is wrong, ResultCRCMismatch after the retries and no object at the key.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

type faultEntry struct {
	Op         string  `json:"op"`
	Key        *string `json:"key"`
	PartNumber *int    `json:"part_number"`
	Fault      *string `json:"fault"`
}

// partFaultLog counts, for key, the sends of each part and the firings of fault.
func partFaultLog(t *testing.T, adminURL, key, fault string) (sends map[int]int, fired int) {
	t.Helper()
	var all []faultEntry
	if err := json.Unmarshal(admin(t, "GET", adminURL+"/log"), &all); err != nil {
		t.Fatalf("decoding the server log: %v", err)
	}
	sends = map[int]int{}
	for _, e := range all {
		if e.Key == nil || *e.Key != key {
			continue
		}
		if e.Op == "UploadPart" && e.PartNumber != nil {
			sends[*e.PartNumber]++
		}
		if e.Fault != nil && *e.Fault == fault {
			fired++
		}
	}
	return sends, fired
}

func objectStatus(t *testing.T, adminURL, bucket, key string) int {
	t.Helper()
	resp, err := http.Get(adminURL + "/object?bucket=" + url.QueryEscape(bucket) + "&key=" + url.QueryEscape(key))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPartFaultOnceIsRetried(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	path, crc := makeFile(t, 12*mib)
	for _, kind := range []string{"drop_reply", "bad_crc"} {
		key := "go/part-faults/" + kind + ".bin"
		clearLog(t, adminURL)
		addFault(t, adminURL, `{"op":"UploadPart","part_number":2,"times":1,"action":{"kind":"`+kind+`"}}`)
		out, err := c.UploadFile(context.Background(), &tos.UploadFileInput{
			Bucket: bucket, Key: key, FilePath: path, PartSize: 5 * mib, TaskNum: 3,
		})
		admin(t, "DELETE", adminURL+"/faults")
		if err != nil {
			t.Errorf("%s once on part 2: %v", kind, err)
			continue
		}
		if out.HashCrc64ecma != crc {
			t.Errorf("%s: CRC-64 of the object %d, of the file %d", kind, out.HashCrc64ecma, crc)
		}
		checkObjectBytes(t, adminURL, bucket, key, path)
		sends, fired := partFaultLog(t, adminURL, key, kind)
		if fired != 1 || sends[1] != 1 || sends[2] != 2 || sends[3] != 1 {
			t.Errorf("%s once on part 2: fired %d times, sends per part %v; want once, 1/2/1", kind, fired, sends)
		}
	}
}

func TestPartBadCrcEveryTimeFails(t *testing.T) {
	bucket, adminURL := env(t)
	c := newClient(t)
	path, _ := makeFile(t, 12*mib)
	key := "go/part-faults/bad_crc-always.bin"
	clearLog(t, adminURL)
	addFault(t, adminURL, `{"op":"UploadPart","part_number":2,"action":{"kind":"bad_crc"}}`)
	input := &tos.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path, PartSize: 5 * mib, TaskNum: 3,
		EnableCheckpoint: true, CheckpointFile: t.TempDir(),
	}
	_, err := c.UploadFile(context.Background(), input)
	admin(t, "DELETE", adminURL+"/faults")
	var te *tos.Error
	if !errors.As(err, &te) || te.Result != tos.ResultCRCMismatch {
		t.Fatalf("want a *tos.Error with ResultCRCMismatch, got %v", err)
	}
	sends, fired := partFaultLog(t, adminURL, key, "bad_crc")
	if sends[2] != 4 || fired != 4 {
		t.Errorf("part 2 sent %d times, bad_crc fired %d times; want 4 (the default 3 retries)", sends[2], fired)
	}
	if status := objectStatus(t, adminURL, bucket, key); status != 404 {
		t.Errorf("after the failure the server answers HTTP %d for the object, want 404", status)
	}
	// The same call without the fault resumes from the checkpoint and ends byte-exact.
	if _, err := c.UploadFile(context.Background(), input); err != nil {
		t.Fatalf("the second call: %v", err)
	}
	checkObjectBytes(t, adminURL, bucket, key, path)
}
