module github.com/libtosupload/tosupload-go

go 1.19
