//! What the outputs of `tos_upload_file` and `tos_upload_stream` hold: the object stored, as C
//! strings owned by the output. Two C types (one per call, as every output is named) share it.

use super::error::cstring;
use std::ffi::CString;
use tosupload_engine::UploadFileOutput;

pub(crate) struct StoredObject {
    pub bucket: CString,
    pub key: CString,
    pub upload_id: CString,
    pub etag: CString,
    pub location: CString,
    pub version_id: CString,
    pub request_id: CString,
    pub crc64: u64,
    pub part_size: u64,
    pub bytes_sent: u64,
}

impl From<UploadFileOutput> for StoredObject {
    fn from(o: UploadFileOutput) -> Self {
        StoredObject {
            bucket: cstring(&o.bucket),
            key: cstring(&o.key),
            upload_id: cstring(&o.upload_id),
            etag: cstring(&o.etag),
            location: cstring(&o.location),
            version_id: cstring(&o.version_id),
            request_id: cstring(&o.request_id),
            crc64: o.crc64,
            part_size: o.part_size,
            bytes_sent: o.bytes_sent,
        }
    }
}
