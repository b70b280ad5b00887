//! TOS's documents are JSON (docs/protocol.md §7).

use crate::wire::documents::{CompletedPartEntry, Format};
use crate::wire::protocol::CompletedPart;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub struct Json;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteRequest<'a> {
    parts: Vec<CompletedPartEntry<'a>>,
}

impl Format for Json {
    const CONTENT_TYPE: &'static str = "application/json";

    fn decode<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, String> {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    }

    /// The parts in the caller's order.
    fn complete_body(parts: &[CompletedPart]) -> Bytes {
        let doc = CompleteRequest {
            parts: parts.iter().map(CompletedPartEntry::from).collect(),
        };
        Bytes::from(serde_json::to_vec(&doc).expect("plain structs serialize"))
    }
}
