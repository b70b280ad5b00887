//! Bucket versioning in the store (docs/protocol.md §7.11). A bucket never versioned keeps
//! the plain layout: `obj/<hash>.json` and `<hash>.data`. Once versioning is set, each key's
//! latest version stays there (its data at `<hash>.<version>.data` unless it is the "null"
//! version) and its older versions and delete markers are listed, newest first, in
//! `obj/<hash>.versions.json`. The status is `versioning.json` in the bucket's folder.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{key_hash, write_json, Bucket, Ingested, ObjectMeta, Store};
use crate::errors::TosError;
use crate::util::{now_ms, unique_id};

/// What a DeleteObject did: the version it removed or the delete marker it wrote.
#[derive(Debug, Default, Clone)]
pub struct Deleted {
    pub version_id: Option<String>,
    pub delete_marker: bool,
}

/// A RestoreObject request on an archive object: when, for how many days, at which tier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restore {
    pub requested_ms: u64,
    pub days: u32,
    pub tier: String,
}

pub fn is_history_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".versions.json"))
}

pub fn status_file(bucket_dir: &Path) -> PathBuf {
    bucket_dir.join("versioning.json")
}

/// The answer to a read of a key whose latest version is a delete marker, or of no key.
pub fn missing(b: &Bucket, key: &str) -> TosError {
    let marker = b
        .history
        .get(key)
        .and_then(|h| h.first())
        .filter(|m| m.delete_marker);
    match marker {
        Some(m) => TosError::no_such_key()
            .with_header("x-tos-delete-marker", "true")
            .with_header("x-tos-version-id", version_name(&m.version_id)),
        None => TosError::no_such_key(),
    }
}

/// "null" names the version an unversioned write made.
pub fn version_name(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "null".to_string())
}

fn wanted(version: &str) -> Option<String> {
    (version != "null").then(|| version.to_string())
}

impl Store {
    /// Where a version's bytes are: the plain path for the "null" version.
    pub fn data_path(&self, bucket: &str, meta: &ObjectMeta) -> Option<PathBuf> {
        let dir = self.bucket_dir(bucket)?.join("obj");
        let hash = key_hash(&meta.key);
        Some(match &meta.version_id {
            None => dir.join(format!("{hash}.data")),
            Some(v) => dir.join(format!("{hash}.{v}.data")),
        })
    }

    pub fn versioning(&self, bucket: &str) -> Result<Option<String>, TosError> {
        self.with_bucket(bucket, |b| Ok(b.versioning.clone()))
    }

    pub fn set_versioning(&self, bucket: &str, status: &str) -> Result<(), TosError> {
        self.with_bucket(bucket, |b| {
            if let Some(d) = self.bucket_dir(bucket) {
                write_json(&status_file(&d), &status)?;
            }
            b.versioning = Some(status.to_string());
            Ok(())
        })
    }

    /// Writes the key's two metadata files to match the bucket's state.
    fn persist_key(&self, bucket: &str, b: &Bucket, key: &str) -> Result<(), TosError> {
        let Some(dir) = self.bucket_dir(bucket) else {
            return Ok(());
        };
        let base = dir.join("obj").join(key_hash(key));
        let current = base.with_extension("json");
        match b.objects.get(key) {
            Some(m) => write_json(&current, m)?,
            None => {
                let _ = fs::remove_file(&current);
            }
        }
        let history = base.with_extension("versions.json");
        match b.history.get(key) {
            Some(h) if !h.is_empty() => write_json(&history, h)?,
            _ => {
                let _ = fs::remove_file(&history);
            }
        }
        Ok(())
    }

    fn drop_data(&self, bucket: &str, meta: &ObjectMeta) {
        if let Some(p) = self.data_path(bucket, meta).filter(|_| !meta.delete_marker) {
            let _ = fs::remove_file(p);
        }
    }

    /// Moves the latest version into the history before a newer one is written. A write
    /// that makes a "null" version (versioning suspended) replaces the old "null" one.
    fn archive_latest(&self, bucket: &str, b: &mut Bucket, key: &str, new_is_null: bool) {
        let history = b.history.entry(key.to_string()).or_default();
        if new_is_null {
            history.retain(|m| {
                let keep = m.version_id.is_some();
                if !keep {
                    self.drop_data(bucket, m);
                }
                keep
            });
        }
        if let Some(cur) = b.objects.remove(key) {
            if new_is_null && cur.version_id.is_none() {
                self.drop_data(bucket, &cur);
            } else {
                history.insert(0, cur);
            }
        }
        if history.is_empty() {
            b.history.remove(key);
        }
    }

    pub(super) fn commit_version(
        &self,
        bucket: &str,
        b: &mut Bucket,
        mut meta: ObjectMeta,
        data: Option<&mut Ingested>,
    ) -> Result<ObjectMeta, TosError> {
        let enabled = b.versioning.as_deref() == Some("Enabled");
        meta.version_id = enabled.then(unique_id);
        let key = meta.key.clone();
        // The bytes go in first: a write that fails here leaves the old version latest.
        if let (Some(path), Some(tmp)) = (
            self.data_path(bucket, &meta),
            data.and_then(|d| d.tmp.take()),
        ) {
            if meta.version_id.is_none() {
                // The old "null" version's bytes are at this path; keep them until it moves.
                let staged = path.with_extension("incoming");
                fs::rename(tmp, &staged)?;
                self.archive_latest(bucket, b, &key, true);
                fs::rename(staged, &path)?;
            } else {
                fs::rename(tmp, &path)?;
                self.archive_latest(bucket, b, &key, false);
            }
        } else {
            self.archive_latest(bucket, b, &key, !enabled);
        }
        b.objects.insert(key.clone(), meta.clone());
        self.persist_key(bucket, b, &key)?;
        Ok(meta)
    }

