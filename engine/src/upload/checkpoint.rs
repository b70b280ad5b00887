//! The checkpoint file, in the Go SDK's JSON format and naming (docs/protocol.md §2) so a
//! checkpoint written by the official Go SDK resumes here. Unlike the Go SDK it is written
//! atomically (temp file, fsync, rename), mode 0600, and holds the upload id from Create on.

pub use super::checkpoint_rules::{plausible_upload_id, validate};
use crate::error::{ErrorKind, Result, UploadError};
use crate::state_file::{self, Contents, Refused};
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// `ChecksumAlgorithm` of an upload created with `x-amz-checksum-algorithm: CRC64NVME`.
pub const CRC64NVME: &str = "CRC64NVME";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Checkpoint {
    #[serde(rename = "Bucket", default, skip_serializing_if = "String::is_empty")]
    pub bucket: String,
    #[serde(rename = "Key", default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(rename = "UploadID", default, skip_serializing_if = "String::is_empty")]
    pub upload_id: String,
    #[serde(rename = "PartSize", default)]
    pub part_size: u64,
    #[serde(
        rename = "SSECAlgorithm",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ssec_algorithm: String,
    #[serde(
        rename = "SSECKeyMD5",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ssec_key_md5: String,
    #[serde(
        rename = "EncodingType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub encoding_type: String,
    #[serde(rename = "FilePath", default, skip_serializing_if = "String::is_empty")]
    pub file_path: String,
    #[serde(rename = "FileInfo", default)]
    pub file_info: FileInfo,
    #[serde(rename = "PartsInfo", default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<CheckpointPart>,
    /// Ours (the Go SDK ignores unknown keys): the wire protocol of the upload, "tos" when
    /// absent, so an upload is never resumed over the other protocol.
    #[serde(rename = "Protocol", default, skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    /// Ours: the endpoint the upload id belongs to; absent in a Go checkpoint.
    #[serde(rename = "Endpoint", default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// Ours: "CRC64NVME" when the S3 upload was created with `x-amz-checksum-algorithm`
    /// (its Complete must list each part's CRC-64/NVME); absent otherwise, and in checkpoints
    /// written before the field existed or by the Go SDK.
    #[serde(
        rename = "ChecksumAlgorithm",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub checksum_algorithm: String,
}

/// The local file's identity. `LastModified` and `Size` are the Go SDK's; the rest are ours
/// (the Go SDK ignores unknown keys) and catch changes within the same second.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct FileInfo {
    #[serde(rename = "LastModified", default)]
    pub last_modified: i64,
    #[serde(rename = "Size", default)]
    pub size: u64,
    #[serde(
        rename = "LastModifiedNanos",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_modified_nanos: Option<u32>,
    #[serde(rename = "Inode", default, skip_serializing_if = "Option::is_none")]
    pub inode: Option<u64>,
}

impl FileInfo {
    pub fn of(metadata: &fs::Metadata) -> FileInfo {
        FileInfo {
            last_modified: metadata.mtime(),
            size: metadata.len(),
            last_modified_nanos: Some(metadata.mtime_nsec() as u32),
            inode: Some(metadata.ino()),
        }
    }

    /// Same file as recorded? Fields a Go checkpoint lacks are not compared.
    pub fn matches(&self, current: &FileInfo) -> bool {
        let same_optional = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.last_modified == current.last_modified
            && self.size == current.size
            && same_optional(
                self.last_modified_nanos.map(u64::from),
                current.last_modified_nanos.map(u64::from),
            )
            && same_optional(self.inode, current.inode)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct CheckpointPart {
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    #[serde(rename = "PartSize")]
    pub part_size: u64,
    #[serde(rename = "Offset")]
    pub offset: u64,
    /// As the server sent it (quoted), like the Go SDK.
    #[serde(rename = "ETag", default, skip_serializing_if = "String::is_empty")]
    pub etag: String,
    #[serde(rename = "HashCrc64Ecma", default, skip_serializing_if = "is_zero")]
    pub crc64: u64,
    /// Ours: the CRC-64/NVME the S3 store verified for the part. Absent in older and Go
    /// checkpoints: such a part is read again from the file when Complete needs it.
    #[serde(
        rename = "HashCrc64Nvme",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub crc64_nvme: Option<u64>,
    #[serde(rename = "IsCompleted", default)]
    pub is_completed: bool,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// `<basename>.<base64url(md5(bucket + "." + key))>.upload`, with `=` padding, as Go.
pub fn file_name(file_path: &Path, bucket: &str, key: &str) -> String {
    let base = file_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = Md5::digest(format!("{bucket}.{key}").as_bytes());
    format!("{base}.{}.upload", URL_SAFE.encode(digest))
}

/// Where the checkpoint lives, by the Go SDK's rules: beside the file when unset; inside
/// `checkpoint` when it is an existing directory or ends with a separator; else `checkpoint`
/// itself. Missing parent directories are created.
pub fn resolve_path(
    checkpoint: Option<&Path>,
    file_path: &Path,
    bucket: &str,
    key: &str,
) -> Result<PathBuf> {
    let name = file_name(file_path, bucket, key);
    let path = match checkpoint {
        None => file_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join(name),
        Some(cp) => {
            let as_dir = cp.is_dir() || cp.as_os_str().as_encoded_bytes().ends_with(b"/");
            if as_dir {
                cp.join(name)
            } else {
                cp.to_path_buf()
            }
        }
    };
    // Checked before anything is created or sent: a FIFO here would block the load forever
    // and a device would be read without end.
    match state_file::regular_or_absent(&path) {
        Ok(()) => {}
        Err(Refused::NotRegular(what)) => return Err(not_regular(&path, what)),
        Err(Refused::Io(e)) => return Err(invalid_location(&path, "cannot stat it").with_cause(e)),
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| invalid_location(&path, "cannot create its directory").with_cause(e))?;
    probe_writable(parent)
        .map_err(|e| invalid_location(&path, "its directory is not writable").with_cause(e))?;
    Ok(path)
}

fn invalid_location(path: &Path, why: &str) -> UploadError {
    UploadError::new(
        ErrorKind::CheckpointPathInvalid,
        format!("invalid checkpoint file path {}: {why}", path.display()),
    )
}

fn probe_writable(dir: &Path) -> std::io::Result<()> {
    // An unnamed file first: a kill at this moment then leaves nothing behind.
    let unnamed = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o600)
        .open(dir);
    match unnamed {
        Ok(_) => return Ok(()),
        // Only a file system without O_TMPFILE falls back to a named probe.
        Err(e) if !matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR)) => {
            return Err(e)
        }
        Err(_) => {}
    }
    let probe = dir.join(format!(".tosupload-probe-{}", std::process::id()));
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&probe)?;
    fs::remove_file(probe)
}

