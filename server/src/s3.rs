//! `--s3 --discard`: a path-style S3 front end that counts request bodies and keeps
//! nothing, for measuring S3 clients' own CPU and memory against a server that costs
//! next to nothing.
//!
//! Signatures are not verified: checking them would add server work to every part
//! while proving nothing about the clients being measured, and the listener is
//! loopback-only. Requests must still name an existing bucket (`--bucket`).
//!
//! ETags are not MD5s of the data (hashing every byte would make the server, not the
//! client, the cost being measured); each part gets a unique id that Complete checks
//! the client echoes back, and the object's ETag has the multipart `-N` form so clients
//! do not mistake it for an MD5.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use hyper::body::Incoming;
use hyper::http::response::Builder;
use hyper::{HeaderMap, Method, Request, Response};

use crate::body::{empty, full, ReqBody, RespBody};
use crate::config::WrongChecksum;
use crate::errors::TosError;
use crate::multipart::MAX_LIST;
use crate::reqlog::Entry;
use crate::s3_checks;
use crate::s3_chunked::AwsChunked;
use crate::s3_read::StoredObject;
use crate::service::{AppState, ConnCtx};
use crate::sign::{parse_query, percent_decode};
use crate::storage::UploadMeta;
use crate::util::{iso8601, now_ms, unique_id};

struct Part {
    etag: String,
    size: u64,
    /// Kept when the upload was created with `x-amz-checksum-algorithm: CRC64NVME`: Complete
    /// checks the client's listed checksum against it and combines them into the object's.
    crc64nvme: Option<u64>,
}

struct Upload {
    bucket: String,
    key: String,
    initiated_ms: u64,
    parts: BTreeMap<u32, Part>,
    /// Created with `x-amz-checksum-algorithm: CRC64NVME` (the only one this front end
    /// implements), as SeaweedFS handles it (docs/s3-stores.md).
    crc64nvme: bool,
}

/// What the discard mode remembers: sizes and ETags, so HEAD after an upload (rclone
/// checks the size) and Complete's part check work without any data.
#[derive(Default)]
pub struct S3State {
    uploads: Mutex<HashMap<String, Upload>>,
    objects: Mutex<HashMap<(String, String), StoredObject>>,
}

struct Received {
    size: u64,
    /// `x-amz-checksum-*` values from headers or trailers, echoed as S3 does.
    checksums: Vec<(String, String)>,
    /// The MD5 of the bytes, when `Content-MD5` was sent or `--md5-etags` asks for it.
    md5: Option<[u8; 16]>,
    /// The CRC-64/NVME of the bytes, when one was declared or asked for.
    crc64nvme: Option<u64>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn is_aws_chunked(h: &HeaderMap) -> bool {
    header(h, "content-encoding").is_some_and(|v| v.split(',').any(|e| e.trim() == "aws-chunked"))
        || header(h, "x-amz-content-sha256").is_some_and(|v| v.starts_with("STREAMING-"))
}

fn bad_body(msg: impl Into<String>) -> TosError {
    TosError::new(400, "IncompleteBody", msg)
}

/// Reads the body (decoding aws-chunked framing), verifies every check it declared, and
/// refuses a trailer under `--reject-trailers`.
async fn receive(r: &mut Req<'_>, crc64nvme: bool) -> Result<Received, TosError> {
    let h = &r.headers;
    if r.reject_trailers && is_aws_chunked(h) {
        return Err(s3_checks::refuse_trailer());
    }
    let mut digests = s3_checks::BodyDigests::for_request(h, r.md5_etags, crc64nvme);
    let mut checksums: Vec<(String, String)> = h
        .iter()
        .filter(|(k, _)| {
            k.as_str().starts_with("x-amz-checksum-")
                && k.as_str() != "x-amz-checksum-algorithm"
                && k.as_str() != "x-amz-checksum-type"
        })
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let mut trailers = Vec::new();
    if !is_aws_chunked(h) {
        while let Some(c) = r.body.chunk().await? {
            digests.update(&c);
            r.decoded += c.len() as u64;
        }
    } else {
        let mut dec = AwsChunked::default();
        while let Some(c) = r.body.chunk().await? {
            dec.feed(&c, &mut |data| digests.update(data))
                .map_err(bad_body)?;
            r.decoded = dec.decoded;
        }
        dec.finish().map_err(bad_body)?;
        if let Some(want) = header(h, "x-amz-decoded-content-length") {
            let want: u64 = want
                .parse()
                .map_err(|_| TosError::invalid_argument("bad x-amz-decoded-content-length"))?;
            if want != dec.decoded {
                return Err(bad_body(format!(
                    "decoded {} bytes, x-amz-decoded-content-length says {want}",
                    dec.decoded
                )));
            }
        }
        trailers = dec.trailers;
    }
    let got = digests.finish();
    s3_checks::verify(h, &trailers, &got)?;
    checksums.extend(
        trailers
            .into_iter()
            .filter(|(k, _)| k.starts_with("x-amz-checksum-")),
    );
    Ok(Received {
        size: r.decoded,
        checksums,
        md5: got.md5,
        crc64nvme: got.crc64nvme,
    })
}

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of every `<tag>` element, in order; enough for CompleteMultipartUpload.
fn xml_all<'a>(doc: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(&rest[..j]);
        rest = &rest[j + close.len()..];
    }
    out
}

