//! The TOS native protocol (docs/protocol.md §7–8): S3's operations, addressing and paging
//! under `x-tos-*` names, JSON documents, and TOS4-HMAC-SHA256 signing.

mod errors;
mod headers;
mod json;
mod signing;

#[cfg(test)]
mod tests;

use crate::config::ClientConfig;
use crate::error::Result;
use crate::wire::documents::ErrorHeaders;
use crate::wire::protocol::{Dialect, Protocol, Site};

static TOS: Dialect = Dialect {
    name: "tos",
    request_id_header: "x-tos-request-id",
    version_id_header: "x-tos-version-id",
    error_headers: ErrorHeaders {
        request_id: &["x-tos-request-id"],
        host_id: &["x-tos-id-2"],
    },
    parse_error: errors::server_error,
    check_attributes: headers::check_attributes,
    crc64_header: Some("x-tos-hash-crc64ecma"),
    crc64_nvme_header: None,
    head_object_headers: &[],
    object_headers: headers::NAMES,
    documents: &json::Json,
    signing: signing::SIGNING,
    names: tos_names::Dialect::Tos,
    localhost_path_style: false,
};

pub struct TosProtocol {
    site: Site,
}

impl TosProtocol {
    pub fn new(config: &ClientConfig) -> Result<Self> {
        let site = Site::new(&TOS, config, config.region.clone())?;
        Ok(TosProtocol { site })
    }
}

impl Protocol for TosProtocol {
    fn site(&self) -> &Site {
        &self.site
    }
}
