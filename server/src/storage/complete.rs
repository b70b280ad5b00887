//! CompleteMultipartUpload's side of the store: the part list checked, the parts assembled
//! into the object outside the lock, the multipart ETag.

use std::fs;
use std::io::{self, BufWriter};
use std::path::PathBuf;

use md5::{Digest, Md5};

use super::{already_exists, Ingested, ObjectMeta, PartMeta, Store, MIN_PART_SIZE};
use crate::errors::TosError;
use crate::util::{hex, now_ms, unique_id};

fn multipart_etag(parts: &[PartMeta]) -> String {
    let mut m = Md5::new();
    for p in parts {
        let mut bin = [0u8; 16];
        let ok = p.etag.len() == 32
            && (0..16).all(
                |i| match u8::from_str_radix(&p.etag[2 * i..2 * i + 2], 16) {
                    Ok(b) => {
                        bin[i] = b;
                        true
                    }
                    Err(_) => false,
                },
            );
        if ok {
            m.update(bin);
        } else {
            m.update(p.etag.as_bytes());
        }
    }
    format!("{}-{}", hex(&m.finalize()), parts.len())
}

impl Store {
    /// Validates the part list, assembles the object, then swaps it in. Assembly
    /// runs outside the lock so a large Complete does not stall other requests.
    pub async fn complete(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        requested: Option<Vec<(u32, String)>>,
    ) -> Result<(ObjectMeta, Vec<PartMeta>), TosError> {
        let (meta, parts) = self.with_bucket(bucket, |b| {
            let up = Self::upload(b, key, upload_id)?;
            let meta = up.meta.clone().unwrap();
            let parts: Vec<PartMeta> = match requested {
                None => up.parts.values().cloned().collect(),
                Some(mut req) => {
                    req.sort_by_key(|(n, _)| *n);
                    let mut out = Vec::with_capacity(req.len());
                    for (i, (n, etag)) in req.iter().enumerate() {
                        if i > 0 && req[i - 1].0 == *n {
                            return Err(TosError::new(
                                400,
                                "InvalidPartOrder",
                                format!("part {n} listed twice"),
                            ));
                        }
                        let etag = etag.trim().trim_matches('"');
                        match up.parts.get(n) {
                            Some(p) if p.etag.eq_ignore_ascii_case(etag) => out.push(p.clone()),
                            _ => {
                                return Err(TosError::new(
                                    400,
                                    "InvalidPart",
                                    format!("part {n} was not uploaded or its ETag does not match"),
                                ))
                            }
                        }
                    }
                    out
                }
            };
            if parts.is_empty() {
                return Err(TosError::new(400, "InvalidRequest", "no parts to complete"));
            }
            if let Some(p) = parts[..parts.len() - 1]
                .iter()
                .find(|p| p.size < MIN_PART_SIZE)
            {
                return Err(TosError::new(
                    400,
                    "EntityTooSmall",
                    format!(
                        "part {} is smaller than the minimum allowed size",
                        p.part_number
                    ),
                ));
            }
            if meta.forbid_overwrite && b.objects.contains_key(key) {
                return Err(already_exists());
            }
            Ok((meta, parts))
        })?;

        let mut crc_all = 0u64;
        let mut size = 0u64;
        for p in &parts {
            crc_all = tos_crc64::combine(crc_all, p.crc, p.size);
            size += p.size;
        }
        let mut assembled = None;
        if let (Some(updir), Some(bdir)) =
            (self.upload_dir(bucket, upload_id), self.bucket_dir(bucket))
        {
            let tmp = bdir.join("tmp").join(unique_id());
            let files: Vec<PathBuf> = parts
                .iter()
                .map(|p| updir.join(format!("part-{}.data", p.part_number)))
                .collect();
            let out = tmp.clone();
            tokio::task::spawn_blocking(move || -> io::Result<()> {
                let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(&out)?);
                for f in files {
                    io::copy(&mut fs::File::open(f)?, &mut w)?;
                }
                w.into_inner().map_err(|e| e.into_error())?;
                Ok(())
            })
            .await
            .map_err(|e| TosError::internal(e.to_string()))??;
            assembled = Some(Ingested {
                size,
                crc: crc_all,
                etag: String::new(),
                md5: None,
                tmp: Some(tmp),
            });
        }

        self.with_bucket(bucket, |b| {
            Self::upload(b, key, upload_id)?;
            if meta.forbid_overwrite && b.objects.contains_key(key) {
                return Err(already_exists());
            }
            let obj = ObjectMeta {
                key: key.to_string(),
                size,
                etag: multipart_etag(&parts),
                crc: crc_all,
                last_modified_ms: now_ms(),
                attrs: meta.attrs.clone(),
                ..Default::default()
            };
            let obj = self.commit_object(bucket, b, obj, assembled.as_mut())?;
            b.uploads.remove(upload_id);
            if let Some(d) = self.upload_dir(bucket, upload_id) {
                let _ = fs::remove_dir_all(d);
            }
            Ok((obj, parts))
        })
    }
}
