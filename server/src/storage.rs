//! Object and upload bookkeeping, with two backends: disk (data streamed to files,
//! JSON sidecars so state survives restart) and discard (sizes and CRCs only).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::errors::TosError;
use crate::util::{hex, now_ms, unique_id};

mod complete;
mod versions;

pub use versions::{version_name as versions_name, Deleted, Restore};

pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Unquoted.
    pub etag: String,
    pub crc: u64,
    pub last_modified_ms: u64,
    pub attrs: Vec<(String, String)>,
    /// None: the "null" version (every object of a bucket never versioned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_marker: bool,
    /// RestoreObject's request on an archive object (storage/versions.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<Restore>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartMeta {
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
    pub crc: u64,
    pub last_modified_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadMeta {
    pub key: String,
    pub upload_id: String,
    pub initiated_ms: u64,
    pub attrs: Vec<(String, String)>,
    pub forbid_overwrite: bool,
}

#[derive(Default)]
struct Upload {
    meta: Option<UploadMeta>,
    parts: BTreeMap<u32, PartMeta>,
}

#[derive(Default)]
struct Bucket {
    /// The latest version of each key, unless that is a delete marker.
    objects: BTreeMap<String, ObjectMeta>,
    uploads: BTreeMap<String, Upload>,
    /// Versioned buckets only: each key's older versions and delete markers, newest first.
    /// A key missing from `objects` has a delete marker first here, if anything.
    history: BTreeMap<String, Vec<ObjectMeta>>,
    /// `Enabled` or `Suspended` once PutBucketVersioning was called; None: never versioned.
    versioning: Option<String>,
}

pub struct Store {
    root: Option<PathBuf>,
    buckets: Mutex<BTreeMap<String, Bucket>>,
    /// Discard mode makes MD5 ETags too (`--md5-etags`).
    md5_etags: bool,
}

/// Receives a request body chunk by chunk; hashing happens as data arrives so
/// nothing is ever buffered whole.
pub struct Sink {
    file: Option<BufWriter<fs::File>>,
    tmp: Option<PathBuf>,
    md5: Option<Md5>,
    crc: tos_crc64::Crc64,
    size: u64,
}

pub struct Ingested {
    pub size: u64,
    pub crc: u64,
    pub etag: String,
    /// The body's MD5 when it was computed (disk mode, `--md5-etags`, or asked for).
    pub md5: Option<[u8; 16]>,
    tmp: Option<PathBuf>,
}

impl Sink {
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.crc.update(data);
        if let Some(m) = self.md5.as_mut() {
            m.update(data);
        }
        if let Some(f) = self.file.as_mut() {
            // Writes land in the page cache, so doing them inline is cheaper than
            // bouncing every chunk through a blocking thread pool.
            f.write_all(data)?;
        }
        self.size += data.len() as u64;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<Ingested> {
        if let Some(f) = self.file.take() {
            f.into_inner().map_err(|e| e.into_error())?;
        }
        let crc = self.crc.value();
        // Without MD5 (discard mode, unless `--md5-etags`) the ETag is derived from the CRC to
        // keep CPU low.
        let md5: Option<[u8; 16]> = self.md5.take().map(|m| m.finalize().into());
        let etag = match &md5 {
            Some(m) => hex(m),
            None => format!("{crc:016x}"),
        };
        Ok(Ingested {
            size: self.size,
            crc,
            etag,
            md5,
            tmp: self.tmp.take(),
        })
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(p) = self.tmp.take() {
            let _ = fs::remove_file(p);
        }
    }
}

impl Drop for Ingested {
    fn drop(&mut self) {
        if let Some(p) = self.tmp.take() {
            let _ = fs::remove_file(p);
        }
    }
}

fn key_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

fn write_json(path: &Path, value: &impl Serialize) -> io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, serde_json::to_vec(value)?)?;
    fs::rename(tmp, path)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}

impl Store {
    pub fn open(root: Option<PathBuf>, md5_etags: bool) -> io::Result<Store> {
        let store = Store {
            root,
            buckets: Mutex::new(BTreeMap::new()),
            md5_etags,
        };
        if let Some(root) = &store.root {
            fs::create_dir_all(root)?;
            store.load(root)?;
        }
        Ok(store)
    }

