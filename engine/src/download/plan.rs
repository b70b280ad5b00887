//! Resume or start afresh. A checkpoint is untrusted: it is kept only when it describes
//! exactly this download of this object, its temp file is there at the right size, and each
//! range it records as done still has, on disk, the CRC-64 it recorded. Anything else is
//! discarded (with its temp file) and the download starts afresh: never an error that would
//! repeat on every rerun.

use super::checkpoint::{self, DownloadCheckpoint, FileInfo, Loaded, ObjectInfo, ZERO_TIME};
use super::events::{DownloadEventKind, DownloadPartInfo};
use super::{temp_file, Session};
use crate::error::{ErrorKind, Result, UploadError};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn rfc3339(at: Option<SystemTime>) -> String {
    at.and_then(|at| jiff::Timestamp::try_from(at).ok())
        .map_or_else(|| ZERO_TIME.to_string(), |at| at.to_string())
}

/// HEAD's `Last-Modified` (an HTTP date) as the Go SDK stores it.
fn last_modified(http_date: &str) -> String {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(http_date)
        .map_or_else(|_| ZERO_TIME.to_string(), |at| at.to_string())
}

impl Session {
    /// What the checkpoint of this download must say, with no range done yet.
    fn expected_checkpoint(&self, temp_path: &Path) -> DownloadCheckpoint {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let temp = temp_path.to_string_lossy().into_owned();
        DownloadCheckpoint {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            version_id: text(&self.request.version_id),
            part_size: self.part_size,
            if_match: text(&self.request.if_match),
            if_modified_since: rfc3339(self.request.if_modified_since),
            if_none_match: text(&self.request.if_none_match),
            if_unmodified_since: rfc3339(self.request.if_unmodified_since),
            ssec_algorithm: text(&self.request.ssec_algorithm),
            ssec_key_md5: text(&self.request.ssec_key_md5),
            object: ObjectInfo {
                etag: self.head.etag.clone(),
                crc64: self.head.crc64.unwrap_or(0),
                last_modified: last_modified(&self.head.last_modified),
                size: self.head.size,
            },
            file: FileInfo {
                file_path: self.target.to_string_lossy().into_owned(),
                temp_file_path: temp.clone(),
            },
            parts: checkpoint::layout(self.head.size, self.part_size),
            temp_file_path: temp,
        }
    }

    /// Sets up the temp file and the checkpoint; returns the bytes a resume keeps.
    pub(super) async fn plan(&mut self) -> Result<u64> {
        let loaded = match &self.checkpoint_path {
            Some(path) => checkpoint::load(path),
            None => Loaded::Missing,
        };
        let why = match loaded {
            Loaded::Missing => None,
            Loaded::Corrupt(why) => Some(why),
            Loaded::Found(found) => match self.try_resume(*found).await {
                Ok(kept) => return Ok(kept),
                Err(why) => Some(why),
            },
        };
        if let Some(why) = why {
            let error = UploadError::new(ErrorKind::CheckpointIo, why);
            log::info!("checkpoint discarded: {error}");
            self.reporter
                .event(DownloadEventKind::CheckpointDiscarded, None, Some(error));
            if let Some(path) = &self.checkpoint_path {
                checkpoint::remove(path);
            }
        }
        self.start_fresh().await?;
        Ok(0)
    }

    /// Temp files of this target left by earlier runs (a discarded checkpoint's, a killed
    /// run's) are removed before a new one is made: nothing of ours leaks.
    async fn remove_old_temps(&self) {
        let target = self.target.clone();
        let _ = temp_file::blocking(move || {
            let dir = super::destination::parent_of(&target);
            for entry in std::fs::read_dir(dir)?.flatten() {
                let path = entry.path();
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if is_file && temp_file::named_by_us(&path, &target) {
                    let _ = std::fs::remove_file(&path);
                }
            }
            Ok(())
        })
        .await;
    }