fn new_etag() -> String {
    format!("\"{}\"", unique_id())
}

fn base(status: u16, request_id: &str) -> Builder {
    Response::builder()
        .status(status)
        .header("x-amz-request-id", request_id)
        .header("x-amz-id-2", format!("{request_id}-local"))
        .header("server", "tos-local-server")
}

fn xml(b: Builder, body: String) -> Response<RespBody> {
    let text = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}");
    b.header("content-type", "application/xml")
        .header("content-length", text.len())
        .body(full(text))
        .expect("valid response")
}

fn no_body(b: Builder) -> Response<RespBody> {
    b.header("content-length", 0)
        .body(empty())
        .expect("valid response")
}

fn error_response(
    e: &TosError,
    head: bool,
    request_id: &str,
    resource: &str,
) -> Response<RespBody> {
    let mut b = base(e.status, request_id);
    for (name, value) in &e.headers {
        b = b.header(*name, value.as_str());
    }
    if head {
        return no_body(b);
    }
    xml(
        b,
        format!(
            "<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{request_id}</RequestId></Error>",
            xml_escape(&e.code),
            xml_escape(&e.message),
            xml_escape(resource)
        ),
    )
}

struct Req<'a> {
    s3: &'a S3State,
    method: Method,
    headers: HeaderMap,
    bucket: String,
    key: String,
    query: Vec<(String, String)>,
    request_id: String,
    body: ReqBody,
    decoded: u64,
    md5_etags: bool,
    reject_trailers: bool,
    refuse_checksum_algorithm: bool,
    wrong_full_object_checksum: Option<WrongChecksum>,
}

impl Req<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn ok(&self) -> Builder {
        base(200, &self.request_id)
    }

    fn upload_id(&self) -> Result<String, TosError> {
        let id = self.param("uploadId").unwrap_or("").to_string();
        let uploads = self.s3.uploads.lock().unwrap();
        match uploads.get(&id) {
            Some(u) if u.bucket == self.bucket && u.key == self.key => Ok(id),
            _ => Err(TosError::no_such_upload()),
        }
    }
}

fn operation(method: &Method, has_key: bool, q: &[(String, String)]) -> &'static str {
    let has = |n: &str| q.iter().any(|(k, _)| k == n);
    match (method.as_str(), has_key) {
        ("GET", false) if has("location") => "GetBucketLocation",
        ("GET", false) if has("uploads") => "ListMultipartUploads",
        ("GET", false) => "ListObjects",
        ("HEAD", false) => "HeadBucket",
        ("PUT", false) => "CreateBucket",
        ("POST", true) if has("uploads") => "CreateMultipartUpload",
        ("POST", true) if has("uploadId") => "CompleteMultipartUpload",
        ("PUT", true) if has("partNumber") && has("uploadId") => "UploadPart",
        ("PUT", true) => "PutObject",
        ("HEAD", true) => "HeadObject",
        ("GET", true) if has("uploadId") => "ListParts",
        ("GET", true) => "GetObject",
        ("DELETE", true) if has("uploadId") => "AbortMultipartUpload",
        ("DELETE", true) => "DeleteObject",
        _ => "Unknown",
    }
}

/// S3's naming rules, the client library's own (`tos-names`).
fn check_names(bucket: &str, raw_key: &[u8]) -> Result<(), TosError> {
    crate::names::check_bucket(bucket, crate::names::Dialect::S3)?;
    match raw_key.is_empty() {
        true => Ok(()),
        false => crate::names::check_key(raw_key, crate::names::Dialect::S3),
    }
}

