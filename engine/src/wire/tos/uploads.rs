//! TOS's JSON answer to ListMultipartUploads (docs/protocol.md §7.8).

use super::bad_body;
use crate::error::Result;
use crate::wire::protocol::UploadsPage;
use crate::wire::uploads::{page, PageFields, UploadEntry};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUploadsBody {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_key_marker: Option<String>,
    #[serde(default)]
    next_upload_id_marker: Option<String>,
    #[serde(default)]
    uploads: Option<Vec<UploadEntry>>,
}

pub(super) fn parse(body: &[u8]) -> Result<UploadsPage> {
    const OPERATION: &str = "ListMultipartUploads";
    let body: ListUploadsBody = serde_json::from_slice(body).map_err(|e| bad_body(OPERATION, e))?;
    page(PageFields {
        is_truncated: body.is_truncated,
        next_key_marker: body.next_key_marker,
        next_upload_id_marker: body.next_upload_id_marker,
        uploads: body.uploads.unwrap_or_default(),
    })
    .map_err(|why| bad_body(OPERATION, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tos_page_gives_keys_ids_times_and_the_next_marker() {
        let page = parse(
            br#"{"Bucket":"b","IsTruncated":true,"NextKeyMarker":"k2","NextUploadIdMarker":"u2",
                "Uploads":[{"Key":"k1","UploadId":"u1","Initiated":"2026-11-30T02:30:11.000Z",
                "StorageClass":"STANDARD","Owner":{"ID":"x"}},
                {"Key":"k2","UploadId":"u2","Initiated":"garbage"}]}"#,
        )
        .unwrap();
        assert_eq!(page.uploads.len(), 2);
        assert_eq!(page.uploads[0].initiated, Some(1_796_005_811));
        assert_eq!(page.uploads[1].initiated, None);
        assert_eq!(page.next_marker.unwrap().upload_id, "u2");
        assert!(parse(br#"{"Uploads":[{"Key":"","UploadId":"u"}]}"#).is_err());
        assert!(parse(br#"{"Uploads":7}"#).is_err());
        assert!(parse(b"<xml/>").is_err());
        assert!(parse(b"{}").unwrap().uploads.is_empty());
    }
}
