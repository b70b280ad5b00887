//! Canned bucket ACLs, enough for anonymous (unsigned) clients: `PUT /?acl` with `x-tos-acl`
//! (or `x-tos-acl` on CreateBucket) sets one, `GET /?acl` reports it, and an unsigned request
//! is admitted when the bucket's ACL grants its operation to everyone (docs/protocol.md,
//! "Bucket ACLs"). Grants given one by one (`x-tos-grant-*`, a JSON body) are refused with
//! 501 rather than stored half-understood.

use std::collections::HashMap;
use std::sync::Mutex;

use hyper::{Method, Response};
use serde_json::json;

use crate::body::{empty, full, RespBody};
use crate::errors::TosError;
use crate::routing::Target;
use crate::service::Ctx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Canned {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
}

impl Canned {
    fn parse(value: &str) -> Option<Canned> {
        match value {
            "private" => Some(Canned::Private),
            "public-read" => Some(Canned::PublicRead),
            "public-read-write" => Some(Canned::PublicReadWrite),
            "authenticated-read" => Some(Canned::AuthenticatedRead),
            _ => None,
        }
    }

    /// The grants besides the owner's FULL_CONTROL, as GetBucketAcl lists them.
    fn grants(self) -> Vec<serde_json::Value> {
        let group = |canned: &str, permission: &str| json!({"Grantee": {"Type": "Group", "Canned": canned}, "Permission": permission});
        match self {
            Canned::Private => vec![],
            Canned::PublicRead => vec![group("AllUsers", "READ")],
            Canned::PublicReadWrite => vec![group("AllUsers", "READ"), group("AllUsers", "WRITE")],
            Canned::AuthenticatedRead => vec![group("AuthenticatedUsers", "READ")],
        }
    }
}

/// What everyone may do in a bucket: READ lists it and reads its objects (objects take their
/// bucket's ACL on TOS unless given their own, which this server does not keep); WRITE
/// creates, overwrites and deletes objects, multipart steps included.
fn everyone_may(acl: Canned, op: &str) -> bool {
    let read = matches!(
        op,
        "HeadBucket" | "ListObjects" | "GetObject" | "HeadObject" | "ListMultipartUploads"
    );
    let write = matches!(
        op,
        "PutObject"
            | "DeleteObject"
            | "CreateMultipartUpload"
            | "UploadPart"
            | "CompleteMultipartUpload"
            | "AbortMultipartUpload"
            | "ListParts"
    );
    match acl {
        Canned::PublicRead => read,
        Canned::PublicReadWrite => read || write,
        Canned::Private | Canned::AuthenticatedRead => false,
    }
}

/// The ACL of each bucket that was given one; the others are private.
#[derive(Default)]
pub struct Acls {
    inner: Mutex<HashMap<String, Canned>>,
}

impl Acls {
    fn get(&self, bucket: &str) -> Canned {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(bucket).copied().unwrap_or(Canned::Private)
    }

    fn set(&self, bucket: &str, acl: Canned) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(bucket.to_string(), acl);
    }

    /// Whether an unsigned request for `op` is admitted (`op` as routing names it).
    pub fn admits_anonymous(&self, target: &Target, op: &str) -> bool {
        target
            .bucket
            .as_deref()
            .is_some_and(|b| everyone_may(self.get(b), op))
    }
}

/// PutBucketAcl or GetBucketAcl when the request is one, else `None` (`routing::operation`'s
/// name stands).
pub fn operation(method: &Method, target: &Target) -> Option<&'static str> {
    if target.bucket.is_none() || !target.key.is_empty() || !target.has("acl") {
        return None;
    }
    match *method {
        Method::PUT => Some("PutBucketAcl"),
        Method::GET => Some("GetBucketAcl"),
        _ => None,
    }
}

fn canned_header(ctx: &Ctx) -> Result<Option<Canned>, TosError> {
    let Some(value) = ctx.header("x-tos-acl") else {
        return Ok(None);
    };
    Canned::parse(value).map(Some).ok_or_else(|| {
        TosError::new(
            400,
            "InvalidArgument",
            format!("x-tos-acl {value:?} is not a canned ACL"),
        )
    })
}

fn refuse_explicit_grants(ctx: &Ctx) -> Result<(), TosError> {
    if ctx
        .headers
        .keys()
        .any(|n| n.as_str().starts_with("x-tos-grant-"))
    {
        return Err(TosError::new(
            501,
            "NotImplemented",
            "x-tos-grant-* headers are not implemented by tos-local-server: use x-tos-acl",
        ));
    }
    Ok(())
}

/// After a CreateBucket: the bucket's ACL is its `x-tos-acl`, else private (a bucket made
/// again after a delete does not keep the old one's).
pub fn created(ctx: &Ctx) -> Result<(), TosError> {
    refuse_explicit_grants(ctx)?;
    let acl = canned_header(ctx)?.unwrap_or(Canned::Private);
    ctx.state.acls.set(&ctx.bucket, acl);
    Ok(())
}

/// Checked before CreateBucket stores anything, so a bad ACL leaves no bucket behind.
pub fn check_create(ctx: &Ctx) -> Result<(), TosError> {
    refuse_explicit_grants(ctx)?;
    canned_header(ctx).map(|_| ())
}

pub async fn put(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    refuse_explicit_grants(ctx)?;
    let mut body_bytes = 0;
    while let Some(chunk) = ctx.body.chunk().await? {
        body_bytes += chunk.len();
    }
    if body_bytes > 0 {
        return Err(TosError::new(
            501,
            "NotImplemented",
            "PutBucketAcl with a grants body is not implemented by tos-local-server: use x-tos-acl",
        ));
    }
    let acl = canned_header(ctx)?
        .ok_or_else(|| TosError::new(400, "MissingSecurityHeader", "x-tos-acl is required"))?;
    ctx.state.acls.set(&ctx.bucket, acl);
    Ok(ctx
        .base(200)
        .header("content-length", 0)
        .body(empty())
        .expect("valid response"))
}

pub fn get(ctx: &Ctx) -> Result<Response<RespBody>, TosError> {
    let owner = json!({"ID": "local", "DisplayName": "local"});
    let mut grants = vec![json!({
        "Grantee": {"ID": "local", "DisplayName": "local", "Type": "CanonicalUser"},
        "Permission": "FULL_CONTROL"
    })];
    grants.extend(ctx.state.acls.get(&ctx.bucket).grants());
    let text = json!({"Owner": owner, "Grants": grants}).to_string();
    Ok(ctx
        .base(200)
        .header("content-type", "application/json")
        .header("content-length", text.len())
        .body(full(text))
        .expect("valid response"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_do_what() {
        assert!(everyone_may(Canned::PublicRead, "GetObject"));
        assert!(!everyone_may(Canned::PublicRead, "PutObject"));
        assert!(!everyone_may(Canned::PublicRead, "UploadPart"));
        assert!(everyone_may(Canned::PublicReadWrite, "UploadPart"));
        assert!(everyone_may(Canned::PublicReadWrite, "GetObject"));
        assert!(!everyone_may(Canned::Private, "GetObject"));
        assert!(!everyone_may(Canned::AuthenticatedRead, "GetObject"));
        // Neither grants the ACL itself, nor the bucket's deletion.
        for acl in [Canned::PublicRead, Canned::PublicReadWrite] {
            for op in [
                "PutBucketAcl",
                "GetBucketAcl",
                "DeleteBucket",
                "CreateBucket",
            ] {
                assert!(!everyone_may(acl, op), "{acl:?} {op}");
            }
        }
    }
}
