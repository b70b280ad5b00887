//! Short-lived credentials and a clock of the server's own, for testing clients against
//! what production stores do: STS tokens that expire mid-upload (`--sts-token-lifetime-s`,
//! minted by `POST /__admin/sts`) and a server clock that is off (`--clock-skew-s`). Requests
//! signed with an expired token get 403 `ExpiredToken`, and requests whose signed time is
//! more than 15 minutes off the server's clock 403 `RequestTimeTooSkewed`
//! (docs/protocol.md §8.1 item 7, §8.4).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use hyper::HeaderMap;
use serde::Serialize;

use crate::config::Config;
use crate::errors::TosError;
use crate::sign::{AuthError, MAX_SKEW_SECS};
use crate::util::{now_ms, parse_tos_date, unique_id};

/// A minted triple, as the admin endpoint hands it out.
#[derive(Clone, Serialize)]
pub struct Minted {
    pub access_key: String,
    pub secret_key: String,
    pub security_token: String,
    /// On the server's clock (`--clock-skew-s` included).
    pub expires_at_unix_ms: u64,
}

#[derive(Default)]
pub struct Sts {
    by_key: Mutex<HashMap<String, Minted>>,
    count: AtomicU64,
}

/// The server's clock in milliseconds since the epoch: this machine's plus `--clock-skew-s`.
pub fn server_now_ms(cfg: &Config) -> u64 {
    (now_ms() as i64)
        .saturating_add(cfg.clock_skew_s.saturating_mul(1000))
        .max(0) as u64
}

impl Sts {
    /// A new triple valid for `--sts-token-lifetime-s` from now; `None` without that flag.
    pub fn mint(&self, cfg: &Config) -> Option<Minted> {
        let lifetime_ms = cfg.sts_token_lifetime_ms?;
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let minted = Minted {
            access_key: format!("AKSTS{n:04}"),
            secret_key: format!("SKSTS-{}", unique_id()),
            security_token: format!("STS{n:04}-{}", unique_id()),
            expires_at_unix_ms: server_now_ms(cfg) + lifetime_ms,
        };
        let mut by_key = self.by_key.lock().unwrap();
        by_key.insert(minted.access_key.clone(), minted.clone());
        Some(minted)
    }

    /// The secret key that signs a request made with `access_key`: the flags' pair, or a
    /// minted one whose token came with the request and has not expired.
    pub fn secret_for(
        &self,
        cfg: &Config,
        access_key: &str,
        token: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        if access_key == cfg.access_key {
            return Ok(Some(cfg.secret_key.clone()));
        }
        let by_key = self.by_key.lock().unwrap();
        let Some(minted) = by_key.get(access_key) else {
            return Ok(None);
        };
        if token != Some(minted.security_token.as_str()) {
            return Err(AuthError::Refused("InvalidToken"));
        }
        if expired(cfg, minted) {
            return Err(AuthError::Refused("ExpiredToken"));
        }
        Ok(Some(minted.secret_key.clone()))
    }

    /// The S3 front end verifies no signature (s3.rs), but an expired token is refused.
    pub fn check_token(&self, cfg: &Config, token: Option<&str>) -> Result<(), TosError> {
        let Some(token) = token else {
            return Ok(());
        };
        let by_key = self.by_key.lock().unwrap();
        match by_key.values().find(|m| m.security_token == token) {
            Some(minted) if expired(cfg, minted) => Err(refusal("ExpiredToken")),
            _ => Ok(()),
        }
    }
}

fn expired(cfg: &Config, minted: &Minted) -> bool {
    server_now_ms(cfg) >= minted.expires_at_unix_ms
}

/// The answer to a request refused for its token.
pub fn refusal(code: &str) -> TosError {
    let message = match code {
        "ExpiredToken" => "The provided token has expired.",
        _ => "The provided token is malformed or otherwise invalid.",
    };
    TosError::new(403, code, message)
}

/// The S3 front end's clock check on `x-amz-date` (the TOS front end's is in `sign::verify`).
pub fn check_s3_date(cfg: &Config, headers: &HeaderMap) -> Result<(), TosError> {
    let Some(date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let Some(signed) = parse_tos_date(date) else {
        return Ok(());
    };
    if (signed - (server_now_ms(cfg) / 1000) as i64).abs() > MAX_SKEW_SECS {
        return Err(skewed());
    }
    Ok(())
}

pub fn skewed() -> TosError {
    TosError::new(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the server's time is too large.",
    )
}

/// The access key of an `Authorization` header (either algorithm), for the request log.
pub fn access_key_of(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    Some(credential.split('/').next()?.to_string())
}

/// Every answer carries the server's clock in `Date`, as clients learn the offset from it.
pub fn set_date<B>(cfg: &Config, response: &mut hyper::Response<B>) {
    let date = crate::util::http_date(server_now_ms(cfg));
    if let Ok(value) = hyper::header::HeaderValue::from_str(&date) {
        response.headers_mut().insert(hyper::header::DATE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn config(args: &[&str]) -> Config {
        Config::from_args(args.iter().map(|s| s.to_string())).unwrap()
    }

    #[test]
    fn minted_credentials_expire_on_the_servers_clock() {
        let sts = Sts::default();
        assert!(
            sts.mint(&config(&["--discard"])).is_none(),
            "minting needs the flag"
        );
        let cfg = config(&["--discard", "--sts-token-lifetime-s", "0.2"]);
        let minted = sts.mint(&cfg).unwrap();
        let token = Some(minted.security_token.as_str());
        assert!(sts.secret_for(&cfg, &minted.access_key, token).is_ok());
        assert!(sts.check_token(&cfg, token).is_ok());
        assert_eq!(
            sts.secret_for(&cfg, &minted.access_key, Some("other")),
            Err(AuthError::Refused("InvalidToken"))
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert_eq!(
            sts.secret_for(&cfg, &minted.access_key, token),
            Err(AuthError::Refused("ExpiredToken"))
        );
        assert_eq!(
            sts.check_token(&cfg, token).unwrap_err().code,
            "ExpiredToken"
        );
        // The flags' keys never expire.
        assert_eq!(
            sts.secret_for(&cfg, &cfg.access_key, None).unwrap(),
            Some(cfg.secret_key.clone())
        );
    }

    #[test]
    fn the_s3_front_end_refuses_a_date_15_minutes_off_its_clock() {
        let cfg = config(&["--discard", "--s3", "--clock-skew-s", "3600"]);
        let mut headers = HeaderMap::new();
        let now = |offset_s: u64| {
            let at = (now_ms() / 1000 + offset_s) as i64;
            jiff::Timestamp::from_second(at)
                .unwrap()
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string()
        };
        headers.insert("x-amz-date", HeaderValue::from_str(&now(0)).unwrap());
        assert_eq!(
            check_s3_date(&cfg, &headers).unwrap_err().code,
            "RequestTimeTooSkewed"
        );
        headers.insert("x-amz-date", HeaderValue::from_str(&now(3600)).unwrap());
        assert!(check_s3_date(&cfg, &headers).is_ok());
    }
}
