//! Command-line parsing. Hand-rolled to keep the dependency set small.

use std::path::PathBuf;

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
    /// The data dir was made up by us, so nobody can reuse it: remove it on exit.
    pub owns_data_dir: bool,
}

pub const USAGE: &str = "usage: tos-local-server [--port N] [--data-dir DIR | --discard] \
[--bucket NAME]... [--access-key AK] [--secret-key SK] [--region R] \
[--custom-domain BUCKET] [--faults FILE] [--tls-self-signed]";

impl Config {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let mut port = 0u16;
        let mut data_dir = None;
        let mut discard = false;
        let mut buckets = Vec::new();
        let mut access_key = std::env::var("TOS_ACCESS_KEY").ok();
        let mut secret_key = std::env::var("TOS_SECRET_KEY").ok();
        let mut region = "cn-beijing".to_string();
        let mut custom_domain = None;
        let mut faults_file = None;
        let mut tls_self_signed = false;
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = || -> Result<String, String> {
                inline
                    .clone()
                    .or_else(|| it.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--port" => port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
                "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
                "--discard" => discard = true,
                "--bucket" => buckets.push(value()?),
                "--access-key" => access_key = Some(value()?),
                "--secret-key" => secret_key = Some(value()?),
                "--region" => region = value()?,
                "--custom-domain" => custom_domain = Some(value()?),
                "--faults" => faults_file = Some(PathBuf::from(value()?)),
                "--tls-self-signed" => tls_self_signed = true,
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unknown argument {other}\n{USAGE}")),
            }
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
            owns_data_dir,
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
            "a",
            "--bucket=b",
            "--region",
            "r",
        ])
        .unwrap();
        assert!(matches!(c.storage, StorageMode::Discard));
        assert_eq!(c.buckets, ["a", "b"]);
        assert_eq!(c.region, "r");
        assert!(parse(&["--discard", "--data-dir", "x"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