    fn load(&self, root: &Path) -> io::Result<()> {
        let mut buckets = self.buckets.lock().unwrap();
        for entry in fs::read_dir(root)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut bucket = Bucket::default();
            if let Ok(rd) = fs::read_dir(entry.path().join("obj")) {
                for f in rd.flatten() {
                    let p = f.path();
                    if versions::is_history_file(&p) {
                        if let Some(h) = read_json::<Vec<ObjectMeta>>(&p) {
                            if let Some(first) = h.first() {
                                bucket.history.insert(first.key.clone(), h);
                            }
                        }
                    } else if p.extension().is_some_and(|e| e == "json") {
                        if let Some(m) = read_json::<ObjectMeta>(&p) {
                            bucket.objects.insert(m.key.clone(), m);
                        }
                    }
                }
            }
            if let Ok(rd) = fs::read_dir(entry.path().join("up")) {
                for d in rd.flatten() {
                    let Some(meta) = read_json::<UploadMeta>(&d.path().join("upload.json")) else {
                        continue;
                    };
                    let mut up = Upload::default();
                    for f in fs::read_dir(d.path())?.flatten() {
                        let fname = f.file_name().to_string_lossy().into_owned();
                        if fname.starts_with("part-") && fname.ends_with(".json") {
                            if let Some(p) = read_json::<PartMeta>(&f.path()) {
                                up.parts.insert(p.part_number, p);
                            }
                        }
                    }
                    let id = meta.upload_id.clone();
                    up.meta = Some(meta);
                    bucket.uploads.insert(id, up);
                }
            }
            bucket.versioning = read_json(&versions::status_file(&entry.path()));
            // Leftovers from interrupted requests; start each run with an empty tmp.
            let _ = fs::remove_dir_all(entry.path().join("tmp"));
            fs::create_dir_all(entry.path().join("tmp"))?;
            buckets.insert(name, bucket);
        }
        Ok(())
    }

    fn bucket_dir(&self, bucket: &str) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join(bucket))
    }

    pub fn object_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        self.bucket_dir(bucket)
            .map(|d| d.join("obj").join(format!("{}.data", key_hash(key))))
    }

    fn upload_dir(&self, bucket: &str, upload_id: &str) -> Option<PathBuf> {
        self.bucket_dir(bucket)
            .map(|d| d.join("up").join(upload_id))
    }

    pub fn create_bucket(&self, name: &str) -> Result<bool, TosError> {
        let mut buckets = self.buckets.lock().unwrap();
        if buckets.contains_key(name) {
            return Ok(false);
        }
        if let Some(d) = self.bucket_dir(name) {
            for sub in ["obj", "up", "tmp"] {
                fs::create_dir_all(d.join(sub))?;
            }
        }
        buckets.insert(name.to_string(), Bucket::default());
        Ok(true)
    }

    pub fn bucket_exists(&self, name: &str) -> bool {
        self.buckets.lock().unwrap().contains_key(name)
    }

    /// `want_md5`: compute the MD5 even in discard mode (a `Content-MD5` to check).
    pub fn new_sink(&self, bucket: &str, want_md5: bool) -> Result<Sink, TosError> {
        if !self.bucket_exists(bucket) {
            return Err(TosError::no_such_bucket());
        }
        let (file, tmp, md5) = match self.bucket_dir(bucket) {
            Some(d) => {
                let dir = d.join("tmp");
                fs::create_dir_all(&dir)?;
                let p = dir.join(unique_id());
                let f = fs::File::create(&p)?;
                (
                    Some(BufWriter::with_capacity(1 << 20, f)),
                    Some(p),
                    Some(Md5::new()),
                )
            }
            None => (None, None, (self.md5_etags || want_md5).then(Md5::new)),
        };
        Ok(Sink {
            file,
            tmp,
            md5,
            crc: tos_crc64::Crc64::new(),
            size: 0,
        })
    }

    fn with_bucket<T>(
        &self,
        bucket: &str,
        f: impl FnOnce(&mut Bucket) -> Result<T, TosError>,
    ) -> Result<T, TosError> {
        let mut buckets = self.buckets.lock().unwrap();
        let b = buckets
            .get_mut(bucket)
            .ok_or_else(TosError::no_such_bucket)?;
        f(b)
    }

    /// Stores a new latest version of `meta.key` (its version id given here in a versioned
    /// bucket) and answers with its final metadata.
    fn commit_object(
        &self,
        bucket: &str,
        b: &mut Bucket,
        meta: ObjectMeta,
        data: Option<&mut Ingested>,
    ) -> Result<ObjectMeta, TosError> {
        if b.versioning.is_some() {
            return self.commit_version(bucket, b, meta, data);
        }
        if let Some(path) = self.object_path(bucket, &meta.key) {
            if let Some(tmp) = data.and_then(|d| d.tmp.take()) {
                fs::rename(tmp, &path)?;
            }
            write_json(&path.with_extension("json"), &meta)?;
        }
        b.objects.insert(meta.key.clone(), meta.clone());
        Ok(meta)
    }

    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        mut data: Ingested,
        attrs: Vec<(String, String)>,
        forbid_overwrite: bool,
    ) -> Result<ObjectMeta, TosError> {
        self.with_bucket(bucket, |b| {
            if forbid_overwrite && b.objects.contains_key(key) {
                return Err(already_exists());
            }
            let meta = ObjectMeta {
                key: key.to_string(),
                size: data.size,
                etag: data.etag.clone(),
                crc: data.crc,
                last_modified_ms: now_ms(),
                attrs,
                ..Default::default()
            };
            self.commit_object(bucket, b, meta, Some(&mut data))
        })
    }

    pub fn get_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta, TosError> {
        self.with_bucket(bucket, |b| {
            b.objects
                .get(key)
                .cloned()
                .ok_or_else(|| versions::missing(b, key))
        })
    }

    /// Every object of the bucket, in key (byte) order.
    pub fn list_objects(&self, bucket: &str) -> Result<Vec<ObjectMeta>, TosError> {
        self.with_bucket(bucket, |b| Ok(b.objects.values().cloned().collect()))
    }

    /// Removes an empty bucket: one with no object and no open multipart upload (as TOS,
    /// 409 BucketNotEmpty otherwise).
    pub fn delete_bucket(&self, bucket: &str) -> Result<(), TosError> {
        let mut buckets = self.buckets.lock().unwrap();
        let b = buckets.get(bucket).ok_or_else(TosError::no_such_bucket)?;
        if !b.objects.is_empty() || !b.uploads.is_empty() || !b.history.is_empty() {
            return Err(TosError::new(
                409,
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty.",
            ));
        }
        if let Some(d) = self.bucket_dir(bucket) {
            fs::remove_dir_all(d)?;
        }
        buckets.remove(bucket);
        Ok(())
    }

    /// Deletes `key`'s latest version, or the version named (docs/protocol.md §7.11).
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<Deleted, TosError> {
        self.with_bucket(bucket, |b| {
            if version.is_some() || b.versioning.is_some() {
                return self.delete_version(bucket, b, key, version);
            }
            if b.objects.remove(key).is_some() {
                if let Some(p) = self.object_path(bucket, key) {
                    let _ = fs::remove_file(p.with_extension("json"));
                    let _ = fs::remove_file(p);
                }
            }
            Ok(Deleted::default())
        })
    }

    pub fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: Vec<(String, String)>,
        forbid_overwrite: bool,
    ) -> Result<UploadMeta, TosError> {
        self.with_bucket(bucket, |b| {
            let meta = UploadMeta {
                key: key.to_string(),
                upload_id: unique_id(),
                initiated_ms: now_ms(),
                attrs,
                forbid_overwrite,
            };
            if let Some(d) = self.upload_dir(bucket, &meta.upload_id) {
                fs::create_dir_all(&d)?;
                write_json(&d.join("upload.json"), &meta)?;
            }
            b.uploads.insert(
                meta.upload_id.clone(),
                Upload {
                    meta: Some(meta.clone()),
                    parts: BTreeMap::new(),
                },
            );
            Ok(meta)
        })
    }

    fn upload<'a>(
        b: &'a mut Bucket,
        key: &str,
        upload_id: &str,
    ) -> Result<&'a mut Upload, TosError> {
        match b.uploads.get_mut(upload_id) {
            Some(u) if u.meta.as_ref().is_some_and(|m| m.key == key) => Ok(u),
            _ => Err(TosError::no_such_upload()),
        }
    }

    /// Fails early, before the body is read, when the upload does not exist.
    pub fn check_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), TosError> {
        self.with_bucket(bucket, |b| Self::upload(b, key, upload_id).map(|_| ()))
    }

    pub fn put_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        mut data: Ingested,
    ) -> Result<PartMeta, TosError> {
        self.with_bucket(bucket, |b| {
            let up = Self::upload(b, key, upload_id)?;
            let part = PartMeta {
                part_number,
                size: data.size,
                etag: data.etag.clone(),
                crc: data.crc,
                last_modified_ms: now_ms(),
            };
            if let Some(d) = self.upload_dir(bucket, upload_id) {
                if let Some(tmp) = data.tmp.take() {
                    fs::rename(tmp, d.join(format!("part-{part_number}.data")))?;
                }
                write_json(&d.join(format!("part-{part_number}.json")), &part)?;
            }
            up.parts.insert(part_number, part.clone());
            Ok(part)
        })
    }

    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(UploadMeta, Vec<PartMeta>), TosError> {
        self.with_bucket(bucket, |b| {
            let up = Self::upload(b, key, upload_id)?;
            Ok((
                up.meta.clone().unwrap(),
                up.parts.values().cloned().collect(),
            ))
        })
    }

    pub fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), TosError> {
        self.with_bucket(bucket, |b| {
            Self::upload(b, key, upload_id)?;
            b.uploads.remove(upload_id);
            if let Some(d) = self.upload_dir(bucket, upload_id) {
                let _ = fs::remove_dir_all(d);
            }
            Ok(())
        })
    }

    pub fn list_uploads(&self, bucket: &str, prefix: &str) -> Result<Vec<UploadMeta>, TosError> {
        self.with_bucket(bucket, |b| {
            let mut v: Vec<UploadMeta> = b
                .uploads
                .values()
                .filter_map(|u| u.meta.clone())
                .filter(|m| m.key.starts_with(prefix))
                .collect();
            v.sort_by(|a, b| {
                (&a.key, a.initiated_ms, &a.upload_id).cmp(&(&b.key, b.initiated_ms, &b.upload_id))
            });
            Ok(v)
        })
    }
}

fn already_exists() -> TosError {
    TosError::new(
        409,
        "FileAlreadyExists",
        "the object already exists and overwrite is forbidden",
    )
}