pub async fn handle(
    state: Arc<AppState>,
    s3: Arc<S3State>,
    conn: ConnCtx,
    req: Request<Incoming>,
) -> Result<Response<RespBody>, Infallible> {
    if req.uri().path().starts_with("/__admin/") {
        return Ok(crate::admin::handle(&state, &conn, req).await);
    }
    let (parts, incoming) = req.into_parts();
    // Refused by the throttle (main.rs): answered and logged here, in S3's format.
    let refused = parts.extensions.get::<crate::throttle::Refused>().cloned();
    let decoded_path = percent_decode(parts.uri.path());
    let path = String::from_utf8_lossy(decoded_path.strip_prefix(b"/").unwrap_or(&decoded_path))
        .into_owned();
    let (bucket, key) = path.split_once('/').unwrap_or((&path, ""));
    // The key as sent, before the lossy conversion above, so invalid UTF-8 is refused.
    let raw_key = decoded_path
        .get(1 + bucket.len() + 1..)
        .unwrap_or_default()
        .to_vec();
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let op = operation(&parts.method, !key.is_empty(), &query);
    let mut r = Req {
        s3: &s3,
        method: parts.method.clone(),
        headers: parts.headers,
        bucket: bucket.to_string(),
        key: key.to_string(),
        request_id: unique_id()[..24].to_string(),
        body: conn.body(&state, incoming),
        decoded: 0,
        md5_etags: state.cfg.md5_etags,
        reject_trailers: state.cfg.reject_trailers,
        refuse_checksum_algorithm: state.cfg.refuse_checksum_algorithm,
        wrong_full_object_checksum: state.cfg.wrong_full_object_checksum,
        query,
    };
    let mut entry = Entry {
        seq: 0,
        time_ms: 0,
        op: op.to_string(),
        bucket: (!r.bucket.is_empty()).then(|| r.bucket.clone()),
        key: (!r.key.is_empty()).then(|| r.key.clone()),
        part_number: r.param("partNumber").and_then(|p| p.parse().ok()),
        upload_id: r.param("uploadId").map(str::to_string),
        status: 0,
        body_bytes: 0,
        response_bytes: 0,
        range: r
            .headers
            .get("range")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        fault: None,
        checksum: s3_checks::declared(&r.headers),
        access_key: crate::sts::access_key_of(&r.headers),
    };
    let head = r.method == Method::HEAD;
    let resource = format!("/{path}");
    let token = header(&r.headers, "x-amz-security-token");
    let admitted = crate::sts::check_s3_date(&state.cfg, &r.headers)
        .and_then(|()| state.sts.check_token(&state.cfg, token));
    let result = if let Some(refused) = &refused {
        Err(refused.0.clone())
    } else if let Err(e) = admitted {
        Err(e)
    } else if r.bucket.is_empty() {
        Ok(xml(
            r.ok(),
            "<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>".into(),
        ))
    } else if let Err(e) = check_names(&r.bucket, &raw_key) {
        Err(e)
    } else if op == "CreateBucket" {
        // Buckets come from --bucket; an existing one is simply confirmed.
        match state.store.bucket_exists(&r.bucket) {
            true => Ok(no_body(r.ok())),
            false => Err(TosError::new(
                403,
                "AccessDenied",
                "buckets are fixed by --bucket",
            )),
        }
    } else if !state.store.bucket_exists(&r.bucket) {
        Err(TosError::no_such_bucket())
    } else {
        dispatch(op, &mut r).await
    };
    let resp = match result {
        Ok(resp) => resp,
        Err(e) => {
            // Unread body bytes would otherwise poison the keep-alive connection.
            let _ = r.body.drain(None).await;
            error_response(&e, head, &r.request_id, &resource)
        }
    };
    let mut resp = resp;
    crate::sts::set_date(&state.cfg, &mut resp);
    entry.status = resp.status().as_u16();
    // The decoded size, not the wire size: what tests of aws-chunked decoding check.
    entry.body_bytes = r.decoded.max(if is_aws_chunked(&r.headers) {
        0
    } else {
        r.body.received
    });
    // Every body here is a whole document, sent as one piece.
    entry.response_bytes = hyper::body::Body::size_hint(resp.body())
        .exact()
        .unwrap_or(0);
    entry.time_ms = now_ms();
    state.log.push(entry);
    Ok(resp)
}

