//! Which `PayloadCheck` an S3 body carries (the client option `s3_checksum`), the fallback
//! from trailers to the header form for stores that refuse trailers, and the digests read
//! before a send. docs/s3-stores.md, "Checksum modes", says why each mode exists.

use super::file_range::{self, FileRange};
use super::protocol::PayloadCheck;
use crate::config::S3Checksum;
use crate::error::{ErrorKind, Result, UploadError};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// Declares at CreateMultipartUpload the algorithm of the whole object's checksum.
pub(crate) const ALGORITHM_HEADER: &str = "x-amz-checksum-algorithm";
pub(crate) const CRC64NVME: &str = "CRC64NVME";

/// What AUTO has learned of the store's trailers.
const UNKNOWN: u8 = 0;
const TRAILERS_ACCEPTED: u8 = 1;
const TRAILERS_REFUSED: u8 = 2;

/// The mode of one client. AUTO sends the first part with a trailer while the others wait
/// for its answer, so that a store that refuses trailers refuses exactly one request, not
/// one per part in flight; the answer is kept for the client's life.
pub(crate) struct ChecksumChoice {
    configured: S3Checksum,
    learned: AtomicU8,
    probe: tokio::sync::Mutex<()>,
    /// Set once a store refused `x-amz-checksum-algorithm` at CreateMultipartUpload: this
    /// client's later uploads are created without it.
    full_object_refused: AtomicBool,
}

/// The mode a body goes with, before its digest is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Trailer,
    Header,
    ContentMd5,
    None,
}

impl ChecksumChoice {
    pub(crate) fn new(configured: S3Checksum) -> Self {
        ChecksumChoice {
            configured,
            learned: AtomicU8::new(UNKNOWN),
            probe: tokio::sync::Mutex::new(()),
            full_object_refused: AtomicBool::new(false),
        }
    }

    /// Whether CreateMultipartUpload declares `x-amz-checksum-algorithm: CRC64NVME`: only
    /// under the modes that send every part's CRC-64/NVME (a trailer, or the header the AUTO
    /// fallback sends), since the store then requires each part's checksum in Complete, and
    /// not once this client's store has refused the header.
    pub(crate) fn declares_full_object(&self) -> bool {
        let sends_nvme = matches!(
            self.configured,
            S3Checksum::Auto | S3Checksum::Trailer | S3Checksum::Header
        );
        sends_nvme && !self.full_object_refused.load(Ordering::Acquire)
    }

    /// The store refused the algorithm at Create: remembered for the client, said once.
    pub(crate) fn full_object_refused(&self, error: &UploadError, endpoint: &str) {
        if !self.full_object_refused.swap(true, Ordering::AcqRel) {
            log::warn!(
                "{endpoint} refused x-amz-checksum-algorithm: CRC64NVME at \
                 CreateMultipartUpload ({}); this client creates uploads without it from now \
                 on, so only each part is checked, not the whole object",
                error.message
            );
        }
    }

    /// The mode of a part. Under AUTO, before the store has answered a trailer, the caller
    /// gets the probe's guard: hold it until the part's first answer and report it with
    /// `learn_from`.
    pub(crate) async fn for_part(&self) -> (Mode, Option<tokio::sync::MutexGuard<'_, ()>>) {
        if self.configured != S3Checksum::Auto {
            return (self.fixed(), None);
        }
        if self.learned.load(Ordering::Acquire) == UNKNOWN {
            let guard = self.probe.lock().await;
            if self.learned.load(Ordering::Acquire) == UNKNOWN {
                return (Mode::Trailer, Some(guard));
            }
        }
        (self.auto_mode(), None)
    }

    /// A PutObject's mode: never a trailer (see `S3Protocol::payload_headers`).
    pub(crate) fn for_object(&self) -> Mode {
        match self.fixed() {
            Mode::Trailer => Mode::Header,
            mode => mode,
        }
    }

    fn fixed(&self) -> Mode {
        match self.configured {
            S3Checksum::Auto => self.auto_mode(),
            S3Checksum::Trailer => Mode::Trailer,
            S3Checksum::Header => Mode::Header,
            S3Checksum::ContentMd5 => Mode::ContentMd5,
            S3Checksum::None => Mode::None,
        }
    }

    fn auto_mode(&self) -> Mode {
        match self.learned.load(Ordering::Acquire) {
            TRAILERS_REFUSED => Mode::Header,
            _ => Mode::Trailer,
        }
    }

