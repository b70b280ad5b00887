//! A run stopped between renaming its finished temp file over the destination and removing
//! its checkpoint (a kill, a power cut) leaves a checkpoint that records every range done and
//! names a temp file that is gone. Discarding it, as any checkpoint without its temp file is,
//! fetched the whole object again; the download kill loop (tests/c/download_kill_loop.py)
//! found that window open, the directory's fsync between the two steps making it wide. So when
//! the destination holds, range by range, the CRC-64s the checkpoint recorded, the download is
//! recognised as done (docs/download.md §4) and nothing is fetched.

use super::checkpoint::DownloadCheckpoint;
use super::request::DownloadFileOutput;
use super::{output, temp_file, Session};
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

impl Session {
    pub(super) async fn renamed_earlier(&self, found: &DownloadCheckpoint) -> bool {
        // A range without a CRC proves nothing (try_resume refetches it too).
        if !found
            .parts
            .iter()
            .all(|range| range.is_completed && range.crc64 != 0)
        {
            return false;
        }
        let (temp, target, size) = (
            PathBuf::from(&found.temp_file_path),
            self.target.clone(),
            self.head.size,
        );
        let opened = temp_file::blocking(move || {
            if std::fs::symlink_metadata(&temp).is_ok() {
                return Ok(None);
            }
            let metadata = std::fs::symlink_metadata(&target)?;
            if !metadata.file_type().is_file() || metadata.len() != size {
                return Ok(None);
            }
            Ok(Some(File::open(&target)?))
        })
        .await;
        let Ok(Some(file)) = opened else {
            return false;
        };
        let file = Arc::new(file);
        for range in &found.parts {
            match temp_file::crc_of(&file, range.range_start, range.byte_count()).await {
                Ok(crc) if crc == range.crc64 => {}
                _ => return false,
            }
        }
        true
    }

    /// The checkpoint goes, as after the rename; the output says nothing was fetched.
    pub(super) fn finish_renamed_earlier(&mut self) -> DownloadFileOutput {
        self.remove_finished_checkpoint();
        let mut combined: Option<u64> = None;
        for range in &self.checkpoint.parts {
            combined = Some(match combined {
                None => range.crc64,
                Some(acc) => tos_crc64::combine(acc, range.crc64, range.byte_count()),
            });
        }
        let checked = self
            .head
            .crc64
            .filter(|crc| self.wire.verifies_crc() && Some(*crc) == combined.or(Some(0)));
        log::info!(
            "{}/{}: the destination {} already holds the object (an earlier run was stopped \
             after its rename); its checkpoint is removed and nothing is fetched",
            self.request.bucket,
            self.request.key,
            self.target.display()
        );
        self.reporter.succeeded();
        output(&self.request, &self.head, 0, self.target.clone(), checked)
    }
}
