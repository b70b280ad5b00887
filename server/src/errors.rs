//! TOS error responses: JSON body plus `x-tos-ec`, as SDKs parse them (§7.7).

use serde_json::json;

#[derive(Debug, Clone)]
pub struct TosError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
    /// Headers the error answer carries besides the usual ones (416's `Content-Range`).
    pub headers: Vec<(&'static str, String)>,
}

impl TosError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> TosError {
        TosError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> TosError {
        self.headers.push((name, value.into()));
        self
    }

    /// 416 for a range outside an object of `size` bytes.
    pub fn invalid_range(size: u64) -> TosError {
        Self::new(
            416,
            "InvalidRange",
            "The requested range is not satisfiable",
        )
        .with_header("content-range", format!("bytes */{size}"))
    }

    pub fn precondition_failed() -> TosError {
        Self::new(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
    }

    pub fn no_such_upload() -> TosError {
        Self::new(
            404,
            "NoSuchUpload",
            "The specified multipart upload does not exist.",
        )
    }
    pub fn no_such_key() -> TosError {
        Self::new(404, "NoSuchKey", "The specified key does not exist.")
    }
    pub fn no_such_bucket() -> TosError {
        Self::new(404, "NoSuchBucket", "The specified bucket does not exist.")
    }
    pub fn invalid_argument(msg: impl Into<String>) -> TosError {
        Self::new(400, "InvalidArgument", msg)
    }
    pub fn internal(msg: impl Into<String>) -> TosError {
        Self::new(500, "InternalError", msg)
    }

    /// EC values follow TOS's `SSSS-NNNNNNNN` shape; only their presence matters to SDKs.
    /// TOS's own codes where the SDKs act on them (the Go SDK's `DoesBucketExist` and
    /// `DoesObjectExist` look for these two); elsewhere the status and a number of ours, which
    /// no SDK reads.
    pub fn ec(&self) -> String {
        match self.code.as_str() {
            "NoSuchBucket" => return "0006-00000001".into(),
            "NoSuchKey" => return "0017-00000003".into(),
            _ => {}
        }
        let n = match self.code.as_str() {
            "NoSuchUpload" => 44,
            "SignatureDoesNotMatch" => 2,
            "InvalidAccessKeyId" => 3,
            "RequestTimeTooSkewed" => 4,
            "AccessDenied" => 5,
            "InvalidPart" => 45,
            "EntityTooSmall" => 46,
            "ExpiredToken" => 6,
            "InvalidToken" => 7,
            _ => 0,
        };
        format!("{:04}-{n:08}", self.status)
    }

    pub fn body(&self, request_id: &str, resource: &str) -> String {
        json!({
            "Code": self.code,
            "Message": self.message,
            "RequestId": request_id,
            "HostId": "tos-local-server",
            "Resource": resource,
            "EC": self.ec(),
        })
        .to_string()
    }
}

impl From<std::io::Error> for TosError {
    fn from(e: std::io::Error) -> TosError {
        TosError::internal(format!("storage error: {e}"))
    }
}
