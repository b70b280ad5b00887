//! Presigned URLs (query-string signatures), made here independently of the server's
//! verifier: every query parameter but the signature is signed, the payload as
//! `UNSIGNED-PAYLOAD`, and only `host` among the headers.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::{hex, hmac, raw, strict_encode, tos_date, wire_key, Client, Resp, REGION};

impl Client {
    /// The request target (path and query) of a presigned `method` on `key`, signed
    /// `age_secs` ago and valid for `expires` seconds.
    pub fn presign(
        &self,
        method: &str,
        key: &str,
        query: &str,
        expires: i64,
        age_secs: i64,
    ) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let date = tos_date(now - age_secs);
        let scope = format!("{}/{REGION}/tos/request", &date[..8]);
        let mut params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        for (k, v) in [
            ("X-Tos-Algorithm", "TOS4-HMAC-SHA256".to_string()),
            ("X-Tos-Credential", format!("{}/{scope}", self.ak)),
            ("X-Tos-Date", date.clone()),
            ("X-Tos-Expires", expires.to_string()),
            ("X-Tos-SignedHeaders", "host".to_string()),
        ] {
            params.push((k.to_string(), strict_encode(v.as_bytes(), false)));
        }
        let mut canonical: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        canonical.sort();
        let path = format!("{}/{}", self.path_prefix, wire_key(key));
        let decoded: Vec<u8> = percent_encoding::percent_decode_str(&path).collect();
        let creq = format!(
            "{method}\n{}\n{}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD",
            strict_encode(&decoded, true),
            canonical.join("&"),
            self.host
        );
        let sts = format!(
            "TOS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            hex(&Sha256::digest(creq.as_bytes()))
        );
        let mut signing = hmac(self.sk.as_bytes(), &date.as_bytes()[..8]);
        for part in [REGION, "tos", "request"] {
            signing = hmac(&signing, part.as_bytes());
        }
        let sig = hex(&hmac(&signing, sts.as_bytes()));
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{path}?{}&X-Tos-Signature={sig}", query.join("&"))
    }

    /// Sends `target` with no `Authorization` header, as a browser or curl would.
    pub fn send_unsigned(&self, method: &str, target: &str, body: &[u8]) -> Resp {
        let mut bytes = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        raw(self.port, &bytes).expect("request")
    }
}
