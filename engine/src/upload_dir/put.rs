//! A small file in one PutObject, through the same file-range sender as a part (rate limited,
//! CRC checked, retried in place). Progress and the user's limiter are served here, on the
//! thread that runs the folder upload's callbacks.

use super::dir_reporter::{lock, SharedReporter};
use crate::attributes::CreateAttributes;
use crate::cancel::CancelHook;
use crate::error::{ErrorKind, Result, UploadError};
use crate::wire::file_range::{Feed, FileRange, Limiter};
use crate::wire::protocol::ObjectReceipt;
use crate::wire::{Object, Wire};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};

pub(super) struct PutContext {
    pub wire: Arc<Wire>,
    pub bucket: String,
    pub attributes: CreateAttributes,
    pub connections: Arc<Semaphore>,
    pub reporter: SharedReporter,
    pub cancel: CancelHook,
}

pub(super) async fn put_file(ctx: &PutContext, path: &Path, key: &str) -> Result<ObjectReceipt> {
    // As for a single file: never blocks on a FIFO swapped in since the walk, and refuses a
    // file whose stat size of 0 hides content (it would become an empty object).
    let (file, identity) = crate::upload::validate::open_source(path)?;
    let size = identity.size;
    let range = FileRange {
        source: Arc::new(file).into(),
        offset: 0,
        size,
    };
    let (ask_limiter, mut acquire_requests) = mpsc::unbounded_channel();
    let limiter = {
        let reporter = lock(&ctx.reporter);
        if reporter.has_acquire() {
            Limiter::Callback(ask_limiter)
        } else {
            reporter
                .shared_limiter()
                .map_or(Limiter::None, Limiter::Shared)
        }
    };
    let (report_sent, mut sent) = mpsc::unbounded_channel();
    let feed = Feed {
        limiter,
        on_sent: Arc::new(move |bytes| {
            let _ = report_sent.send(bytes);
        }),
        connections: Some(Arc::clone(&ctx.connections)),
    };
    let object = Object {
        bucket: &ctx.bucket,
        key,
    };
    let put = ctx.wire.put_object(object, &ctx.attributes, &range, &feed);
    tokio::pin!(put);
    // Bytes of this file already added to the aggregate, so a retried attempt counts once.
    let mut counted = 0;
    let receipt = loop {
        tokio::select! {
            receipt = &mut put => break receipt?,
            Some(bytes) = sent.recv() => {
                if bytes > counted {
                    lock(&ctx.reporter).add_bytes(bytes - counted);
                    counted = bytes;
                }
            }
            Some(ask) = acquire_requests.recv() => {
                let _ = ask.reply.send(lock(&ctx.reporter).acquire(ask.want));
            }
            _ = ctx.cancel.cancelled() => {
                return Err(UploadError::new(ErrorKind::Paused, "stopped by the cancel hook"));
            }
        }
    };
    if size > counted {
        lock(&ctx.reporter).add_bytes(size - counted);
    }
    Ok(receipt)
}