/// A checkpoint is a few hundred bytes per part; 10,000 parts stay far below this.
pub const MAX_CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;

pub enum Loaded {
    Missing,
    Found(Box<Checkpoint>),
    /// Present but unusable: why, and the fields that could be read (to abort the upload it
    /// records), when any could.
    Corrupt {
        why: String,
        salvaged: Option<Box<Checkpoint>>,
    },
    /// The path is not a regular file: an error to report, not a checkpoint to replace.
    Refused(UploadError),
}

/// Reads and checks a checkpoint; only one that passes `validate` is `Found`.
pub fn load(path: &Path) -> Loaded {
    let shown = path.display();
    let corrupt = |why: String| Loaded::Corrupt {
        why,
        salvaged: None,
    };
    let bytes = match state_file::read_bounded(path, MAX_CHECKPOINT_BYTES) {
        Ok(Contents::Missing) => return Loaded::Missing,
        Ok(Contents::Bytes(bytes)) => bytes,
        Ok(Contents::TooLarge(size)) => {
            return corrupt(format!(
                "{shown} has {size} bytes, more than any checkpoint ({MAX_CHECKPOINT_BYTES})"
            ))
        }
        Err(Refused::NotRegular(what)) => return Loaded::Refused(not_regular(path, what)),
        Err(Refused::Io(e)) => return corrupt(format!("cannot read {shown}: {e}")),
    };
    // Parsed as a value first, so a checkpoint of the wrong shape still names its upload.
    let value = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(value) => value,
        Err(e) => return corrupt(format!("{shown} is not JSON: {e}")),
    };
    let salvaged = salvage(&value);
    let checkpoint = match serde_json::from_value::<Checkpoint>(value) {
        Ok(checkpoint) => checkpoint,
        Err(e) => {
            return Loaded::Corrupt {
                why: format!("{shown} is not a valid checkpoint: {e}"),
                salvaged,
            }
        }
    };
    match validate(&checkpoint) {
        Ok(()) => Loaded::Found(Box::new(checkpoint)),
        Err(why) => Loaded::Corrupt {
            why: format!("{shown} is not a valid checkpoint: {why}"),
            salvaged: Some(Box::new(checkpoint)),
        },
    }
}

/// The fields that say whose upload a malformed checkpoint records.
fn salvage(value: &serde_json::Value) -> Option<Box<Checkpoint>> {
    let text = |name: &str| value.get(name)?.as_str().map(str::to_owned);
    Some(Box::new(Checkpoint {
        bucket: text("Bucket")?,
        key: text("Key")?,
        upload_id: text("UploadID")?,
        protocol: text("Protocol").unwrap_or_default(),
        endpoint: text("Endpoint").unwrap_or_default(),
        ..Checkpoint::default()
    }))
}

fn not_regular(path: &Path, what: &str) -> UploadError {
    invalid_location(path, &format!("it is not a regular file ({what})"))
}

/// `<checkpoint>.tmp`: where `save` writes before renaming into place.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// A run killed in mid-save leaves its temp file; the next run removes it.
pub fn remove_stale_temp(path: &Path) {
    state_file::remove_stale_temp(&temp_path(path));
}

