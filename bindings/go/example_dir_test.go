package tosupload_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

func ExampleClient_UploadDir() {
	client, err := tos.NewClient(tos.ClientOptions{}) // endpoint and keys from TOS_* variables
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	out, err := client.UploadDir(context.Background(), &tos.UploadDirInput{
		Bucket:          os.Getenv("TOS_TEST_BUCKET"),
		Prefix:          "backups/photos/",
		Dir:             "photos",
		Exclude:         []string{"*.tmp"},
		CheckpointDir:   "photos.upload", // a rerun skips what is done
		ContinueOnError: true,
	})
	switch {
	case errors.Is(err, tos.ErrSomeFilesFailed):
		for _, f := range out.Failures {
			fmt.Println(f.Path, f.Err)
		}
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println(out.FilesUploaded, "files,", out.BytesUploaded, "bytes")
	}
}

func ExampleClient_DownloadDir() {
	client, err := tos.NewClient(tos.ClientOptions{}) // endpoint and keys from TOS_* variables
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	out, err := client.DownloadDir(context.Background(), &tos.DownloadDirInput{
		Bucket:          os.Getenv("TOS_TEST_BUCKET"),
		Prefix:          "backups/photos/",
		Dir:             "photos-restored",
		CheckpointDir:   "photos.download", // a rerun fetches nothing twice
		SkipExisting:    true,              // files already there, same size and CRC-64, stay
		ContinueOnError: true,
	})
	switch {
	case errors.Is(err, tos.ErrSomeFilesFailed):
		for _, f := range out.Failures {
			fmt.Println(f.Key, f.Err)
		}
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println(out.FilesDownloaded, "files,", out.BytesDownloaded, "bytes;", out.FilesSkipped, "already there")
	}
}