    async fn start_fresh(&mut self) -> Result<()> {
        if self.checkpoint_path.is_some() {
            self.remove_old_temps().await;
        }
        let temp_path = temp_file::fresh_path(&self.target);
        self.reporter.template.temp_file_path = Some(temp_path.clone());
        let file = match temp_file::create(&temp_path, self.head.size).await {
            Ok(file) => file,
            Err(error) => {
                self.reporter.event(
                    DownloadEventKind::CreateTempFileFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        };
        self.temp = Some((file, temp_path.clone()));
        self.reporter
            .event(DownloadEventKind::CreateTempFileSucceeded, None, None);
        self.checkpoint = self.expected_checkpoint(&temp_path);
        self.save_checkpoint();
        Ok(())
    }

    /// Keeps a checkpoint that passes every check; `Err` says why it cannot be kept.
    async fn try_resume(
        &mut self,
        mut found: DownloadCheckpoint,
    ) -> std::result::Result<u64, String> {
        // Go before 2.8 wrote no top-level temp path: its temp is in `FileInfo`, or is
        // `<target>.temp`. Either is still only accepted if it is one of the target's.
        if found.temp_file_path.is_empty() {
            found.temp_file_path = if found.file.temp_file_path.is_empty() {
                let mut legacy = self.target.as_os_str().to_owned();
                legacy.push(".temp");
                legacy.to_string_lossy().into_owned()
            } else {
                found.file.temp_file_path.clone()
            };
        }
        // Times are instants: the same one written in another zone is the same condition.
        for time in [
            &mut found.if_modified_since,
            &mut found.if_unmodified_since,
            &mut found.object.last_modified,
        ] {
            if let Ok(at) = time.parse::<jiff::Timestamp>() {
                *time = at.to_string();
            }
        }
        let temp_path = PathBuf::from(&found.temp_file_path);
        if !temp_file::belongs_to(&temp_path, &self.target) {
            return Err(format!(
                "its temp file {:?} is not one of {}",
                found.temp_file_path,
                self.target.display()
            ));
        }
        let mut expected = self.expected_checkpoint(&temp_path);
        expected.parts.clone_from(&found.parts);
        // The top-level path is the one used; `FileInfo`'s copy is informational.
        expected
            .file
            .temp_file_path
            .clone_from(&found.file.temp_file_path);
        if found != expected {
            return Err(self.difference(&found, &expected));
        }
        if !checkpoint::tiles(&found.parts, self.head.size, self.part_size) {
            return Err("its ranges do not tile the object".into());
        }
        if self.renamed_earlier(&found).await {
            self.checkpoint = found;
            self.renamed_earlier = true;
            return Ok(self.head.size);
        }
        let file = temp_file::reopen(&temp_path, self.head.size).await?;
        self.reporter.template.temp_file_path = Some(temp_path.clone());
        self.checkpoint = found;
        self.temp = Some((std::sync::Arc::clone(&file), temp_path));
        let mut kept = 0;
        let mut refetch = Vec::new();
        for (index, range) in self.checkpoint.parts.iter().enumerate() {
            if !range.is_completed {
                continue;
            }
            // Reading back gigabytes takes a while: a pause keeps the ranges not yet
            // proven as they were recorded, for the next run to prove.
            if self.cancel.requested().is_some() {
                break;
            }
            // The cheap proof that the bytes on disk are the ones recorded: a crash without
            // the data on disk, or an edit of the temp file, changes the range's CRC.
            let on_disk = temp_file::crc_of(&file, range.range_start, range.byte_count()).await;
            match on_disk {
                Ok(crc) if crc == range.crc64 && range.crc64 != 0 => kept += range.byte_count(),
                _ => refetch.push(index),
            }
        }
        for index in refetch {
            let range = &mut self.checkpoint.parts[index];
            range.is_completed = false;
            let part = DownloadPartInfo {
                part_number: range.part_number,
                range_start: range.range_start,
                range_end: range.range_end,
                crc64: None,
            };
            let error = UploadError::new(
                ErrorKind::CheckpointIo,
                format!(
                    "range {} of the temp file does not have the CRC-64 the checkpoint records; \
                     it is fetched again",
                    part.part_number
                ),
            );
            self.reporter.event(
                DownloadEventKind::CheckpointDiscarded,
                Some(part),
                Some(error),
            );
        }
        self.reporter
            .event(DownloadEventKind::DownloadResumed, None, None);
        Ok(kept)
    }

    /// Names the first field in which a checkpoint differs from this download.
    fn difference(&self, found: &DownloadCheckpoint, expected: &DownloadCheckpoint) -> String {
        let which = if found.bucket != expected.bucket || found.key != expected.key {
            "another object"
        } else if found.object != expected.object {
            "another version of the object (ETag, size, CRC-64 or time changed)"
        } else if found.file != expected.file {
            "another destination"
        } else if found.part_size != expected.part_size {
            "another part size"
        } else {
            "other conditions, version or SSE-C key"
        };
        format!("it records {which}")
    }
}
