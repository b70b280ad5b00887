//! ListMultipartUploads: the request both protocols send, a page from the fields both
//! protocols' listings carry, the paging loop, and the checks
//! that keep a faulty or hostile listing from running forever or filling memory.

use super::protocol::{ListedUpload, Operation, UploadsMarker, UploadsPage};
use super::Wire;
use crate::error::{ErrorKind, Result, UploadError};
use serde::Deserialize;
use std::collections::HashSet;

/// The most a server may return per page (TOS and S3 both cap `max-uploads` at 1000).
pub(crate) const MAX_PAGE: u32 = 1000;

/// More uploads than this under one prefix is refused rather than held in memory: no real
/// bucket keeps that many open, and a server that claims so is more likely looping.
pub(crate) const MAX_LISTED: usize = 1_000_000;

/// The request, identical in both protocols except for how it is signed.
pub(crate) fn operation(
    bucket: &str,
    prefix: &str,
    marker: &UploadsMarker,
    max_uploads: u32,
) -> Operation {
    let mut op = Operation::new("ListMultipartUploads", "GET", bucket, "", 200);
    op.query.push(("uploads".to_string(), String::new()));
    op.query
        .push(("max-uploads".to_string(), max_uploads.to_string()));
    let optional = [
        ("prefix", prefix),
        ("key-marker", marker.key.as_str()),
        ("upload-id-marker", marker.upload_id.as_str()),
    ];
    for (name, value) in optional.into_iter().filter(|(_, v)| !v.is_empty()) {
        op.query.push((name.to_string(), value.to_string()));
    }
    op
}

/// One upload as both protocols' documents name its fields (JSON for TOS, XML for S3).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UploadEntry {
    #[serde(default)]
    key: String,
    #[serde(default)]
    upload_id: String,
    #[serde(default)]
    initiated: String,
}

/// A page of ListMultipartUploads as both protocols name its fields; only the list is
/// spelled apart.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UploadsListing {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_key_marker: Option<String>,
    #[serde(default)]
    next_upload_id_marker: Option<String>,
    /// S3 repeats an `Upload` element per upload.
    #[serde(rename = "Upload", default)]
    upload: Vec<UploadEntry>,
    /// TOS lists them in one `Uploads` array (or null).
    #[serde(rename = "Uploads", default)]
    uploads: Option<Vec<UploadEntry>>,
}

/// A page from its listing; `Err` says why it cannot be one.
pub(crate) fn page(listing: UploadsListing) -> std::result::Result<UploadsPage, &'static str> {
    let entries: Vec<UploadEntry> = (listing.upload.into_iter())
        .chain(listing.uploads.into_iter().flatten())
        .collect();
    if entries
        .iter()
        .any(|u| u.key.is_empty() || u.upload_id.is_empty())
    {
        return Err("an upload without a key or an upload id");
    }
    let uploads: Vec<ListedUpload> = entries
        .into_iter()
        .map(|u| ListedUpload {
            initiated: parse_iso8601(&u.initiated),
            key: u.key,
            upload_id: u.upload_id,
        })
        .collect();
    let next_marker = next_marker(
        listing.is_truncated,
        listing.next_key_marker,
        listing.next_upload_id_marker,
        &uploads,
    );
    Ok(UploadsPage {
        uploads,
        next_marker,
    })
}

/// The next page's marker of a truncated page: the server's, else (S3 may leave it out) the
/// last upload listed, which is where the server would have pointed.
fn next_marker(
    is_truncated: bool,
    next_key: Option<String>,
    next_upload_id: Option<String>,
    uploads: &[ListedUpload],
) -> Option<UploadsMarker> {
    if !is_truncated {
        return None;
    }
    match (next_key.filter(|k| !k.is_empty()), uploads.last()) {
        (Some(key), _) => Some(UploadsMarker {
            key,
            upload_id: next_upload_id.unwrap_or_default(),
        }),
        (None, Some(last)) => Some(UploadsMarker {
            key: last.key.clone(),
            upload_id: last.upload_id.clone(),
        }),
        (None, None) => Some(UploadsMarker::default()),
    }
}

