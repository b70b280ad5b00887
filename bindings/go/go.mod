module github.com/libtosupload/libtosupload/bindings/go

go 1.19
