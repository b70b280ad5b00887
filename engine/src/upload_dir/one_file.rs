//! One file of a folder upload: skipped when `skip_existing` finds it on the server, else a
//! small file in one PutObject or a large one through the resumable multipart path, both under
//! the folder's connection cap, limiter and aggregate progress.

use super::dir_reporter::{self, lock};
use super::{FileTask, Sent, Shared};
use crate::error::Result;
use crate::events::Observers;
use crate::parts::whole_object::{self, SinglePut};
use crate::upload::file_request::UploadFileRequest;
use crate::upload::{self, SharedLimits};
use crate::wire::protocol::ObjectReceipt;
use crate::wire::request_cap::RequestCap;
use crate::wire::Object;
use std::path::PathBuf;
use std::sync::Arc;

impl Shared {
    pub(super) async fn upload_unless_there(
        &self,
        task: &FileTask,
        connections: Arc<RequestCap>,
    ) -> Result<Sent> {
        if self.request.skip_existing {
            if let Some(head) = self.existing_copy(task).await? {
                return Ok(Sent::AlreadyThere(ObjectReceipt {
                    etag: head.etag,
                    crc64: head.crc64,
                    ..ObjectReceipt::default()
                }));
            }
        }
        let receipt = if task.identity.size < self.part_size {
            self.put_small(task).await?
        } else {
            self.multipart(task, connections).await?
        };
        Ok(Sent::Uploaded(receipt))
    }

    async fn put_small(&self, task: &FileTask) -> Result<ObjectReceipt> {
        // As for a single file: never blocks on a FIFO swapped in since the walk, and refuses a
        // file whose stat size of 0 hides content (it would become an empty object).
        let opened = task.opened.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (file, identity) = match opened {
            Some(opened) => opened?,
            // Every small file is opened ahead with its batch; should one come without, it is
            // opened here rather than failed.
            None => upload::validate::open_regular(&task.path)?,
        };
        let put = SinglePut {
            wire: &self.wire,
            object: Object {
                bucket: &self.request.bucket,
                key: &task.key,
            },
            attributes: &self.request.attributes,
            source: Arc::new(file).into(),
            size: identity.size,
            connections: Some(Arc::clone(&self.connections)),
            cancel: &self.cancel,
        };
        whole_object::put_object(put, &mut dir_reporter::PutProgress(&self.reporter)).await
    }

    async fn multipart(
        &self,
        task: &FileTask,
        connections: Arc<RequestCap>,
    ) -> Result<ObjectReceipt> {
        let request = UploadFileRequest {
            bucket: self.request.bucket.clone(),
            key: task.key.clone(),
            file_path: task.path.clone(),
            part_size: self.part_size,
            task_num: self.request.task_num,
            enable_checkpoint: self.request.checkpoint_dir.is_some(),
            // A trailing separator makes it a directory, with the Go SDK's file names inside.
            checkpoint_file: self.request.checkpoint_dir.as_ref().map(|d| {
                let mut dir = d.clone().into_os_string();
                dir.push("/");
                PathBuf::from(dir)
            }),
            attributes: self.request.attributes.clone(),
            cancel: Some(self.cancel.clone()),
            // The folder upload decided by size already.
            multipart_threshold: 0,
            force_multipart: true,
        };
        let reporter = Arc::clone(&self.reporter);
        let mut counted = 0;
        let progress_reporter = Arc::clone(&reporter);
        let (acquire_sink, shared_limiter) = {
            let r = lock(&reporter);
            (r.acquire_sink(), r.shared_limiter())
        };
        let observers = Observers {
            progress: Some(Box::new(move |status| {
                if status.consumed_bytes > counted {
                    lock(&progress_reporter).add_bytes(status.consumed_bytes - counted);
                    counted = status.consumed_bytes;
                }
            })),
            event: None,
            acquire: None,
            shared_limiter,
        };
        let limits = SharedLimits {
            connection_cap: self.max_connections,
            connections: Some(connections),
            leave_checkpoint: true,
            acquire_sink,
        };
        let wire = Arc::clone(&self.wire);
        let out = upload::upload_file(wire, request, observers, limits).await?;
        Ok(ObjectReceipt {
            etag: out.etag,
            location: out.location,
            version_id: out.version_id,
            crc64: Some(out.crc64),
            // The upload checked it against the parts' already.
            crc64_nvme: None,
            request_id: out.request_id,
        })
    }
}
