package tosupload

import "fmt"

// The names are the constants' names without the type's prefix, so a log line reads as the
// code that produced it; an unknown number prints as Type(n), as for Protocol.

var dataTransferTypeNames = map[DataTransferType]string{
	DataTransferStarted:   "Started",
	DataTransferRW:        "RW",
	DataTransferSucceeded: "Succeeded",
	DataTransferFailed:    "Failed",
}

// String names the kind, e.g. "Succeeded".
func (t DataTransferType) String() string {
	if s, ok := dataTransferTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("DataTransferType(%d)", int(t))
}

var uploadEventTypeNames = map[UploadEventType]string{
	UploadEventCreateMultipartUploadSucceeded:   "CreateMultipartUploadSucceeded",
	UploadEventCreateMultipartUploadFailed:      "CreateMultipartUploadFailed",
	UploadEventUploadPartSucceeded:              "UploadPartSucceeded",
	UploadEventUploadPartFailed:                 "UploadPartFailed",
	UploadEventUploadPartAborted:                "UploadPartAborted",
	UploadEventCompleteMultipartUploadSucceeded: "CompleteMultipartUploadSucceeded",
	UploadEventCompleteMultipartUploadFailed:    "CompleteMultipartUploadFailed",
	UploadEventUploadPartRetry:                  "UploadPartRetry",
	UploadEventUploadResumed:                    "UploadResumed",
	UploadEventCheckpointDiscarded:              "CheckpointDiscarded",
	UploadEventPartSizeAdjusted:                 "PartSizeAdjusted",
}

// String names the kind, e.g. "UploadPartSucceeded".
func (t UploadEventType) String() string {
	if s, ok := uploadEventTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("UploadEventType(%d)", int(t))
}

var dirEventTypeNames = map[DirEventType]string{
	DirEventFileStarted:   "FileStarted",
	DirEventFileSucceeded: "FileSucceeded",
	DirEventFileFailed:    "FileFailed",
	DirEventFileSkipped:   "FileSkipped",
}

// String names the kind, e.g. "FileSucceeded".
func (t DirEventType) String() string {
	if s, ok := dirEventTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("DirEventType(%d)", int(t))
}

// String names the addressing style, e.g. "PathStyle".
func (a Addressing) String() string {
	switch a {
	case AddressingAuto:
		return "Auto"
	case AddressingPathStyle:
		return "PathStyle"
	case AddressingCustomDomain:
		return "CustomDomain"
	}
	return fmt.Sprintf("Addressing(%d)", uint32(a))
}
