//! In-memory request log, read by tests through `/__admin/log`.

use std::sync::Mutex;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub time_ms: u64,
    pub op: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub part_number: Option<u32>,
    pub upload_id: Option<String>,
    pub status: u16,
    pub body_bytes: u64,
    /// Bytes the response body carried: short of Content-Length when the client went away
    /// or a fault cut the body.
    pub response_bytes: u64,
    /// The `Range` header the request asked with.
    pub range: Option<String>,
    pub fault: Option<String>,
    /// How an S3 body declared its checksum: `trailer:<name>`, `header:<name>`,
    /// `content-md5`, comma-separated; absent when it declared none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// The access key the request was signed with (a minted one names its token).
    pub access_key: Option<String>,
}

#[derive(Default)]
pub struct RequestLog {
    inner: Mutex<(u64, Vec<Entry>)>,
}

impl RequestLog {
    /// Assigns the sequence number so entries stay ordered by completion.
    pub fn push(&self, mut e: Entry) {
        let mut g = self.inner.lock().unwrap();
        g.0 += 1;
        e.seq = g.0;
        g.1.push(e);
    }

    pub fn since(&self, seq: u64) -> Vec<Entry> {
        let g = self.inner.lock().unwrap();
        g.1.iter().filter(|e| e.seq > seq).cloned().collect()
    }

    /// Sequence numbers keep counting so `since` cursors stay valid across clears.
    pub fn clear(&self) {
        self.inner.lock().unwrap().1.clear();
    }
}
