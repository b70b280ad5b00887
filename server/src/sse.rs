//! Server-side encryption as TOS checks and reports it. Nothing is encrypted here: the
//! headers are validated, kept with the object, echoed, and an SSE-C object is only given to
//! a request that presents the same customer key (by its MD5), as TOS does.

use hyper::http::response::Builder;
use hyper::HeaderMap;

use crate::digest::{base64_decode, md5};
use crate::errors::TosError;
use crate::storage::ObjectMeta;

const SSE: &str = "x-tos-server-side-encryption";
const SSE_KMS_KEY: &str = "x-tos-server-side-encryption-kms-key-id";
const SSEC_ALGORITHM: &str = "x-tos-server-side-encryption-customer-algorithm";
const SSEC_KEY: &str = "x-tos-server-side-encryption-customer-key";
const SSEC_KEY_MD5: &str = "x-tos-server-side-encryption-customer-key-md5";

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn invalid(message: &str) -> TosError {
    TosError::invalid_argument(message)
}

/// The customer key's MD5 (base64) a request proves it holds, when it sends the SSE-C trio.
fn customer_key_md5(h: &HeaderMap) -> Result<Option<String>, TosError> {
    let (algorithm, key, key_md5) = (
        header(h, SSEC_ALGORITHM),
        header(h, SSEC_KEY),
        header(h, SSEC_KEY_MD5),
    );
    if algorithm.is_none() && key.is_none() && key_md5.is_none() {
        return Ok(None);
    }
    let (Some(algorithm), Some(key), Some(key_md5)) = (algorithm, key, key_md5) else {
        return Err(invalid(
            "SSE-C needs the customer algorithm, key and key MD5 headers together",
        ));
    };
    if algorithm != "AES256" {
        return Err(invalid("the SSE-C algorithm must be AES256"));
    }
    let key = base64_decode(key)
        .filter(|k| k.len() == 32)
        .ok_or_else(|| invalid("the SSE-C key must be the base64 of 32 bytes"))?;
    if base64_decode(key_md5).as_deref() != Some(&md5(&key)[..]) {
        return Err(invalid("the SSE-C key MD5 does not match the key"));
    }
    Ok(Some(key_md5.to_string()))
}

/// Checks the encryption headers of a write (PutObject, CreateMultipartUpload, UploadPart).
pub fn check_write(h: &HeaderMap) -> Result<(), TosError> {
    let sse = header(h, SSE);
    if let Some(sse) = sse {
        if sse != "AES256" && sse != "kms" {
            return Err(invalid(
                "x-tos-server-side-encryption must be AES256 or kms",
            ));
        }
    }
    if customer_key_md5(h)?.is_some() && sse.is_some() {
        return Err(invalid(
            "SSE-C and server-managed encryption exclude each other",
        ));
    }
    Ok(())
}

/// The encryption headers a write is answered with, from the attributes it stored.
pub fn echo(mut b: Builder, attrs: &[(String, String)]) -> Builder {
    for (name, value) in attrs {
        if [SSE, SSE_KMS_KEY, SSEC_ALGORITHM, SSEC_KEY_MD5].contains(&name.as_str()) {
            b = b.header(name.as_str(), value.as_str());
        }
    }
    b
}

/// A GET or HEAD of an SSE-C object must present the key it was stored with; a request with
/// SSE-C headers for an object stored without them is refused too.
pub fn check_read(h: &HeaderMap, meta: &ObjectMeta) -> Result<(), TosError> {
    let stored = meta
        .attrs
        .iter()
        .find(|(k, _)| k == SSEC_KEY_MD5)
        .map(|(_, v)| v.as_str());
    match (stored, customer_key_md5(h)?) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(TosError::new(
            400,
            "InvalidRequest",
            "The object was stored using a form of server-side encryption with a customer key: \
             the same key must be given to read it.",
        )),
        (None, Some(_)) => Err(TosError::new(
            400,
            "InvalidRequest",
            "The encryption parameters are not applicable to this object.",
        )),
        (Some(want), Some(given)) if want == given => Ok(()),
        (Some(_), Some(_)) => Err(TosError::new(
            403,
            "AccessDenied",
            "The customer key given does not match the one the object was stored with.",
        )),
    }
}