    /// DeleteObject in a versioned bucket, or of a named version in any bucket. A version
    /// that is not there counts as deleted, as a missing key does.
    pub(super) fn delete_version(
        &self,
        bucket: &str,
        b: &mut Bucket,
        key: &str,
        version: Option<&str>,
    ) -> Result<Deleted, TosError> {
        let Some(version) = version else {
            let enabled = b.versioning.as_deref() == Some("Enabled");
            let marker = ObjectMeta {
                key: key.to_string(),
                last_modified_ms: now_ms(),
                version_id: enabled.then(unique_id),
                delete_marker: true,
                ..Default::default()
            };
            self.archive_latest(bucket, b, key, !enabled);
            let out = Deleted {
                version_id: Some(version_name(&marker.version_id)),
                delete_marker: true,
            };
            b.history
                .entry(key.to_string())
                .or_default()
                .insert(0, marker);
            self.persist_key(bucket, b, key)?;
            return Ok(out);
        };
        let want = wanted(version);
        let mut out = Deleted {
            version_id: Some(version.to_string()),
            delete_marker: false,
        };
        if b.objects.get(key).is_some_and(|m| m.version_id == want) {
            if let Some(cur) = b.objects.remove(key) {
                self.drop_data(bucket, &cur);
            }
        } else if let Some(h) = b.history.get_mut(key) {
            if let Some(i) = h.iter().position(|m| m.version_id == want) {
                let removed = h.remove(i);
                out.delete_marker = removed.delete_marker;
                self.drop_data(bucket, &removed);
            }
        }
        // The newest version left becomes the latest, unless it is a delete marker.
        if !b.objects.contains_key(key) {
            if let Some(h) = b.history.get_mut(key) {
                if h.first().is_some_and(|m| !m.delete_marker) {
                    let next = h.remove(0);
                    b.objects.insert(key.to_string(), next);
                }
            }
        }
        if b.history.get(key).is_some_and(|h| h.is_empty()) {
            b.history.remove(key);
        }
        if b.versioning.is_none() && !b.history.contains_key(key) {
            // The plain layout: `delete_object`'s files, nothing more.
            if let (Some(p), false) = (self.object_path(bucket, key), b.objects.contains_key(key)) {
                let _ = fs::remove_file(p.with_extension("json"));
            }
            return Ok(out);
        }
        self.persist_key(bucket, b, key)?;
        Ok(out)
    }

    /// One version of a key, "null" naming the unversioned one. A delete marker cannot be
    /// read (405, as TOS answers).
    pub fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version: &str,
    ) -> Result<ObjectMeta, TosError> {
        let want = wanted(version);
        self.with_bucket(bucket, |b| {
            let found = b
                .objects
                .get(key)
                .filter(|m| m.version_id == want)
                .or_else(|| b.history.get(key)?.iter().find(|m| m.version_id == want));
            match found {
                Some(m) if m.delete_marker => Err(TosError::new(
                    405,
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                )
                .with_header("x-tos-delete-marker", "true")
                .with_header("x-tos-version-id", version.to_string())),
                Some(m) => Ok(m.clone()),
                None => Err(TosError::new(
                    404,
                    "NoSuchVersion",
                    "The specified version does not exist.",
                )),
            }
        })
    }

    /// Every key's versions, newest first (delete markers among them), in key order.
    pub fn list_versions(&self, bucket: &str) -> Result<Vec<Vec<ObjectMeta>>, TosError> {
        self.with_bucket(bucket, |b| {
            let mut keys: Vec<&String> = b.objects.keys().chain(b.history.keys()).collect();
            keys.sort();
            keys.dedup();
            Ok(keys
                .into_iter()
                .map(|k| {
                    let mut all: Vec<ObjectMeta> = b.objects.get(k).cloned().into_iter().collect();
                    all.extend(b.history.get(k).into_iter().flatten().cloned());
                    all
                })
                .filter(|v| !v.is_empty())
                .collect())
        })
    }

    /// Changes the stored metadata of the latest version of `key` (or of `version`).
    pub fn update_meta<T>(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        f: impl FnOnce(&mut ObjectMeta) -> Result<T, TosError>,
    ) -> Result<T, TosError> {
        self.with_bucket(bucket, |b| {
            let meta = match version.map(wanted) {
                None => b.objects.get_mut(key),
                Some(want) => match b.objects.get_mut(key).filter(|m| m.version_id == want) {
                    Some(m) => Some(m),
                    None => b
                        .history
                        .get_mut(key)
                        .and_then(|h| h.iter_mut().find(|m| m.version_id == want)),
                },
            };
            let meta = meta.ok_or_else(TosError::no_such_key)?;
            let out = f(meta)?;
            if b.versioning.is_some() || b.history.contains_key(key) {
                self.persist_key(bucket, b, key)?;
            } else if let Some(p) = self.object_path(bucket, key) {
                if let Some(m) = b.objects.get(key) {
                    write_json(&p.with_extension("json"), m)?;
                }
            }
            Ok(out)
        })
    }
}
