//! `CreateAttributes` as request headers: one list, in one order, for both protocols, under
//! the names each protocol gives them.

use super::content_type::guess_from_key;
use crate::attributes::CreateAttributes;

pub struct ObjectHeaderNames {
    pub acl: &'static str,
    pub storage_class: &'static str,
    pub tagging: &'static str,
    /// Sent on every Create and PutObject where the protocol has it (TOS).
    pub forbid_overwrite: Option<&'static str>,
    pub website_redirect_location: &'static str,
    pub server_side_encryption: &'static str,
    pub server_side_encryption_key_id: &'static str,
    pub ssec_algorithm: &'static str,
    pub ssec_key: &'static str,
    pub ssec_key_md5: &'static str,
    pub meta_prefix: &'static str,
    /// How a metadata name or value is written into a header.
    pub meta_text: fn(&str) -> String,
    /// A bandwidth cap per request, where the protocol has one (TOS).
    pub traffic_limit: Option<&'static str>,
}

fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn push(headers: &mut Vec<(String, String)>, name: &str, value: &Option<String>) {
    if let Some(value) = set(value) {
        headers.push((name.to_string(), value.to_string()));
    }
}

/// Headers of CreateMultipartUpload and PutObject.
pub fn create_headers(
    names: &ObjectHeaderNames,
    key: &str,
    attrs: &CreateAttributes,
) -> Vec<(String, String)> {
    let mut h = Vec::new();
    let content_type = set(&attrs.content_type).unwrap_or_else(|| guess_from_key(key));
    h.push(("Content-Type".to_string(), content_type.to_string()));
    push(&mut h, "Cache-Control", &attrs.cache_control);
    push(&mut h, "Content-Disposition", &attrs.content_disposition);
    push(&mut h, "Content-Encoding", &attrs.content_encoding);
    push(&mut h, "Content-Language", &attrs.content_language);
    if let Some(expires) = attrs.expires {
        h.push(("Expires".to_string(), crate::attributes::http_date(expires)));
    }
    push(&mut h, names.acl, &attrs.acl);
    push(&mut h, names.storage_class, &attrs.storage_class);
    push(&mut h, names.tagging, &attrs.tagging);
    if let Some(name) = names.forbid_overwrite {
        h.push((name.to_string(), attrs.forbid_overwrite.to_string()));
    }
    let redirect = &attrs.website_redirect_location;
    push(&mut h, names.website_redirect_location, redirect);
    let sse = &attrs.server_side_encryption;
    push(&mut h, names.server_side_encryption, sse);
    let sse_key_id = &attrs.server_side_encryption_key_id;
    push(&mut h, names.server_side_encryption_key_id, sse_key_id);
    h.extend(ssec_headers(names, attrs));
    for (name, value) in &attrs.meta {
        let name = format!("{}{}", names.meta_prefix, (names.meta_text)(name));
        h.push((name, (names.meta_text)(value)));
    }
    h
}

/// SSE-C headers go on Create, on every part and on PutObject.
pub fn ssec_headers(names: &ObjectHeaderNames, attrs: &CreateAttributes) -> Vec<(String, String)> {
    let mut h = Vec::new();
    push(&mut h, names.ssec_algorithm, &attrs.ssec_algorithm);
    push(&mut h, names.ssec_key, &attrs.ssec_key);
    push(&mut h, names.ssec_key_md5, &attrs.ssec_key_md5);
    h
}

/// The traffic limit of a part or a PutObject, where the protocol has one and it is set.
pub fn traffic_limit_header(
    names: &ObjectHeaderNames,
    attrs: &CreateAttributes,
) -> Option<(String, String)> {
    let name = names.traffic_limit?;
    let limit = attrs.traffic_limit.filter(|l| *l > 0)?;
    Some((name.to_string(), limit.to_string()))
}
