//! When the checkpoint is rewritten while parts finish. Up to `SAVE_EVERY_PART_UP_TO` parts it
//! is saved after every part. A larger one (about 100 bytes a part) is saved at most once per
//! `COALESCED_INTERVAL`: rewriting it whole, with its fsyncs, after each of 8,778 parts wrote
//! about 8 GB of JSON for one 60 GiB file. A kill then loses at most the parts finished since
//! the last save, and a resume gets those back without sending them again: ListParts shows
//! them, and each is checked against the MD5 of the file's bytes
//! (`resume::adopt_unrecorded_parts`). Whatever waits is saved when the parts end, however
//! they end.

use std::time::{Duration, Instant};

pub const SAVE_EVERY_PART_UP_TO: usize = 1000;
pub const COALESCED_INTERVAL: Duration = Duration::from_secs(1);

pub struct SavePolicy {
    every_part: bool,
    last_save: Instant,
    unsaved: bool,
}

impl SavePolicy {
    pub fn new(parts: usize, now: Instant) -> SavePolicy {
        SavePolicy {
            every_part: parts <= SAVE_EVERY_PART_UP_TO,
            last_save: now,
            unsaved: false,
        }
    }

    /// A part finished at `now`: whether to save now (else it waits, as `unsaved`).
    pub fn part_done(&mut self, now: Instant) -> bool {
        let due = self.every_part || now.duration_since(self.last_save) >= COALESCED_INTERVAL;
        self.unsaved = !due;
        due
    }

    pub fn saved(&mut self, now: Instant) {
        self.last_save = now;
        self.unsaved = false;
    }

    /// Finished parts the checkpoint on disk does not list yet.
    pub fn unsaved(&self) -> bool {
        self.unsaved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_uploads_save_after_every_part() {
        let start = Instant::now();
        let mut policy = SavePolicy::new(SAVE_EVERY_PART_UP_TO, start);
        for _ in 0..5 {
            assert!(policy.part_done(start));
            policy.saved(start);
            assert!(!policy.unsaved());
        }
    }

    #[test]
    fn large_uploads_save_once_per_interval_and_remember_what_waits() {
        let start = Instant::now();
        let mut policy = SavePolicy::new(SAVE_EVERY_PART_UP_TO + 1, start);
        assert!(!policy.part_done(start + Duration::from_millis(10)));
        assert!(policy.unsaved());
        assert!(!policy.part_done(start + COALESCED_INTERVAL / 2));
        let due_at = start + COALESCED_INTERVAL;
        assert!(policy.part_done(due_at));
        policy.saved(due_at);
        assert!(!policy.unsaved());
        assert!(!policy.part_done(due_at + Duration::from_millis(1)));
        assert!(policy.unsaved());
    }
}
