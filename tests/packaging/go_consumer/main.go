// A downstream Go program, built outside the repository by go_out_of_tree.py against an
// installed libtosupload found through pkg-config alone: uploads a multipart file to the
// local server and reads the object back through its admin API, byte for byte.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	tosupload "github.com/libtosupload/libtosupload/bindings/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "go consumer:", err)
		os.Exit(1)
	}
}

func run() error {
	bucket, admin := os.Getenv("TOS_TEST_BUCKET"), os.Getenv("TOS_ADMIN_URL")
	if bucket == "" || admin == "" {
		return fmt.Errorf("run under scripts/with_server.py (TOS_TEST_BUCKET, TOS_ADMIN_URL)")
	}
	data := make([]byte, 11<<20+5) // three 5 MiB parts, the last short
	for i := range data {
		data[i] = byte(i*13 + i>>16)
	}
	dir, err := os.MkdirTemp("", "go-consumer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	client, err := tosupload.NewClient(tosupload.ClientOptions{}) // TOS_* from the environment
	if err != nil {
		return err
	}
	defer client.Close()
	key := "go-consumer/data.bin"
	out, err := client.UploadFile(context.Background(), &tosupload.UploadFileInput{
		Bucket: bucket, Key: key, FilePath: path, PartSize: 5 << 20,
	})
	if err != nil {
		return err
	}
	resp, err := http.Get(admin + "/object?bucket=" + url.QueryEscape(bucket) + "&key=" + url.QueryEscape(key))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		return fmt.Errorf("read back HTTP %d, %d bytes; the file has %d", resp.StatusCode, len(got), len(data))
	}
	fmt.Printf("go consumer: library %s, %d bytes in %s, etag %s, read back identical\n",
		tosupload.Version(), len(data), out.UploadID, out.ETag)
	return nil
}
