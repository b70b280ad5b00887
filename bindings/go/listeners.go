package tosupload

import "time"

// DataTransferType is the kind of a DataTransferStatus (the Go SDK's names).
type DataTransferType int

const (
	DataTransferStarted DataTransferType = 1 // the transfer started (first call)
	// More bytes were confirmed sent, or written to a download's temporary file.
	DataTransferRW DataTransferType = 2
	// The upload completed, or the downloaded file is in place (last call on success).
	DataTransferSucceeded DataTransferType = 3
	DataTransferFailed    DataTransferType = 4 // failed or aborted (last call; a pause has none)
)

// DataTransferStatus is the progress of an upload or a download. A resumed transfer starts
// with ConsumedBytes at what the earlier run kept.
type DataTransferStatus struct {
	TotalBytes    int64
	ConsumedBytes int64 // never decreases, never exceeds TotalBytes
	RWOnceBytes   int64 // added since the previous call
	Type          DataTransferType
}

// DataTransferListener receives the progress of an upload or a download (as in the TOS Go
// SDK).
type DataTransferListener interface {
	DataTransferStatusChange(status *DataTransferStatus)
}

// UploadEventType is the kind of an UploadEvent; 1-7 are the Go SDK's, 8 and up are ours.
type UploadEventType int

const (
	UploadEventCreateMultipartUploadSucceeded   UploadEventType = 1
	UploadEventCreateMultipartUploadFailed      UploadEventType = 2
	UploadEventUploadPartSucceeded              UploadEventType = 3
	UploadEventUploadPartFailed                 UploadEventType = 4
	UploadEventUploadPartAborted                UploadEventType = 5
	UploadEventCompleteMultipartUploadSucceeded UploadEventType = 6
	UploadEventCompleteMultipartUploadFailed    UploadEventType = 7
	UploadEventUploadPartRetry                  UploadEventType = 8
	UploadEventUploadResumed                    UploadEventType = 9
	UploadEventCheckpointDiscarded              UploadEventType = 10
	UploadEventPartSizeAdjusted                 UploadEventType = 11
	UploadEventTaskNumChanged                   UploadEventType = 12 // TaskNum (0: automatic) chose TaskNum parts at once
)

// UploadPartInfo describes one part of a multipart upload.
type UploadPartInfo struct {
	PartNumber    int
	PartSize      int64
	Offset        uint64
	ETag          string  // "" unless the part succeeded
	HashCrc64ecma *uint64 // set when the part succeeded
}

// UploadEvent is one step of an upload (as in the TOS Go SDK). Everything in it is a copy
// owned by the listener.
type UploadEvent struct {
	Type           UploadEventType
	Err            error // *Error for failure, retry and discard events; nil otherwise
	Bucket         string
	Key            string
	UploadID       *string // nil before a multipart upload exists
	CheckpointFile *string // nil when checkpointing is off
	UploadPartInfo *UploadPartInfo
	TaskNum        int // for UploadEventTaskNumChanged: the parts now sent at once; 0 otherwise
}

// UploadEventListener receives the events of an upload (as in the TOS Go SDK).
type UploadEventListener interface {
	EventChange(event *UploadEvent)
}

// RateLimiter is asked before want bytes of part data are sent, or of a download's body are
// written (as in the TOS Go SDK): return ok to let them go now, or false and how long to wait
// before asking again.
type RateLimiter interface {
	Acquire(want int64) (ok bool, timeToWait time.Duration)
}
