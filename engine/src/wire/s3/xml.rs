//! S3's documents are XML, read and written through quick-xml's serde support. Unknown
//! elements and the `xmlns` attribute are ignored, so stores that add fields (TOS, MinIO)
//! still parse.

use crate::wire::documents::{CompletedPartEntry, ErrorDoc, Format};
use crate::wire::protocol::CompletedPart;
use bytes::Bytes;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::de::DeserializeOwned;
use serde::Serialize;

const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

pub struct Xml;

#[derive(Serialize)]
#[serde(rename = "CompleteMultipartUpload")]
struct CompleteRequest<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'a str,
    #[serde(rename = "Part")]
    parts: Vec<CompletedPartEntry<'a>>,
}

impl Format for Xml {
    const CONTENT_TYPE: &'static str = "application/xml";

    fn decode<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, String> {
        let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
        quick_xml::de::from_str(text).map_err(|e| e.to_string())
    }

    /// Parts must be listed in ascending order; the caller's order is kept when already
    /// sorted.
    fn complete_body(parts: &[CompletedPart]) -> Bytes {
        let mut sorted: Vec<&CompletedPart> = parts.iter().collect();
        sorted.sort_by_key(|p| p.part_number);
        let doc = CompleteRequest {
            xmlns: S3_NAMESPACE,
            parts: sorted.into_iter().map(CompletedPartEntry::from).collect(),
        };
        let xml = quick_xml::se::to_string(&doc).expect("plain structs serialize");
        Bytes::from(xml)
    }

    /// Only an S3 `<Error>` document (not HEAD responses' empty bodies, nor proxies' HTML).
    fn decode_error(body: &[u8]) -> Option<ErrorDoc> {
        if root_name(body).as_deref() != Some("Error") {
            return None;
        }
        Self::decode(body).ok()
    }
}

/// The name of the document's root element, if the body is XML at all.
pub fn root_name(body: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(body);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Event::Eof => return None,
            _ => buf.clear(),
        }
    }
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