/// `2006-01-02T15:04:05[.fff]Z` (what TOS and S3 send as `Initiated`) to Unix seconds.
pub(crate) fn parse_iso8601(text: &str) -> Option<i64> {
    let text = text.trim();
    // ISO 8601 also allows other offsets and times without seconds; neither store sends
    // them, and a time that does not have this exact form is not trusted.
    let seconds_given = text.as_bytes().get(16) == Some(&b':');
    if !text.ends_with('Z') || !seconds_given {
        return None;
    }
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|at| at.as_second())
}

fn bad_listing(why: String) -> UploadError {
    UploadError::new(
        ErrorKind::Server,
        format!("ListMultipartUploads: {why}; the listing was stopped"),
    )
}

impl Wire {
    /// Every multipart upload under `prefix`, page by page (`page_size` per request, 1..=1000),
    /// stopping after `limit` uploads when it is not 0.
    pub(crate) async fn list_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        page_size: u32,
        limit: usize,
    ) -> Result<Vec<ListedUpload>> {
        let limit = if limit == 0 { MAX_LISTED } else { limit };
        let page_size = page_size.clamp(1, MAX_PAGE);
        let mut uploads = Vec::new();
        let mut marker = UploadsMarker::default();
        let mut seen = HashSet::new();
        loop {
            let op = self
                .protocol
                .list_multipart_uploads(bucket, prefix, &marker, page_size);
            let response = self.transport.execute(&op).await?;
            let UploadsPage {
                uploads: page,
                next_marker,
            } = self.protocol.parse_list_multipart_uploads(&response)?;
            if page.len() > page_size as usize {
                return Err(bad_listing(format!(
                    "the server sent {} uploads in a page of at most {page_size}",
                    page.len()
                )));
            }
            let empty = page.is_empty();
            uploads.extend(page);
            if uploads.len() >= limit {
                if limit == MAX_LISTED && next_marker.is_some() {
                    return Err(bad_listing(format!(
                        "more than {MAX_LISTED} uploads under the prefix"
                    )));
                }
                uploads.truncate(limit);
                return Ok(uploads);
            }
            let Some(next) = next_marker else {
                return Ok(uploads);
            };
            // Without uploads a page moves nothing forward; a marker seen before comes back
            // round to a page already listed. Either way the paging would never end.
            if empty {
                return Err(bad_listing(
                    "the server said more follow but sent an empty page".to_string(),
                ));
            }
            if !seen.insert(next.clone()) || next == marker {
                return Err(bad_listing(format!(
                    "the server sent the marker {:?}/{:?} again",
                    next.key, next.upload_id
                )));
            }
            marker = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initiated_times_parse_to_unix_seconds() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso8601("2026-11-30T02:30:11.123Z"),
            Some(1_796_005_811)
        );
        assert_eq!(parse_iso8601("2000-02-29T23:59:59Z"), Some(951_868_799));
        for bad in [
            "",
            "2026-11-30",
            "2026-11-30T02:30:11",
            "2026-13-01T00:00:00Z",
            "2026-1-01T00:00:00Z",
            "2026-11-30T02:30Z",
            "+026-11-30T02:30:11Z",
            "2026-11-30T02:30:11:00Z",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_truncated_page_without_markers_continues_after_its_last_upload() {
        let listed = vec![ListedUpload {
            key: "a".into(),
            upload_id: "u1".into(),
            initiated: None,
        }];
        assert_eq!(next_marker(false, Some("x".into()), None, &listed), None);
        assert_eq!(
            next_marker(true, None, None, &listed),
            Some(UploadsMarker {
                key: "a".into(),
                upload_id: "u1".into()
            })
        );
        assert_eq!(
            next_marker(true, Some("b".into()), Some("u2".into()), &listed),
            Some(UploadsMarker {
                key: "b".into(),
                upload_id: "u2".into()
            })
        );
    }
}