    /// Under AUTO, what a part sent with a trailer was answered. Returns true when the store
    /// refused the trailer: the caller sends the part again in the header mode, which every
    /// later part uses from the start. Says so once per client.
    pub(crate) fn learn_from(&self, sent: &Result<impl Sized>, endpoint: &str) -> bool {
        if self.configured != S3Checksum::Auto {
            return false;
        }
        let refused = match sent {
            Ok(_) => false,
            Err(error) if refused_trailer(error) => true,
            // Says nothing of trailers: the next part asks again.
            Err(_) => return false,
        };
        let now = if refused {
            TRAILERS_REFUSED
        } else {
            TRAILERS_ACCEPTED
        };
        let before = self.learned.swap(now, Ordering::AcqRel);
        if refused && before != TRAILERS_REFUSED {
            if let Err(error) = sent {
                log::warn!(
                    "{endpoint} refused a streamed checksum trailer ({}); this client sends \
                     the CRC-64/NVME in the x-amz-checksum-crc64nvme header from now on",
                    error.message
                );
            }
        }
        refused
    }
}

/// Whether the store refused a body because it was aws-chunked with a trailer: 501 (what
/// Cloudflare R2 answers), or a 400 whose code and message name the framing (stores that do
/// not implement `STREAMING-UNSIGNED-PAYLOAD-TRAILER` answer `InvalidRequest` or
/// `InvalidArgument` naming the header or the payload marker).
pub(crate) fn refused_trailer(error: &UploadError) -> bool {
    let Some(server) = &error.server else {
        return false;
    };
    const NAMES: [&str; 6] = [
        "trailer",
        "streaming-unsigned-payload",
        "aws-chunked",
        "x-amz-content-sha256",
        "x-amz-decoded-content-length",
        "content-encoding",
    ];
    match server.status {
        // A web server's 501 to an unknown method has no code: not a store's refusal.
        501 => server.code == "NotImplemented",
        400 => {
            let code = server.code.as_str();
            let message = server.message.to_ascii_lowercase();
            matches!(
                code,
                "InvalidRequest" | "InvalidArgument" | "NotImplemented"
            ) && NAMES.iter().any(|name| message.contains(name))
        }
        _ => false,
    }
}

/// Whether a CreateMultipartUpload was refused for its `x-amz-checksum-algorithm`: 501
/// `NotImplemented`, or a 400 (`InvalidRequest`, `InvalidArgument`, `NotImplemented`) whose
/// message names a checksum. Any other refusal (access, bucket) is the upload's failure.
pub(crate) fn refused_checksum_algorithm(error: &UploadError) -> bool {
    let Some(server) = &error.server else {
        return false;
    };
    let names_checksum = server.message.to_ascii_lowercase().contains("checksum");
    match server.status {
        501 => server.code == "NotImplemented",
        400 => {
            matches!(
                server.code.as_str(),
                "InvalidRequest" | "InvalidArgument" | "NotImplemented"
            ) && names_checksum
        }
        _ => false,
    }
}

/// The message of a trailer refusal under the TRAILER mode, which has no fallback.
pub(crate) fn trailer_refused_error(error: UploadError, what: &str) -> UploadError {
    UploadError {
        message: format!(
            "{what}: the store does not accept streamed checksum trailers (s3_checksum \
             TRAILER): {}; use AUTO or HEADER (tosput --s3-checksum auto|header)",
            error.message
        ),
        ..error
    }
}

/// The digest a body declares up front, read from the range before the send.
pub(crate) async fn declared(mode: Mode, range: &FileRange) -> std::io::Result<PayloadCheck> {
    let range = range.clone();
    let read = move || match mode {
        Mode::Header => file_range::crc64_nvme(&range).map(PayloadCheck::Crc64Nvme),
        Mode::ContentMd5 => file_range::md5(&range).map(PayloadCheck::ContentMd5),
        Mode::Trailer => Ok(PayloadCheck::Trailer),
        Mode::None => Ok(PayloadCheck::None),
    };
    if matches!(mode, Mode::Trailer | Mode::None) {
        return read();
    }
    tokio::task::spawn_blocking(read)
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
}

/// The store refused a body because it did not match the checksum sent with it.
pub(crate) fn refused_digest(error: &UploadError) -> bool {
    error.http_status() == Some(400)
        && error
            .server
            .as_ref()
            .is_some_and(|s| s.code == "BadDigest" || s.code == "InvalidDigest")
}

/// After a refused body: whether the range still has the digest the request declared. If
/// not, the file changed after it was digested (retrying would be refused forever), so the
/// error is `FileChanged`; if it has, the bytes were corrupted on the way and the caller's
/// retry sends them again.
pub(crate) async fn check_unchanged(
    what: &str,
    range: &FileRange,
    sent: PayloadCheck,
) -> Result<()> {
    let mode = match sent {
        PayloadCheck::Crc64Nvme(_) => Mode::Header,
        PayloadCheck::ContentMd5(_) => Mode::ContentMd5,
        PayloadCheck::Trailer | PayloadCheck::None => return Ok(()),
    };
    match declared(mode, range).await {
        Ok(now) if now == sent => Ok(()),
        Ok(_) => Err(UploadError::new(
            ErrorKind::FileChanged,
            format!(
                "{what}: the local file changed during the upload (its digest is not the one \
                 computed before sending, and the store refused the body for it)"
            ),
        )),
        Err(e) => Err(super::file_error(what, e)),
    }
}
