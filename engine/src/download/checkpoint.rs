//! The download checkpoint, in the Go SDK's JSON (docs/download.md §3): same keys in the same
//! order, empty strings and zero numbers left out, unset times as "0001-01-01T00:00:00Z",
//! inclusive `RangeEnd`, the temp file's path at the top level. Read as untrusted input: what
//! does not parse, or does not describe this download exactly, is discarded, never obeyed.

use crate::error::{ErrorKind, Result, UploadError};
use crate::state_file::{self, Contents, Refused};
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
/// About 150 bytes per range: a 1 TiB object in 5 MiB ranges stays below this.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

fn is_zero(value: &u64) -> bool {
    *value == 0
}

fn zero_time() -> String {
    ZERO_TIME.to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct DownloadCheckpoint {
    #[serde(rename = "Bucket", default, skip_serializing_if = "String::is_empty")]
    pub bucket: String,
    #[serde(rename = "Key", default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(
        rename = "VersionID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub version_id: String,
    #[serde(rename = "PartSize", default, skip_serializing_if = "is_zero")]
    pub part_size: u64,
    #[serde(rename = "IfMatch", default, skip_serializing_if = "String::is_empty")]
    pub if_match: String,
    #[serde(rename = "IfModifiedSince", default = "zero_time")]
    pub if_modified_since: String,
    #[serde(
        rename = "IfNoneMatch",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub if_none_match: String,
    #[serde(rename = "IfUnmodifiedSince", default = "zero_time")]
    pub if_unmodified_since: String,
    #[serde(
        rename = "SSECAlgorithm",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ssec_algorithm: String,
    /// Only the key's MD5, never the key (Go before 2.8 stored the key here).
    #[serde(
        rename = "SSECKeyMD5",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ssec_key_md5: String,
    #[serde(rename = "ObjectInfo", default)]
    pub object: ObjectInfo,
    #[serde(rename = "FileInfo", default)]
    pub file: FileInfo,
    #[serde(rename = "PartsInfo", default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<RangeInfo>,
    #[serde(
        rename = "TempFilePath",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub temp_file_path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectInfo {
    #[serde(rename = "Etag", default, skip_serializing_if = "String::is_empty")]
    pub etag: String,
    #[serde(rename = "HashCrc64Ecma", default, skip_serializing_if = "is_zero")]
    pub crc64: u64,
    #[serde(rename = "LastModified", default = "zero_time")]
    pub last_modified: String,
    #[serde(rename = "ObjectSize", default, skip_serializing_if = "is_zero")]
    pub size: u64,
}

impl Default for ObjectInfo {
    fn default() -> Self {
        ObjectInfo {
            etag: String::new(),
            crc64: 0,
            last_modified: zero_time(),
            size: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct FileInfo {
    #[serde(rename = "FilePath", default, skip_serializing_if = "String::is_empty")]
    pub file_path: String,
    #[serde(
        rename = "TempFilePath",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub temp_file_path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct RangeInfo {
    #[serde(rename = "PartNumber", default)]
    pub part_number: u32,
    #[serde(rename = "RangeStart", default)]
    pub range_start: u64,
    /// Inclusive.
    #[serde(rename = "RangeEnd", default)]
    pub range_end: u64,
    #[serde(rename = "HashCrc64Ecma", default, skip_serializing_if = "is_zero")]
    pub crc64: u64,
    #[serde(rename = "IsCompleted", default)]
    pub is_completed: bool,
}

impl RangeInfo {
    pub fn byte_count(&self) -> u64 {
        self.range_end + 1 - self.range_start
    }
}

/// Inclusive ranges of `part_size` covering `size` bytes; none for an empty object.
pub fn layout(size: u64, part_size: u64) -> Vec<RangeInfo> {
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < size {
        let end = (start + part_size).min(size) - 1;
        ranges.push(RangeInfo {
            part_number: ranges.len() as u32 + 1,
            range_start: start,
            range_end: end,
            crc64: 0,
            is_completed: false,
        });
        start = end + 1;
    }
    ranges
}

/// Whether the ranges are exactly `layout(size, part_size)`: the only shape a checkpoint
/// of this download may have.
pub fn tiles(parts: &[RangeInfo], size: u64, part_size: u64) -> bool {
    let expected = layout(size, part_size);
    parts.len() == expected.len()
        && parts.iter().zip(&expected).all(|(got, want)| {
            got.part_number == want.part_number
                && got.range_start == want.range_start
                && got.range_end == want.range_end
        })
}

/// `<basename(target)>.<base64url(md5("bucket.key[.versionId]"))>.download`, as Go names it.
pub fn file_name(target: &Path, bucket: &str, key: &str, version_id: Option<&str>) -> String {
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let identity = match version_id.filter(|v| !v.is_empty()) {
        Some(version) => format!("{bucket}.{key}.{version}"),
        None => format!("{bucket}.{key}"),
    };
    format!("{base}.{}.download", URL_SAFE.encode(Md5::digest(identity)))
}

/// Beside the target by default; inside `checkpoint` when it is a directory (existing, or
/// ending in '/'); else `checkpoint` itself.
pub fn resolve_path(checkpoint: Option<&Path>, target: &Path, name: &str) -> Result<PathBuf> {
    let path = match checkpoint {
        None => super::destination::parent_of(target).join(name),
        Some(cp) if cp.is_dir() || cp.as_os_str().as_encoded_bytes().ends_with(b"/") => {
            cp.join(name)
        }
        Some(cp) => cp.to_path_buf(),
    };
    match state_file::regular_or_absent(&path) {
        Ok(()) => {}
        Err(Refused::NotRegular(what)) => {
            return Err(invalid(&path, &format!("it is {what}, not a regular file")))
        }
        Err(Refused::Io(e)) => return Err(invalid(&path, "cannot stat it").with_cause(e)),
    }
    let parent = super::destination::parent_of(&path);
    fs::create_dir_all(parent)
        .map_err(|e| invalid(&path, "cannot create its directory").with_cause(e))?;
    Ok(path)
}

fn invalid(path: &Path, why: &str) -> UploadError {
    UploadError::new(
        ErrorKind::CheckpointPathInvalid,
        format!("invalid checkpoint file path {}: {why}", path.display()),
    )
}

pub enum Loaded {
    Missing,
    Found(Box<DownloadCheckpoint>),
    /// Unreadable or not a checkpoint: why.
    Corrupt(String),
}

pub fn load(path: &Path) -> Loaded {
    let shown = path.display();
    let bytes = match state_file::read_bounded(path, MAX_BYTES) {
        Ok(Contents::Missing) => return Loaded::Missing,
        Ok(Contents::Bytes(bytes)) => bytes,
        Ok(Contents::TooLarge(size)) => {
            return Loaded::Corrupt(format!(
                "{shown} has {size} bytes, more than any checkpoint"
            ))
        }
        Err(Refused::NotRegular(what)) => return Loaded::Corrupt(format!("{shown} is {what}")),
        Err(Refused::Io(e)) => return Loaded::Corrupt(format!("cannot read {shown}: {e}")),
    };
    match serde_json::from_slice::<DownloadCheckpoint>(&bytes) {
        Ok(checkpoint) => Loaded::Found(Box::new(checkpoint)),
        Err(e) => Loaded::Corrupt(format!("{shown} is not a download checkpoint: {e}")),
    }
}

/// Atomic replace (side file, fsync, rename, fsync of the directory): a crash leaves the
/// old or the new checkpoint, never a torn one.
pub fn save(path: &Path, checkpoint: &DownloadCheckpoint) -> Result<()> {
    let io_error = |e: std::io::Error| {
        UploadError::new(
            ErrorKind::CheckpointIo,
            format!("cannot write checkpoint {}: {e}", path.display()),
        )
        .with_cause(e)
    };
    let json = serde_json::to_vec(checkpoint).expect("plain structs serialize");
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = state_file::create_temp(&tmp).map_err(io_error)?;
    file.write_all(&json).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_error)?;
    if let Ok(dir) = fs::File::open(super::destination::parent_of(path)) {
        // Only crash safety is weakened when this fails.
        let _ = dir.sync_all();
    }
    Ok(())
}

pub fn remove(path: &Path) {
    let _ = fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_json_match_the_go_sdk() {
        let name = file_name(Path::new("/d/out.bin"), "bkt", "dir/a.bin", None);
        assert!(name.starts_with("out.bin.") && name.ends_with("==.download"));
        let go = r#"{"Bucket":"bkt","Key":"dir/a.bin","PartSize":5242880,"IfModifiedSince":"0001-01-01T00:00:00Z","IfUnmodifiedSince":"0001-01-01T00:00:00Z","ObjectInfo":{"Etag":"\"6f1e\"","HashCrc64Ecma":3610812920213064662,"LastModified":"2026-01-05T08:00:00Z","ObjectSize":12582915},"FileInfo":{"FilePath":"/d/a.bin","TempFilePath":"/d/a.bin.temp.1"},"PartsInfo":[{"PartNumber":1,"RangeStart":0,"RangeEnd":5242879,"HashCrc64Ecma":10894163063154929810,"IsCompleted":true},{"PartNumber":2,"RangeStart":5242880,"RangeEnd":10485759,"IsCompleted":false}],"TempFilePath":"/d/a.bin.temp.1"}"#;
        let checkpoint: DownloadCheckpoint = serde_json::from_str(go).unwrap();
        assert_eq!(checkpoint.parts[0].byte_count(), 5_242_880);
        assert_eq!(serde_json::to_string(&checkpoint).unwrap(), go);
    }

    #[test]
    fn layout_is_inclusive_and_tiles() {
        let parts = layout(11, 5);
        assert_eq!(
            parts
                .iter()
                .map(|p| (p.range_start, p.range_end))
                .collect::<Vec<_>>(),
            [(0, 4), (5, 9), (10, 10)]
        );
        assert!(tiles(&parts, 11, 5));
        assert!(!tiles(&parts[..2], 11, 5));
        assert!(layout(0, 5).is_empty());
    }
}