async fn dispatch(op: &str, r: &mut Req<'_>) -> Result<Response<RespBody>, TosError> {
    match op {
        "HeadBucket" => Ok(no_body(r.ok())),
        "GetBucketLocation" => Ok(xml(
            r.ok(),
            "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>".into(),
        )),
        "ListObjects" => Ok(xml(
            r.ok(),
            format!(
                "<ListBucketResult><Name>{}</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>",
                xml_escape(&r.bucket)
            ),
        )),
        "ListMultipartUploads" => {
            let param = |name: &str| r.param(name).unwrap_or("").to_string();
            let max = param("max-uploads").parse().unwrap_or(MAX_LIST).clamp(1, MAX_LIST);
            let prefix = param("prefix");
            let open: Vec<UploadMeta> = r.s3.uploads.lock().unwrap().iter()
                .filter(|(_, u)| u.bucket == r.bucket && u.key.starts_with(&prefix))
                .map(|(id, u)| UploadMeta {
                    key: u.key.clone(),
                    upload_id: id.clone(),
                    initiated_ms: u.initiated_ms,
                    attrs: Vec::new(),
                    forbid_overwrite: false,
                })
                .collect();
            let listing = crate::s3_list::Listing {
                bucket: &r.bucket,
                prefix: &prefix,
                key_marker: &param("key-marker"),
                id_marker: &param("upload-id-marker"),
                max,
            };
            Ok(xml(r.ok(), listing.render(open)))
        }
        "CreateMultipartUpload" => {
            let _ = r.body.drain(None).await;
            let crc64nvme = create_checksum(r)?;
            let id = unique_id();
            r.s3.uploads.lock().unwrap().insert(
                id.clone(),
                Upload {
                    bucket: r.bucket.clone(),
                    key: r.key.clone(),
                    initiated_ms: now_ms(),
                    parts: BTreeMap::new(),
                    crc64nvme,
                },
            );
            let mut b = r.ok();
            if let Some(a) = header(&r.headers, "x-amz-checksum-algorithm") {
                b = b.header("x-amz-checksum-algorithm", a);
            }
            Ok(xml(
                b,
                format!(
                    "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>",
                    xml_escape(&r.bucket),
                    xml_escape(&r.key)
                ),
            ))
        }
        "UploadPart" => {
            let n: u32 = r
                .param("partNumber")
                .and_then(|p| p.parse().ok())
                .filter(|n| (1..=10000).contains(n))
                .ok_or_else(|| TosError::invalid_argument("partNumber must be 1..10000"))?;
            if r.headers.contains_key("x-amz-copy-source") {
                return Err(TosError::new(501, "NotImplemented", "UploadPartCopy"));
            }
            let id = r.upload_id()?;
            let crc64nvme = r.s3.uploads.lock().unwrap().get(&id).is_some_and(|u| u.crc64nvme);
            let got = receive(r, crc64nvme).await?;
            // With --md5-etags, S3's: the hex MD5 of the part's bytes.
            let etag = got.md5.map_or_else(new_etag, |m| format!("\"{}\"", crate::util::hex(&m)));
            {
                let mut uploads = r.s3.uploads.lock().unwrap();
                // Aborted while the body was arriving.
                let up = uploads.get_mut(&id).ok_or_else(TosError::no_such_upload)?;
                up.parts.insert(
                    n,
                    Part {
                        etag: etag.clone(),
                        size: got.size,
                        crc64nvme: got.crc64nvme.filter(|_| crc64nvme),
                    },
                );
            }
            let mut b = r.ok().header("etag", &etag);
            for (k, v) in &got.checksums {
                b = b.header(k.as_str(), v.as_str());
            }
            // The store computes the part's checksum of the upload's algorithm even when the
            // request declared none, and says it.
            let declared = got.checksums.iter().any(|(k, _)| k == "x-amz-checksum-crc64nvme");
            if let (Some(crc), false) = (got.crc64nvme.filter(|_| crc64nvme), declared) {
                b = b.header("x-amz-checksum-crc64nvme", s3_checks::crc64nvme_text(crc));
            }
            Ok(no_body(b))
        }
        "CompleteMultipartUpload" => {
            let id = r.upload_id()?;
            let body = r.body.read_all(4 << 20).await?;
            let doc = String::from_utf8_lossy(&body);
            let listed: Vec<(u32, String, Option<String>)> = xml_all(&doc, "Part")
                .into_iter()
                .map(|p| {
                    let n = xml_all(p, "PartNumber").first().and_then(|n| n.trim().parse().ok());
                    let etag = xml_all(p, "ETag")
                        .first()
                        .map(|e| xml_unescape(e.trim()).trim_matches('"').to_string());
                    let crc = xml_all(p, "ChecksumCRC64NVME").first().map(|c| c.trim().to_string());
                    match (n, etag) {
                        (Some(n), Some(e)) => Ok((n, e, crc)),
                        _ => Err(TosError::new(400, "MalformedXML", "Part without PartNumber or ETag")),
                    }
                })
                .collect::<Result<_, _>>()?;
            if listed.is_empty() {
                return Err(TosError::new(400, "MalformedXML", "no parts listed"));
            }
            if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(TosError::new(400, "InvalidPartOrder", "parts must be listed in ascending order"));
            }
            let mut uploads = r.s3.uploads.lock().unwrap();
            let up = uploads.get(&id).ok_or_else(TosError::no_such_upload)?;
            let mut size = 0;
            let mut part_md5s = Vec::new();
            let mut part_crcs = Vec::new();
            for (n, etag, crc) in &listed {
                match up.parts.get(n) {
                    Some(p) if p.etag.trim_matches('"') == etag => {
                        size += p.size;
                        part_md5s.extend(hex::decode(etag).unwrap_or_default());
                        if up.crc64nvme {
                            part_crcs.push((listed_checksum(*n, crc.as_deref(), p)?, p.size));
                        }
                    }
                    _ => {
                        return Err(TosError::new(
                            400,
                            "InvalidPart",
                            format!("part {n} was not uploaded or its ETag does not match"),
                        ))
                    }
                }
            }
            uploads.remove(&id);
            drop(uploads);
            // With --md5-etags, S3's multipart ETag: the MD5 of the parts' MD5s, then `-N`,
            // which a client can recompute from its file to check every byte arrived.
            let id = match r.md5_etags {
                true => crate::util::hex(&crate::digest::md5(&part_md5s)),
                false => unique_id(),
            };
            let etag = format!("\"{id}-{}\"", listed.len());
            // Created with CRC64NVME: the whole object's, combined from the parts' (with
            // `--wrong-full-object-checksum`, off by one bit in the reply or in the object).
            let whole = (!part_crcs.is_empty()).then(|| s3_checks::combine_crc64nvme(part_crcs));
            let wrong = |crc: u64, when: WrongChecksum| match r.wrong_full_object_checksum {
                Some(w) if w == when || w == WrongChecksum::Object => crc ^ 1,
                _ => crc,
            };
            // A checksum given to Complete is the whole object's (S3's FULL_OBJECT type).
            let checksums = match whole {
                Some(crc) => vec![(
                    "x-amz-checksum-crc64nvme".to_string(),
                    s3_checks::crc64nvme_text(wrong(crc, WrongChecksum::Object)),
                )],
                None => r
                    .headers
                    .iter()
                    .filter(|(k, _)| k.as_str().starts_with("x-amz-checksum-crc"))
                    .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
                    .collect(),
            };
            let checksum_xml = whole.map_or(String::new(), |crc| {
                format!(
                    "<ChecksumCRC64NVME>{}</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType>",
                    s3_checks::crc64nvme_text(wrong(crc, WrongChecksum::Reply))
                )
            });
            r.s3.objects.lock().unwrap().insert(
                (r.bucket.clone(), r.key.clone()),
                StoredObject {
                    size,
                    etag: etag.clone(),
                    modified_ms: now_ms(),
                    checksums,
                },
            );
            Ok(xml(
                r.ok(),
                format!(
                    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>/{b}/{k}</Location><Bucket>{b}</Bucket><Key>{k}</Key><ETag>{e}</ETag>{checksum_xml}</CompleteMultipartUploadResult>",
                    b = xml_escape(&r.bucket),
                    k = xml_escape(&r.key),
                    e = xml_escape(&etag)
                ),
            ))
        }
        "AbortMultipartUpload" => {
            let id = r.upload_id()?;
            r.s3.uploads.lock().unwrap().remove(&id);
            Ok(no_body(base(204, &r.request_id)))
        }
        "ListParts" => {
            let id = r.upload_id()?;
            let uploads = r.s3.uploads.lock().unwrap();
            let up = uploads.get(&id).ok_or_else(TosError::no_such_upload)?;
            let parts: String = up
                .parts
                .iter()
                .map(|(n, p)| {
                    format!(
                        "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag><Size>{}</Size><LastModified>{}</LastModified></Part>",
                        xml_escape(&p.etag),
                        p.size,
                        iso8601(now_ms())
                    )
                })
                .collect();
            Ok(xml(
                r.ok(),
                format!(
                    "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>{parts}</ListPartsResult>",
                    xml_escape(&r.bucket),
                    xml_escape(&r.key)
                ),
            ))
        }
        "PutObject" => {
            if r.headers.contains_key("x-amz-copy-source") {
                return Err(TosError::new(501, "NotImplemented", "CopyObject"));
            }
            let got = receive(r, false).await?;
            let etag = got.md5.map_or_else(new_etag, |m| format!("\"{}\"", crate::util::hex(&m)));
            r.s3.objects.lock().unwrap().insert(
                (r.bucket.clone(), r.key.clone()),
                StoredObject {
                    size: got.size,
                    etag: etag.clone(),
                    modified_ms: now_ms(),
                    checksums: got.checksums.clone(),
                },
            );
            let mut b = r.ok().header("etag", &etag);
            for (k, v) in &got.checksums {
                b = b.header(k.as_str(), v.as_str());
            }
            Ok(no_body(b))
        }
        "HeadObject" | "GetObject" => {
            let objects = r.s3.objects.lock().unwrap();
            let o = objects
                .get(&(r.bucket.clone(), r.key.clone()))
                .ok_or_else(TosError::no_such_key)?;
            crate::s3_read::head_or_get(&r.headers, o, r.ok(), op == "GetObject")
        }
        "DeleteObject" => {
            r.s3.objects
                .lock()
                .unwrap()
                .remove(&(r.bucket.clone(), r.key.clone()));
            Ok(no_body(base(204, &r.request_id)))
        }
        _ => Err(TosError::new(
            501,
            "NotImplemented",
            format!("{} {} is not implemented", r.method, op),
        )),
    }
}

