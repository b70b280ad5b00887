package tosupload_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// printEvents prints each download event by name.
type printEvents struct{}

func (printEvents) EventChange(e *tos.DownloadEvent) {
	if e.DownloadPartInfo != nil {
		fmt.Println(e.Type, e.DownloadPartInfo.PartNumber)
		return
	}
	fmt.Println(e.Type)
}

func ExampleClient_DownloadFile() {
	client, err := tos.NewClient(tos.ClientOptions{}) // endpoint and keys from TOS_* variables
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	out, err := client.DownloadFile(context.Background(), &tos.DownloadFileInput{
		Bucket:                os.Getenv("TOS_TEST_BUCKET"),
		Key:                   "backups/data.bin",
		FilePath:              "restored/", // a directory: restored/data.bin
		PartSize:              5 << 20,
		TaskNum:               4,
		EnableCheckpoint:      true,
		DownloadEventListener: printEvents{},
	})
	var te *tos.Error
	switch {
	case errors.Is(err, tos.ErrPaused), errors.Is(err, tos.ErrLocalWrite):
		fmt.Println("stopped; run again to resume:", err)
	case errors.Is(err, tos.ErrObjectChanged):
		fmt.Println("the object was replaced meanwhile; run again for the new one")
	case errors.As(err, &te) && te.IsServerError:
		fmt.Println("server said", te.HTTPStatus, te.Code, te.RequestID)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("downloaded", out.FilePath, out.ContentLength, out.HashCrc64ecma)
	}
}