/// Atomic replace: a crash leaves either the old or the new checkpoint, never a torn one.
pub fn save(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    write(path, checkpoint, true)
}

/// Like `save` without the fsyncs: the checkpoint is visible to the next process at once,
/// and survives a kill -9 (the page cache outlives the process), though not a power cut.
/// Milliseconds sooner than `save` under load, which matters right after Create, when a kill
/// before the upload id reaches the disk would leak the upload on the server.
pub fn publish(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    write(path, checkpoint, false)
}

fn write(path: &Path, checkpoint: &Checkpoint, durable: bool) -> Result<()> {
    let io_error = |e: std::io::Error| {
        UploadError::new(
            ErrorKind::CheckpointIo,
            format!("cannot write checkpoint {}", path.display()),
        )
        .with_cause(e)
    };
    let json = serde_json::to_vec(checkpoint).expect("plain structs serialize");
    let tmp = temp_path(path);
    let mut file = state_file::create_temp(&tmp).map_err(io_error)?;
    file.write_all(&json).map_err(io_error)?;
    if durable {
        file.sync_all().map_err(io_error)?;
    }
    drop(file);
    fs::rename(&tmp, path).map_err(io_error)?;
    if !durable {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        // Make the rename itself durable; failure here only weakens crash safety.
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
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
    fn name_matches_the_go_sdk() {
        assert_eq!(
            file_name(Path::new("f12.bin"), "mybucket", "dir/obj.bin"),
            "f12.bin.74NxgnH3Zu_oK-tHQ3s5Sg==.upload"
        );
    }

    #[test]
    fn parses_a_checkpoint_written_by_the_go_sdk() {
        let go = r#"{"Bucket":"mybucket","Key":"dir/obj.bin","UploadID":"eebe28","PartSize":5242880,
 "FilePath":"f12.bin","FileInfo":{"LastModified":1795595025,"Size":12582915},
 "PartsInfo":[{"PartNumber":1,"PartSize":5242880,"Offset":0,"ETag":"\"e9a3\"","HashCrc64Ecma":16368442186935059472,"IsCompleted":true},
              {"PartNumber":2,"PartSize":5242880,"Offset":5242880,"IsCompleted":false}]}"#;
        let cp: Checkpoint = serde_json::from_str(go).unwrap();
        assert_eq!(cp.upload_id, "eebe28");
        assert_eq!(cp.parts[0].crc64, 16_368_442_186_935_059_472);
        assert_eq!(cp.parts[0].etag, "\"e9a3\"");
        assert!(!cp.parts[1].is_completed);
        assert_eq!(cp.file_info.last_modified_nanos, None);
        // Written back, the Go SDK's own keys are there with the same spelling.
        let json = serde_json::to_string(&cp).unwrap();
        for key in [
            "\"UploadID\"",
            "\"PartsInfo\"",
            "\"HashCrc64Ecma\"",
            "\"IsCompleted\"",
            "\"LastModified\"",
        ] {
            assert!(json.contains(key), "{key} missing in {json}");
        }
    }

    #[test]
    fn resolves_directory_file_and_default_locations() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data.bin");
        let name = file_name(&file, "b", "k");
        assert_eq!(
            resolve_path(None, &file, "b", "k").unwrap(),
            dir.path().join(&name)
        );
        let new_dir = dir.path().join("cp/");
        assert_eq!(
            resolve_path(Some(&new_dir), &file, "b", "k").unwrap(),
            dir.path().join("cp").join(&name)
        );
        assert!(dir.path().join("cp").is_dir());
        let explicit = dir.path().join("my.checkpoint");
        assert_eq!(
            resolve_path(Some(&explicit), &file, "b", "k").unwrap(),
            explicit
        );
        // A parent that is a regular file cannot hold a checkpoint.
        fs::write(dir.path().join("plain"), b"x").unwrap();
        let under_file = dir.path().join("plain/cp.json");
        assert_eq!(
            resolve_path(Some(&under_file), &file, "b", "k")
                .unwrap_err()
                .kind,
            ErrorKind::CheckpointPathInvalid
        );
    }

    #[test]
    fn save_is_atomic_private_and_loadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.upload");
        let cp = Checkpoint {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "u".into(),
            part_size: 5 * 1024 * 1024,
            file_path: "f".into(),
            parts: super::super::part_layout::layout(0, 5 * 1024 * 1024),
            ..Default::default()
        };
        // A temp file left by a killed save (here a FIFO) neither blocks nor breaks the next.
        let tmp = dir.path().join("x.upload.tmp");
        assert!(std::process::Command::new("mkfifo")
            .arg(&tmp)
            .status()
            .unwrap()
            .success());
        save(&path, &cp).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert!(!dir.path().join("x.upload.tmp").exists());
        match load(&path) {
            Loaded::Found(back) => assert_eq!(*back, cp),
            _ => panic!("checkpoint not loaded"),
        }
        fs::write(&path, b"{not json").unwrap();
        assert!(matches!(
            load(&path),
            Loaded::Corrupt { salvaged: None, .. }
        ));
    }
}
