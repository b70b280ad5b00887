//! ListParts: the request both protocols send, a page from the fields both protocols'
//! listings carry, and the paging loop.

use super::protocol::{ListedPart, Operation, PartsPage};
use super::{Object, Wire};
use crate::error::Result;
use serde::Deserialize;

/// The most parts a page may hold (TOS and S3 both cap `max-parts` at 1000).
const MAX_PAGE: u32 = 1000;

/// One page of the parts of `upload_id`, after part number `marker` (0: from the start).
pub(crate) fn operation(bucket: &str, key: &str, upload_id: &str, marker: u32) -> Operation {
    let mut op = Operation::new("ListParts", "GET", bucket, key, 200);
    op.query
        .push(("uploadId".to_string(), upload_id.to_string()));
    op.query
        .push(("max-parts".to_string(), MAX_PAGE.to_string()));
    if marker > 0 {
        op.query
            .push(("part-number-marker".to_string(), marker.to_string()));
    }
    op
}

/// A page of ListParts as both protocols name its fields; only the list is spelled apart.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PartsListing {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_part_number_marker: Option<u32>,
    /// S3 repeats a `Part` element per part.
    #[serde(rename = "Part", default)]
    part: Vec<PartEntry>,
    /// TOS lists them in one `Parts` array (or null).
    #[serde(rename = "Parts", default)]
    parts: Option<Vec<PartEntry>>,
}

#[derive(Deserialize)]
struct PartEntry {
    #[serde(rename = "PartNumber")]
    part_number: u32,
    #[serde(rename = "ETag", default)]
    etag: String,
    #[serde(rename = "Size", default)]
    size: u64,
}

pub(crate) fn page(listing: PartsListing) -> PartsPage {
    let entries = listing
        .part
        .into_iter()
        .chain(listing.parts.into_iter().flatten());
    let parts: Vec<ListedPart> = entries
        .map(|p| ListedPart {
            part_number: p.part_number,
            size: p.size,
            etag: p.etag,
        })
        .collect();
    // A truncated page without a marker would loop forever; the last part listed is the
    // marker the server would have sent.
    let next_marker = listing.is_truncated.then(|| {
        let last = parts.last().map_or(0, |p| p.part_number);
        listing.next_part_number_marker.unwrap_or(0).max(last)
    });
    PartsPage { parts, next_marker }
}

impl Wire {
    /// Every part the server holds for the upload, page by page.
    pub(crate) async fn list_parts(
        &self,
        object: Object<'_>,
        upload_id: &str,
    ) -> Result<Vec<ListedPart>> {
        let mut parts = Vec::new();
        let mut marker = 0;
        loop {
            let op = self
                .protocol
                .list_parts(object.bucket, object.key, upload_id, marker);
            let response = self.transport.execute(&op).await?;
            let page = self.protocol.parse_list_parts(&response)?;
            parts.extend(page.parts);
            match page.next_marker {
                // A marker that does not move forward would page forever.
                Some(next) if next > marker => marker = next,
                _ => return Ok(parts),
            }
        }
    }
}
