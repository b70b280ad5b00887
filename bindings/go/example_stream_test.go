package tosupload_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

func ExampleClient_UploadStream() {
	client, err := tos.NewClient(tos.ClientOptions{}) // endpoint and keys from TOS_* variables
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	out, err := client.UploadStream(context.Background(), &tos.UploadStreamInput{
		Bucket:   os.Getenv("TOS_TEST_BUCKET"),
		Key:      "backups/stdin.bin",
		Reader:   os.Stdin,
		PartSize: 8 << 20, // streams up to about 80 GiB (10,000 parts): it is never raised
	})
	switch {
	case errors.Is(err, tos.ErrStreamRead):
		fmt.Println("reading stdin failed; nothing was left on the server:", err)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("uploaded", out.BytesSent, "bytes,", out.HashCrc64ecma)
	}
}

func ExampleClient_AbortMultipartUpload() {
	client, err := tos.NewClient(tos.ClientOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	ctx := context.Background()
	bucket := os.Getenv("TOS_TEST_BUCKET")
	uploads, err := client.ListMultipartUploads(ctx, tos.ListMultipartUploadsInput{Bucket: bucket, Prefix: "backups/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range uploads {
		if !u.Initiated.IsZero() && time.Since(u.Initiated) > 24*time.Hour { // zero: time unknown
			if err := client.AbortMultipartUpload(ctx, tos.AbortMultipartUploadInput{Bucket: bucket, Key: u.Key, UploadID: u.UploadID}); err != nil {
				fmt.Println(u.Key, err)
			}
		}
	}
}
