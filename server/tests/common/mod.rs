//! Test harness: starts the built server binary and speaks raw, signed HTTP/1.1
//! to it. The signer is a second, test-local implementation on purpose.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod presign;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const AK: &str = "AKTEST";
pub const SK: &str = "SKTEST";
pub const REGION: &str = "cn-beijing";
pub const BUCKET: &str = "test-bucket";

/// Credential variables set to keys the server does not know, in every server's environment.
pub const FOREIGN_CREDENTIALS: &[(&str, &str)] = &[
    ("TOS_ACCESS_KEY", "AKFOREIGN"),
    ("TOS_SECRET_KEY", "SKFOREIGN"),
    ("TOS_SECURITY_TOKEN", "TOKENFOREIGN"),
    ("AWS_ACCESS_KEY_ID", "AKFOREIGN"),
    ("AWS_SECRET_ACCESS_KEY", "SKFOREIGN"),
    ("AWS_SESSION_TOKEN", "TOKENFOREIGN"),
];

pub struct Server {
    child: Child,
    pub port: u16,
    pub data_dir: PathBuf,
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!("tls-test-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        Self::start_in(temp_dir("data"), extra)
    }

    pub fn start_in(data_dir: PathBuf, extra: &[&str]) -> Server {
        Self::launch(data_dir, &["--access-key", AK, "--secret-key", SK], extra)
    }

    /// Without `--access-key`/`--secret-key`: the server's built-in test keys.
    pub fn start_with_default_keys(extra: &[&str]) -> Server {
        Self::launch(temp_dir("data"), &[], extra)
    }

    fn launch(data_dir: PathBuf, keys: &[&str], extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec![
            "--port".into(),
            "0".into(),
            "--bucket".into(),
            BUCKET.into(),
        ];
        args.extend(keys.iter().map(|s| s.to_string()));
        if !extra.contains(&"--discard") {
            args.push("--data-dir".into());
            args.push(data_dir.to_string_lossy().into_owned());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_tos-local-server"))
            .args(&args)
            // A user's own credentials, as every TOS and S3 user has them exported: the
            // server must take its keys from its flags alone.
            .envs(FOREIGN_CREDENTIALS.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("LISTENING 127.0.0.1:")
            .unwrap_or_else(|| panic!("bad ready line {line:?}"))
            .parse()
            .unwrap();
        Server {
            child,
            port,
            data_dir,
        }
    }

    /// Stops the server without cleaning its data directory.
    pub fn stop(mut self) -> PathBuf {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::take(&mut self.data_dir)
    }

    pub fn client(&self) -> Client {
        Client {
            port: self.port,
            host: format!("{BUCKET}.tos-cn-beijing.volces.com"),
            path_prefix: String::new(),
            ak: AK.into(),
            sk: SK.into(),
            date_offset_secs: 0,
        }
    }

    /// Path-style addressing: IP host, bucket in the path.
    pub fn path_client(&self) -> Client {
        Client {
            host: format!("127.0.0.1:{}", self.port),
            path_prefix: format!("/{BUCKET}"),
            ..self.client()
        }
    }

    pub fn admin(&self, method: &str, path: &str, body: &str) -> Resp {
        let req = format!(
            "{method} /__admin/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        raw(self.port, req.as_bytes()).unwrap()
    }

    pub fn admin_json(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let r = self.admin(method, path, body);
        assert_eq!(r.status, 200, "{}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }

    pub fn log(&self) -> Vec<serde_json::Value> {
        self.admin_json("GET", "log", "")
            .as_array()
            .unwrap()
            .clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or_default().to_string()
    }
    pub fn crc(&self) -> u64 {
        self.header("x-tos-hash-crc64ecma")
            .expect("crc header")
            .parse()
            .unwrap()
    }
    pub fn etag(&self) -> String {
        self.header("etag").expect("etag header").to_string()
    }
}

/// Sends bytes on a fresh connection and reads until the server closes it.
pub fn raw(port: u16, bytes: &[u8]) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(bytes)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    parse_response(&buf)
}

pub fn parse_response(mut buf: &[u8]) -> std::io::Result<Resp> {
    // Skip interim `100 Continue` responses.
    while buf.starts_with(b"HTTP/1.1 1") {
        match buf.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(end) => buf = &buf[end + 4..],
            None => break,
        }
    }
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no response head"))?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        body = dechunk(&body);
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..nl]).trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + n]);
        b = &b[nl + 4 + n..];
    }
}

