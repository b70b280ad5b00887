//! Credentials out of server-provided text. Some servers echo what they signed when a
//! signature does not match (AWS's `SignatureDoesNotMatch` carries the canonical request and
//! the string to sign, the local server puts the canonical request in its message), and the
//! canonical request holds the session token header; a proxy's page may quote the request. So
//! every string taken from an answer is cleaned of the request's secrets before it reaches an
//! error, and so the log callback, which only ever sees errors' text.
//!
//! Redacted: the secret key, the session token, the request's signature and an SSE-C key,
//! as sent and percent-encoded. The access key is not: it is an identifier, not a secret
//! (AWS returns it in `AWSAccessKeyId`), and support needs it to find the request.

use super::protocol::SignedRequest;
use crate::error::UploadError;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

const REDACTED: &str = "<redacted>";
/// Shorter values are not searched for: no real credential is this short, and replacing a
/// few common letters everywhere would garble the message.
const SHORTEST: usize = 8;

pub(crate) struct Secrets(Vec<String>);

impl Secrets {
    /// The client's secrets, and those the signed request carries in its headers.
    pub(crate) fn of_request(client: [&str; 2], signed: &SignedRequest) -> Secrets {
        let mut values: Vec<String> = client.iter().map(|s| s.to_string()).collect();
        for (name, value) in &signed.headers {
            let name = name.to_ascii_lowercase();
            if name == "authorization" {
                let signature = value.rsplit("Signature=").next().unwrap_or("");
                values.push(signature.trim().to_string());
            } else if name.ends_with("security-token")
                || (name.ends_with("customer-key") && !name.ends_with("-md5"))
            {
                values.push(value.clone());
            }
        }
        let encoded: Vec<String> = values
            .iter()
            .map(|v| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string())
            .collect();
        values.extend(encoded);
        values.retain(|v| v.len() >= SHORTEST);
        // Longest first, so a value containing another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Secrets(values)
    }

    /// `text` without the secrets; text that is cut short afterwards must be cleaned before,
    /// or a secret's first characters would survive the cut.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut text = text.to_string();
        self.clean(&mut text);
        text
    }

    fn clean(&self, text: &mut String) {
        for secret in &self.0 {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), REDACTED);
            }
        }
    }

    /// The error with every text that may come from the answer cleaned.
    pub(crate) fn error(&self, mut error: UploadError) -> UploadError {
        self.clean(&mut error.message);
        if let Some(cause) = error.cause.as_mut() {
            self.clean(cause);
        }
        if let Some(server) = error.server.as_mut() {
            for field in [
                &mut server.code,
                &mut server.message,
                &mut server.request_id,
                &mut server.host_id,
                &mut server.ec,
            ] {
                self.clean(field);
            }
        }
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServerErrorDetail;

    #[test]
    fn every_secret_of_the_request_is_replaced_wherever_it_appears() {
        let signed = SignedRequest {
            url: "http://h/b/k".into(),
            headers: vec![
                (
                    "Authorization".into(),
                    "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=0123456789abcdef".into(),
                ),
                ("x-amz-security-token".into(), "TOKEN+with/slash=".into()),
                ("x-amz-server-side-encryption-customer-key".into(), "c3NlLWMta2V5LWJ5dGVz".into()),
            ],
        };
        let secrets = Secrets::of_request(["SECRETKEY123", "TOKEN+with/slash="], &signed);
        let echoed =
            "x-amz-security-token:TOKEN+with/slash=\nsig 0123456789abcdef key SECRETKEY123 \
                      query TOKEN%2Bwith%2Fslash%3D sse c3NlLWMta2V5LWJ5dGVz AKID";
        let error = UploadError::server(
            ServerErrorDetail {
                status: 403,
                code: "SignatureDoesNotMatch".into(),
                message: echoed.into(),
                ..ServerErrorDetail::default()
            },
            "PutObject",
        );
        let clean = secrets.error(error.with_cause(echoed));
        for text in [
            &clean.message,
            &clean.server.as_ref().unwrap().message,
            clean.cause.as_ref().unwrap(),
        ] {
            for secret in [
                "TOKEN",
                "0123456789abcdef",
                "SECRETKEY123",
                "c3NlLWMta2V5LWJ5dGVz",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
            assert!(text.contains("AKID"), "the access key stays: {text}");
            assert_eq!(text.matches(REDACTED).count(), 5, "{text}");
        }
    }
}
