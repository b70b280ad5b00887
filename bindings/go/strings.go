package tosupload

import "fmt"

// The names are the constants' names without the type's prefix, so a log line reads as the
// code that produced it; an unknown number prints as Type(n), as for Protocol.

// enumString is the String method of the enumerations: the name in names, else Type(n).
func enumString[T ~int | ~uint32](names map[T]string, v T, typeName string) string {
	if s, ok := names[v]; ok {
		return s
	}
	return fmt.Sprintf("%s(%d)", typeName, int64(v))
}

var dataTransferTypeNames = map[DataTransferType]string{
	DataTransferStarted:   "Started",
	DataTransferRW:        "RW",
	DataTransferSucceeded: "Succeeded",
	DataTransferFailed:    "Failed",
}

// String names the kind, e.g. "Succeeded".
func (t DataTransferType) String() string {
	return enumString(dataTransferTypeNames, t, "DataTransferType")
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
	UploadEventTaskNumChanged:                   "TaskNumChanged",
}

// String names the kind, e.g. "UploadPartSucceeded".
func (t UploadEventType) String() string {
	return enumString(uploadEventTypeNames, t, "UploadEventType")
}

var downloadEventTypeNames = map[DownloadEventType]string{
	DownloadEventCreateTempFileSucceeded: "CreateTempFileSucceeded",
	DownloadEventCreateTempFileFailed:    "CreateTempFileFailed",
	DownloadEventDownloadPartSucceeded:   "DownloadPartSucceeded",
	DownloadEventDownloadPartFailed:      "DownloadPartFailed",
	DownloadEventDownloadPartAborted:     "DownloadPartAborted",
	DownloadEventRenameTempFileSucceeded: "RenameTempFileSucceeded",
	DownloadEventRenameTempFileFailed:    "RenameTempFileFailed",
	DownloadEventDownloadPartRetry:       "DownloadPartRetry",
	DownloadEventDownloadResumed:         "DownloadResumed",
	DownloadEventCheckpointDiscarded:     "CheckpointDiscarded",
	DownloadEventTaskNumChanged:          "TaskNumChanged",
}

// String names the kind, e.g. "DownloadPartSucceeded".
func (t DownloadEventType) String() string {
	return enumString(downloadEventTypeNames, t, "DownloadEventType")
}

var dirEventTypeNames = map[DirEventType]string{
	DirEventFileStarted:            "FileStarted",
	DirEventFileSucceeded:          "FileSucceeded",
	DirEventFileFailed:             "FileFailed",
	DirEventFileSkipped:            "FileSkipped",
	DirEventFileConcurrencyChanged: "FileConcurrencyChanged",
}

// String names the kind, e.g. "FileSucceeded".
func (t DirEventType) String() string {
	return enumString(dirEventTypeNames, t, "DirEventType")
}

var downloadDirEventTypeNames = map[DownloadDirEventType]string{
	DownloadDirEventFileStarted:            "FileStarted",
	DownloadDirEventFileSucceeded:          "FileSucceeded",
	DownloadDirEventFileFailed:             "FileFailed",
	DownloadDirEventFileSkipped:            "FileSkipped",
	DownloadDirEventFileConcurrencyChanged: "FileConcurrencyChanged",
}

// String names the kind, e.g. "FileSkipped".
func (t DownloadDirEventType) String() string {
	return enumString(downloadDirEventTypeNames, t, "DownloadDirEventType")
}

var credentialsNames = map[Credentials]string{
	CredentialsAuto:        "Auto",
	CredentialsStatic:      "Static",
	CredentialsEnvironment: "Environment",
	CredentialsAnonymous:   "Anonymous",
	CredentialsCallback:    "Callback",
}

// String names the choice, e.g. "Anonymous".
func (c Credentials) String() string {
	return enumString(credentialsNames, c, "Credentials")
}

var addressingNames = map[Addressing]string{
	AddressingAuto:         "Auto",
	AddressingPathStyle:    "PathStyle",
	AddressingCustomDomain: "CustomDomain",
}

// String names the addressing style, e.g. "PathStyle".
func (a Addressing) String() string {
	return enumString(addressingNames, a, "Addressing")
}