pub fn crc64(data: &[u8]) -> u64 {
    tos_crc64::checksum(data)
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    hex(&md5::Md5::digest(data))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Deterministic filler so failures are reproducible.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

fn strict_encode(bytes: &[u8], keep_slash: bool) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Encodes like the Go SDK puts keys on the wire: looser than the canonical form.
pub fn wire_key(key: &str) -> String {
    key.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/+&=".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn tos_date(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .expect("a signing time within the years jiff knows")
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

pub struct Client {
    pub port: u16,
    pub host: String,
    pub path_prefix: String,
    pub ak: String,
    pub sk: String,
    pub date_offset_secs: i64,
}

pub struct Req<'a> {
    pub method: &'a str,
    /// Already wire-encoded key path, starting with `/`.
    pub path: String,
    pub query: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: &'a [u8],
}

impl Client {
    pub fn signed_head(&self, r: &Req) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let date = tos_date(now + self.date_offset_secs);
        let path = format!("{}{}", self.path_prefix, r.path);
        let mut headers: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        headers.push(("host".into(), self.host.clone()));
        headers.push(("x-tos-date".into(), date.clone()));
        let mut signed: Vec<(String, String)> = headers
            .iter()
            .filter(|(k, _)| k == "host" || k == "content-type" || k.starts_with("x-tos-"))
            .cloned()
            .collect();
        signed.sort();
        let decoded: Vec<u8> = percent_encoding::percent_decode_str(&path).collect();
        let mut q: Vec<(String, String)> = r
            .query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                // Query strings are form-encoded: `+` is a space.
                let dec = |s: &str| -> Vec<u8> {
                    percent_encoding::percent_decode_str(&s.replace('+', " ")).collect()
                };
                (strict_encode(&dec(k), false), strict_encode(&dec(v), false))
            })
            .collect();
        q.sort();
        let payload = headers
            .iter()
            .find(|(k, _)| k == "x-tos-content-sha256")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| hex(&Sha256::digest(b"")));
        let creq = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            r.method,
            strict_encode(&decoded, true),
            q.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
            signed
                .iter()
                .map(|(k, v)| format!("{k}:{}\n", v.trim()))
                .collect::<String>(),
            signed
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            payload
        );
        let scope = format!("{}/{REGION}/tos/request", &date[..8]);
        let sts = format!(
            "TOS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            hex(&Sha256::digest(creq.as_bytes()))
        );
        let mut key = hmac(self.sk.as_bytes(), &date.as_bytes()[..8]);
        for part in [REGION, "tos", "request"] {
            key = hmac(&key, part.as_bytes());
        }
        let sig = hex(&hmac(&key, sts.as_bytes()));
        let auth = format!(
            "TOS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={sig}",
            self.ak,
            signed
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(";")
        );
        let target = if r.query.is_empty() {
            path
        } else {
            format!("{path}?{}", r.query)
        };
        let mut head = format!(
            "{} {target} HTTP/1.1\r\nAuthorization: {auth}\r\nConnection: close\r\n",
            r.method
        );
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head
    }

    pub fn send(&self, r: Req) -> std::io::Result<Resp> {
        let mut bytes = self.signed_head(&r).into_bytes();
        bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n", r.body.len()).as_bytes());
        bytes.extend_from_slice(r.body);
        raw(self.port, &bytes)
    }

    pub fn call(
        &self,
        method: &str,
        key: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        self.send(Req {
            method,
            path: format!("/{}", wire_key(key)),
            query,
            headers: headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            body,
        })
        .expect("request")
    }

    pub fn create(&self, key: &str, headers: &[(&str, &str)]) -> String {
        let r = self.call("POST", key, "uploads=", headers, b"");
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["UploadId"].as_str().unwrap().to_string()
    }

    pub fn part(&self, key: &str, id: &str, n: u32, data: &[u8]) -> Resp {
        self.call(
            "PUT",
            key,
            &format!("partNumber={n}&uploadId={id}"),
            &[],
            data,
        )
    }

    pub fn complete(&self, key: &str, id: &str, parts: &[(u32, &str)]) -> Resp {
        let list: Vec<serde_json::Value> = parts
            .iter()
            .map(|(n, e)| serde_json::json!({"PartNumber": n, "ETag": e}))
            .collect();
        let body = serde_json::json!({ "Parts": list }).to_string();
        self.call("POST", key, &format!("uploadId={id}"), &[], body.as_bytes())
    }
}

/// What came back on a connection the server may cut: every byte received before the
/// end, and the error that ended it (`None` for an orderly close).
pub struct Cut {
    pub resp: Resp,
    pub error: Option<std::io::ErrorKind>,
}

impl Client {
    /// A signed request on a fresh connection, read until the server closes or resets it.
    pub fn send_until_cut(&self, method: &str, key: &str, headers: &[(&str, &str)]) -> Cut {
        let head = self.signed_head(&Req {
            method,
            path: format!("/{}", wire_key(key)),
            query: "",
            headers: headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            body: b"",
        });
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(format!("{head}Content-Length: 0\r\n\r\n").as_bytes())
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        let error = loop {
            match s.read(&mut chunk) {
                Ok(0) => break None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => break Some(e.kind()),
            }
        };
        Cut {
            resp: parse_response(&buf).expect("a response head"),
            error,
        }
    }
}
