//! A real tos-local-server on loopback for each test, plus the few client calls the tests
//! need to check outcomes (server log, faults, reading objects back).
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;
use tosupload_engine::ClientConfig;

pub const BUCKET: &str = "test-bucket";
pub const MIB: u64 = 1024 * 1024;
/// How soon a cancelled call must return in a test. The product's target is 200 ms, and the
/// benchmark measures it (bench/README.md, the pause/abort p99 target); a test on a loaded,
/// shared machine asserts only a bound that no working cancel comes near, so it fails on a
/// cancel that waits for parts to finish (seconds, with the stalls these tests inject) and
/// never on a busy scheduler.
pub const CANCEL_RETURNS_WITHIN: Duration = Duration::from_secs(2);

static BUILD_SERVER: Once = Once::new();

fn server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TOS_LOCAL_SERVER_BIN") {
        return PathBuf::from(path);
    }
    // The engine crate sits one level below the workspace, whose target directory we use.
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    BUILD_SERVER.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "tos-local-server"])
            .current_dir(top)
            .status()
            .expect("run cargo to build the local server");
        assert!(status.success(), "building tos-local-server failed");
    });
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| top.join("target"));
    target.join("debug").join("tos-local-server")
}

pub struct TestServer {
    child: Child,
    pub endpoint: String,
    pub admin: String,
    _data_dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    pub fn start_with(extra_args: &[&str]) -> TestServer {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(server_binary());
        command.args(["--port", "0", "--bucket", BUCKET]);
        // A discarding server (which the S3 front end needs) refuses a data directory.
        if !extra_args.contains(&"--discard") {
            command.arg("--data-dir").arg(data_dir.path());
        }
        let mut child = command
            .args(extra_args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start tos-local-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("unexpected server banner {line:?}"))
            .to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let tls = extra_args.contains(&"--tls-self-signed");
        let http = {
            let _guard = runtime.enter();
            // The tests' own calls (admin, read-back) trust the server's made-up certificate.
            reqwest::Client::builder()
                .tls_danger_accept_invalid_certs(tls)
                .build()
                .unwrap()
        };
        let scheme = if tls { "https" } else { "http" };
        TestServer {
            child,
            endpoint: format!("{scheme}://{address}"),
            admin: format!("{scheme}://{address}/__admin"),
            _data_dir: data_dir,
            runtime,
            http,
        }
    }

    pub fn config(&self) -> ClientConfig {
        ClientConfig {
            endpoint: self.endpoint.clone(),
            region: "cn-beijing".into(),
            access_key: "AKTEST".into(),
            secret_key: "SKTEST".into(),
            ..ClientConfig::new()
        }
    }

    /// Any admin endpoint (`link`, `stats`, ...): its JSON reply, which must be a success.
    pub fn admin_json(&self, method: reqwest::Method, path: &str, body: &str) -> Value {
        self.runtime.block_on(async {
            let response = self
                .http
                .request(method, format!("{}/{path}", self.admin))
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "admin {path} refused");
            serde_json::from_str(&response.text().await.unwrap()).unwrap()
        })
    }

    /// Adds a fault rule (JSON text) through the admin API.
    pub fn clear_faults(&self) {
        self.runtime.block_on(async {
            let response = self
                .http
                .delete(format!("{}/faults", self.admin))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        })
    }

    pub fn add_fault(&self, rule: &str) {
        let response = self.runtime.block_on(async {
            self.http
                .post(format!("{}/faults", self.admin))
                .body(rule.to_string())
                .send()
                .await
                .unwrap()
        });
        assert!(response.status().is_success(), "fault rule refused: {rule}");
    }

    /// The server's request log, oldest first.
    pub fn log(&self) -> Vec<Value> {
        self.runtime.block_on(async {
            let text = self
                .http
                .get(format!("{}/log", self.admin))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            serde_json::from_str(&text).unwrap()
        })
    }

    /// Log entries of one operation (e.g. "UploadPart") with a given status.
    pub fn log_of(&self, op: &str, status: u64) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|e| e["op"] == op && e["status"] == status)
            .collect()
    }

    /// Part numbers of successful UploadPart requests, in log order.
    pub fn parts_uploaded(&self) -> Vec<u64> {
        self.parts_uploaded_since(0)
    }

    /// Like `parts_uploaded`, for log entries after `seq`, sorted.
    pub fn parts_uploaded_since(&self, seq: u64) -> Vec<u64> {
        let mut parts: Vec<u64> = self
            .log_of("UploadPart", 200)
            .iter()
            .filter(|e| e["seq"].as_u64().unwrap() > seq)
            .map(|e| e["part_number"].as_u64().unwrap())
            .collect();
        parts.sort();
        parts
    }

    /// The sequence number of the newest log entry (0 when empty), once the log has been
    /// quiet for 150 ms: a request cut off by the client is logged when the server notices.
    pub fn last_seq(&self) -> u64 {
        let newest = || self.log().last().map_or(0, |e| e["seq"].as_u64().unwrap());
        let mut seen = newest();
        loop {
            std::thread::sleep(Duration::from_millis(150));
            let now = newest();
            if now == seen {
                return now;
            }
            seen = now;
        }
    }

    /// An object read through the server's unsigned admin API: the status, the headers
    /// (with the stored attributes) and the bytes.
    fn admin_object(&self, key: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        self.runtime.block_on(async {
            let response = self
                .http
                .get(format!(
                    "{}/object?bucket={BUCKET}&key={}",
                    self.admin,
                    percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)
                ))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            (status, headers, response.bytes().await.unwrap().to_vec())
        })
    }

    /// Reads an object back; panics unless the server has it.
    pub fn get_object(&self, key: &str) -> Vec<u8> {
        let (status, _, body) = self.admin_object(key);
        assert_eq!(status, 200, "GET {key}");
        body
    }

    /// The object's headers, or None when the object does not exist.
    pub fn head_object(&self, key: &str) -> Option<reqwest::header::HeaderMap> {
        let (status, headers, _) = self.admin_object(key);
        (status == 200).then_some(headers)
    }

    /// HeadObject through the S3 front end (`--s3`), asking for the stored checksums as S3
    /// clients do (`x-amz-checksum-mode: ENABLED`): the status and the headers.
    pub fn s3_head(&self, key: &str) -> (u16, reqwest::header::HeaderMap) {
        self.runtime.block_on(async {
            let response = self
                .http
                .head(format!("{}/{BUCKET}/{key}", self.endpoint))
                .header("x-amz-checksum-mode", "ENABLED")
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.headers().clone())
        })
    }

    /// Upload ids the server still holds for the test bucket.
    pub fn open_uploads(&self) -> Vec<String> {
        self.runtime.block_on(async {
            let response = self
                .http
                .get(format!("{}/uploads?bucket={BUCKET}", self.admin))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deterministic, incompressible-looking content.
pub fn pattern(len: u64, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

pub fn write_file(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    condition()
}