/// CreateMultipartUpload's `x-amz-checksum-algorithm`: whether it is CRC64NVME (the only
/// one implemented; its type can only be FULL_OBJECT, as in S3), or why it is refused.
fn create_checksum(r: &Req<'_>) -> Result<bool, TosError> {
    let Some(algorithm) = header(&r.headers, "x-amz-checksum-algorithm") else {
        return Ok(false);
    };
    if r.refuse_checksum_algorithm {
        return Err(TosError::new(
            400,
            "InvalidRequest",
            "x-amz-checksum-algorithm is not supported by this store",
        ));
    }
    if !algorithm.trim().eq_ignore_ascii_case("CRC64NVME") {
        return Err(TosError::new(
            501,
            "NotImplemented",
            format!("x-amz-checksum-algorithm {algorithm}: only CRC64NVME is implemented"),
        ));
    }
    match header(&r.headers, "x-amz-checksum-type") {
        Some(t) if !t.trim().eq_ignore_ascii_case("FULL_OBJECT") => Err(TosError::new(
            400,
            "InvalidRequest",
            "The CRC64NVME checksum algorithm supports only the FULL_OBJECT checksum type",
        )),
        _ => Ok(true),
    }
}

/// A part's checksum as Complete lists it, for an upload created with CRC64NVME: required
/// (400 `InvalidRequest` without), and the part's (400 `BadDigest` otherwise), as SeaweedFS
/// answers (docs/s3-stores.md).
fn listed_checksum(n: u32, listed: Option<&str>, part: &Part) -> Result<u64, TosError> {
    let Some(text) = listed else {
        return Err(TosError::new(
            400,
            "InvalidRequest",
            format!("The upload was created using the CRC64NVME checksum algorithm; part {n} lists no ChecksumCRC64NVME"),
        ));
    };
    match (s3_checks::parse_crc64nvme(text), part.crc64nvme) {
        (Some(crc), Some(kept)) if crc == kept => Ok(crc),
        _ => Err(TosError::new(
            400,
            "BadDigest",
            format!("The ChecksumCRC64NVME of part {n} did not match the part's checksum"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_xml() {
        let doc = "<CompleteMultipartUpload><Part><ETag>&quot;a&quot;</ETag><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>";
        let parts = xml_all(doc, "Part");
        assert_eq!(parts.len(), 2);
        assert_eq!(xml_unescape(xml_all(parts[0], "ETag")[0]), "\"a\"");
        assert_eq!(xml_all(parts[1], "PartNumber"), ["2"]);
    }
}
