package tosupload_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

func ExampleClient_UploadFile() {
	client, err := tos.NewClient(tos.ClientOptions{}) // endpoint and keys from TOS_* variables
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	out, err := client.UploadFile(context.Background(), &tos.UploadFileInput{
		Bucket:           os.Getenv("TOS_TEST_BUCKET"),
		Key:              "backups/data.bin",
		FilePath:         "data.bin",
		PartSize:         5 << 20,
		TaskNum:          4,
		EnableCheckpoint: true,
	})
	var te *tos.Error
	switch {
	case errors.Is(err, tos.ErrPaused):
		fmt.Println("paused; run again to resume")
	case errors.As(err, &te) && te.IsServerError:
		fmt.Println("server said", te.HTTPStatus, te.Code, te.RequestID)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("uploaded", out.ETag, out.HashCrc64ecma)
	}
}
