//! Command-line parsing, on `lexopt`: it handles `--flag value`, `--flag=value` and
//! non-UTF-8 input correctly while leaving the messages (and so the exit codes the
//! tests and scripts rely on) in our hands.

use std::ffi::OsString;
use std::path::PathBuf;

use lexopt::{Arg, Parser};

#[derive(Debug, Clone)]
pub enum StorageMode {
    Disk(PathBuf),
    Discard,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub storage: StorageMode,
    pub buckets: Vec<String>,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub custom_domain: Option<String>,
    pub faults_file: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate made at start.
    pub tls_self_signed: bool,
    /// Where to write the self-signed certificate (PEM), for clients to trust.
    pub tls_cert_out: Option<PathBuf>,
    /// PEM CAs a client certificate must be signed by (mutual TLS).
    pub tls_client_ca: Option<PathBuf>,
    /// The data dir was made up by us, so nobody can reuse it: remove it on exit.
    pub owns_data_dir: bool,
    /// Speak path-style S3 instead of TOS (discard mode only, see s3.rs).
    pub s3: bool,
    /// The emulated WAN link (all off by default).
    pub link: crate::link::LinkSettings,
    /// In discard mode, ETags are MD5s of the bytes as in disk mode (slower), so a client can
    /// check what it finds on the server against its file.
    pub md5_etags: bool,
    /// `--s3`: answer 501 NotImplemented to aws-chunked bodies (trailers), as Cloudflare R2 does.
    pub reject_trailers: bool,
    /// `--s3`: refuse `x-amz-checksum-algorithm` at CreateMultipartUpload (400
    /// `InvalidRequest`), as a store without full-object checksums may.
    pub refuse_checksum_algorithm: bool,
    /// `--s3`: Complete's whole-object CRC-64/NVME is wrong: in its reply only, or in the
    /// object too (HEAD then gives the same wrong value), as a faulty store's would be.
    pub wrong_full_object_checksum: Option<WrongChecksum>,
    /// The server's clock is this many seconds ahead of this machine's (negative: behind).
    pub clock_skew_s: i64,
    /// Minted STS credentials live this long (`POST /__admin/sts`); `None`: none are minted.
    pub sts_token_lifetime_ms: Option<u64>,
    /// Throttling: in-flight and per-second caps (docs/throttling.md).
    pub throttle: crate::throttle::ThrottleSettings,
}

/// Where `--wrong-full-object-checksum` puts the wrong value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongChecksum {
    Reply,
    Object,
}

pub const USAGE: &str = "usage: tos-local-server [--port N] [--data-dir DIR | --discard] \
[--bucket NAME]... [--access-key AK] [--secret-key SK] [--region R] \
[--custom-domain BUCKET] [--faults FILE] \
[--tls-self-signed [--tls-cert-out FILE] [--tls-client-ca FILE]] [--s3 --discard] \
[--discard --md5-etags] [--s3 --reject-trailers] [--s3 --refuse-checksum-algorithm] \
[--s3 --wrong-full-object-checksum reply|object] [--clock-skew-s N] [--sts-token-lifetime-s SECONDS] \
[--link-rtt-ms MS] [--link-window SIZE] [--link-conn-rate RATE] [--link-total-rate RATE] \
[--max-in-flight N] [--max-qps N] [--throttle-retry-after-s S]
  RATE: bytes per second, or with a unit: 200Mbit, 2Gbit/s, 25MB/s, 25MiB/s; SIZE: 4MiB, 64K";

fn value(p: &mut Parser, flag: &str) -> Result<OsString, String> {
    p.value().map_err(|_| format!("{flag} needs a value"))
}

fn string(p: &mut Parser, flag: &str) -> Result<String, String> {
    value(p, flag)?
        .into_string()
        .map_err(|v| format!("{flag}: not valid UTF-8: {}", v.to_string_lossy()))
}

/// A value glued to a switch (`--discard=yes`) is refused rather than ignored, so
/// `--discard=false` cannot silently mean the opposite of what it says.
fn parse_error(e: lexopt::Error) -> String {
    match e {
        lexopt::Error::UnexpectedValue { option, .. } => {
            format!("{option} takes no value\n{USAGE}")
        }
        other => format!("{other}\n{USAGE}"),
    }
}

impl Config {
    pub fn from_args<I>(args: I) -> Result<Config, String>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        let mut port = 0u16;
        let mut data_dir = None;
        let mut discard = false;
        let mut buckets = Vec::new();
        // Never from the environment: a TOS user has their real keys in TOS_ACCESS_KEY and
        // TOS_SECRET_KEY, while the clients of a local server are handed the test keys.
        let mut access_key = None;
        let mut secret_key = None;
        let mut region = "cn-beijing".to_string();
        let mut custom_domain = None;
        let mut faults_file = None;
        let mut tls_self_signed = false;
        let mut tls_cert_out = None;
        let mut tls_client_ca = None;
        let mut s3 = false;
        let mut md5_etags = false;
        let mut reject_trailers = false;
        let mut refuse_checksum_algorithm = false;
        let mut wrong_full_object_checksum = None;
        let mut clock_skew_s = 0i64;
        let mut sts_token_lifetime_ms = None;
        let mut link = crate::link::LinkSettings::default();
        let mut throttle = crate::throttle::ThrottleSettings::default();
        let mut p = Parser::from_args(args);
        while let Some(arg) = p.next().map_err(parse_error)? {
            match arg {
                Arg::Long("port") => {
                    port = string(&mut p, "--port")?
                        .parse()
                        .map_err(|e| format!("--port: {e}"))?
                }
                Arg::Long("data-dir") => {
                    data_dir = Some(PathBuf::from(value(&mut p, "--data-dir")?))
                }
                Arg::Long("discard") => discard = true,
                Arg::Long("bucket") => buckets.push(string(&mut p, "--bucket")?),
                Arg::Long("access-key") => access_key = Some(string(&mut p, "--access-key")?),
                Arg::Long("secret-key") => secret_key = Some(string(&mut p, "--secret-key")?),
                Arg::Long("region") => region = string(&mut p, "--region")?,
                Arg::Long("custom-domain") => {
                    custom_domain = Some(string(&mut p, "--custom-domain")?)
                }
                Arg::Long("faults") => {
                    faults_file = Some(PathBuf::from(value(&mut p, "--faults")?))
                }
                Arg::Long("tls-self-signed") => tls_self_signed = true,
                Arg::Long("tls-cert-out") => {
                    tls_cert_out = Some(PathBuf::from(value(&mut p, "--tls-cert-out")?))
                }
                Arg::Long("tls-client-ca") => {
                    tls_client_ca = Some(PathBuf::from(value(&mut p, "--tls-client-ca")?))
                }
                Arg::Long("s3") => s3 = true,
                Arg::Long("md5-etags") => md5_etags = true,
                Arg::Long("reject-trailers") => reject_trailers = true,
                Arg::Long("refuse-checksum-algorithm") => refuse_checksum_algorithm = true,
                Arg::Long("wrong-full-object-checksum") => {
                    wrong_full_object_checksum = Some(
                        match string(&mut p, "--wrong-full-object-checksum")?.as_str() {
                            "reply" => WrongChecksum::Reply,
                            "object" => WrongChecksum::Object,
                            other => {
                                return Err(format!(
                                    "--wrong-full-object-checksum: {other:?} is not reply or object"
                                ))
                            }
                        },
                    )
                }
                Arg::Long("clock-skew-s") => {
                    clock_skew_s = string(&mut p, "--clock-skew-s")?
                        .parse()
                        .map_err(|e| format!("--clock-skew-s: {e}"))?
                }
                Arg::Long("sts-token-lifetime-s") => {
                    let secs: f64 = string(&mut p, "--sts-token-lifetime-s")?
                        .parse()
                        .map_err(|e| format!("--sts-token-lifetime-s: {e}"))?;
                    if !(secs > 0.0 && secs <= 86_400.0) {
                        return Err("--sts-token-lifetime-s: between 0 and 86400 seconds".into());
                    }
                    sts_token_lifetime_ms = Some((secs * 1000.0) as u64);
                }
                Arg::Long("link-rtt-ms") => {
                    link.rtt_ms = string(&mut p, "--link-rtt-ms")?
                        .parse()
                        .map_err(|e| format!("--link-rtt-ms: {e}"))?
                }
                Arg::Long("link-window") => {
                    link.window = crate::link::parse_size(&string(&mut p, "--link-window")?)
                        .map_err(|e| format!("--link-window: {e}"))?
                }
                Arg::Long("link-conn-rate") => {
                    link.conn_rate = crate::link::parse_rate(&string(&mut p, "--link-conn-rate")?)
                        .map_err(|e| format!("--link-conn-rate: {e}"))?
                }
                Arg::Long("link-total-rate") => {
                    link.total_rate = crate::link::parse_rate(&string(&mut p, "--link-total-rate")?)
                        .map_err(|e| format!("--link-total-rate: {e}"))?
                }
                Arg::Long("max-in-flight") => {
                    throttle.max_in_flight = string(&mut p, "--max-in-flight")?
                        .parse()
                        .map_err(|e| format!("--max-in-flight: {e}"))?
                }
                Arg::Long("max-qps") => {
                    throttle.max_qps = string(&mut p, "--max-qps")?
                        .parse()
                        .map_err(|e| format!("--max-qps: {e}"))?
                }
                Arg::Long("throttle-retry-after-s") => {
                    throttle.retry_after_s = Some(
                        string(&mut p, "--throttle-retry-after-s")?
                            .parse()
                            .map_err(|e| format!("--throttle-retry-after-s: {e}"))?,
                    )
                }
                Arg::Short('h') | Arg::Long("help") => return Err(USAGE.to_string()),
                Arg::Long(name) => return Err(format!("unknown argument --{name}\n{USAGE}")),
                Arg::Short(c) => return Err(format!("unknown argument -{c}\n{USAGE}")),
                Arg::Value(v) => {
                    return Err(format!("unknown argument {}\n{USAGE}", v.to_string_lossy()))
                }
            }
        }
        crate::link::check(&link).map_err(|e| format!("--link-*: {e}"))?;
        if s3 && !discard {
            return Err("--s3 needs --discard: the S3 front end keeps no data".into());
        }
        if (tls_cert_out.is_some() || tls_client_ca.is_some()) && !tls_self_signed {
            return Err("--tls-cert-out and --tls-client-ca need --tls-self-signed".into());
        }
        if reject_trailers && !s3 {
            return Err("--reject-trailers needs --s3: TOS has no trailers".into());
        }
        if (refuse_checksum_algorithm || wrong_full_object_checksum.is_some()) && !s3 {
            return Err(
                "--refuse-checksum-algorithm and --wrong-full-object-checksum need --s3".into(),
            );
        }
        if md5_etags && !discard {
            return Err("--md5-etags needs --discard: disk mode always makes MD5 ETags".into());
        }
        let owns_data_dir = data_dir.is_none() && !discard;
        let storage = match (data_dir, discard) {
            (Some(_), true) => return Err("--data-dir and --discard are exclusive".into()),
            (Some(dir), false) => StorageMode::Disk(dir),
            (None, true) => StorageMode::Discard,
            (None, false) => {
                let dir = std::env::temp_dir().join(format!(
                    "tos-local-server-{}-{}",
                    std::process::id(),
                    crate::util::now_ms()
                ));
                StorageMode::Disk(dir)
            }
        };
        for (flag, name) in buckets
            .iter()
            .map(|b| ("--bucket", b))
            .chain(custom_domain.iter().map(|b| ("--custom-domain", b)))
        {
            let dialect = match s3 {
                true => crate::names::Dialect::S3,
                false => crate::names::Dialect::Tos,
            };
            crate::names::check_bucket(name, dialect)
                .map_err(|e| format!("{flag} {name}: {}", e.message))?;
        }
        if let Some(b) = &custom_domain {
            if !buckets.contains(b) {
                buckets.push(b.clone());
            }
        }
        Ok(Config {
            port,
            storage,
            buckets,
            access_key: access_key.unwrap_or_else(|| "AKTEST".into()),
            secret_key: secret_key.unwrap_or_else(|| "SKTEST".into()),
            region,
            custom_domain,
            faults_file,
            tls_self_signed,
            tls_cert_out,
            tls_client_ca,
            owns_data_dir,
            s3,
            link,
            md5_etags,
            reject_trailers,
            refuse_checksum_algorithm,
            wrong_full_object_checksum,
            clock_skew_s,
            sts_token_lifetime_ms,
            throttle,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() {
        let c = parse(&[
            "--port",
            "0",
            "--discard",
            "--bucket",
            "aaa",
            "--bucket=bbb",
            "--region",
            "r",
        ])
        .unwrap();
        assert!(matches!(c.storage, StorageMode::Discard));
        assert_eq!(c.buckets, ["aaa", "bbb"]);
        assert_eq!(c.region, "r");
        assert!(parse(&["--discard", "--data-dir", "x"]).is_err());
        assert!(parse(&["--md5-etags"]).is_err());
        assert!(parse(&["--discard", "--md5-etags"]).unwrap().md5_etags);
        assert!(parse(&["--bogus"]).is_err());
        assert_eq!(
            (c.access_key.as_str(), c.secret_key.as_str()),
            ("AKTEST", "SKTEST")
        );
        let c = parse(&["--access-key", "AK2", "--secret-key=SK2"]).unwrap();
        assert_eq!(
            (c.access_key.as_str(), c.secret_key.as_str()),
            ("AK2", "SK2")
        );
    }

    #[test]
    fn values_and_messages() {
        let c = parse(&["--port=8080", "--data-dir", "d", "--faults=f.json"]).unwrap();
        assert_eq!(c.port, 8080);
        assert!(matches!(&c.storage, StorageMode::Disk(d) if d.as_os_str() == "d"));
        assert_eq!(
            c.faults_file.as_deref(),
            Some(std::path::Path::new("f.json"))
        );
        // A value that looks like a flag is still the value, as before.
        assert_eq!(
            parse(&["--region", "--discard"]).unwrap().region,
            "--discard"
        );
        let c = parse(&["--custom-domain", "cd-bucket", "--tls-self-signed"]).unwrap();
        assert_eq!(c.buckets, ["cd-bucket"]);
        assert!(c.tls_self_signed && c.owns_data_dir);
        let c = parse(&["--tls-self-signed", "--tls-cert-out", "c.pem"]).unwrap();
        assert_eq!(
            c.tls_cert_out.as_deref(),
            Some(std::path::Path::new("c.pem"))
        );
        assert!(parse(&["--tls-client-ca", "ca.pem"]).is_err());

        let err = |args: &[&str]| parse(args).unwrap_err();
        assert_eq!(err(&["--port"]), "--port needs a value");
        assert_eq!(err(&["--bucket"]), "--bucket needs a value");
        assert!(err(&["--port", "x"]).starts_with("--port: "));
        assert_eq!(err(&["--help"]), USAGE);
        assert_eq!(err(&["-h"]), USAGE);
        assert_eq!(
            err(&["--bogus=1"]),
            format!("unknown argument --bogus\n{USAGE}")
        );
        assert_eq!(err(&["-x"]), format!("unknown argument -x\n{USAGE}"));
        assert_eq!(err(&["stray"]), format!("unknown argument stray\n{USAGE}"));
        assert_eq!(
            err(&["--discard=no"]),
            format!("--discard takes no value\n{USAGE}")
        );
        assert!(err(&["--bucket", "Bad_Name"]).starts_with("--bucket Bad_Name: "));
        assert!(err(&["--custom-domain", "-cd"]).starts_with("--custom-domain -cd: "));
    }

    #[test]
    fn link_flags() {
        let c = parse(&[
            "--discard",
            "--link-rtt-ms",
            "40",
            "--link-conn-rate",
            "200Mbit",
            "--link-total-rate=2Gbit/s",
            "--link-window",
            "1MiB",
        ])
        .unwrap();
        assert_eq!(c.link.rtt_ms, 40);
        assert_eq!(c.link.conn_rate, 25_000_000);
        assert_eq!(c.link.total_rate, 250_000_000);
        assert_eq!(c.link.window, 1 << 20);
        assert!(parse(&["--link-conn-rate", "200Mb"])
            .unwrap_err()
            .starts_with("--link-conn-rate: "));
        assert!(parse(&["--link-rtt-ms", "99999"]).is_err());
    }

    #[test]
    fn throttle_flags() {
        let c = parse(&[
            "--max-in-flight",
            "8",
            "--max-qps=100",
            "--throttle-retry-after-s",
            "2",
        ])
        .unwrap();
        assert_eq!(c.throttle.max_in_flight, 8);
        assert_eq!(c.throttle.max_qps, 100);
        assert_eq!(c.throttle.retry_after_s, Some(2));
        assert!(parse(&["--max-qps", "-1"])
            .unwrap_err()
            .starts_with("--max-qps: "));
    }

    #[test]
    fn non_utf8_values() {
        use std::os::unix::ffi::OsStrExt;
        let dir = std::ffi::OsStr::from_bytes(b"data-\xff");
        let c = Config::from_args([OsString::from("--data-dir"), dir.to_os_string()]).unwrap();
        assert!(matches!(&c.storage, StorageMode::Disk(d) if d.as_os_str() == dir));
        let e = Config::from_args([OsString::from("--region"), dir.to_os_string()]).unwrap_err();
        assert!(e.starts_with("--region: not valid UTF-8"), "{e}");
    }
}
