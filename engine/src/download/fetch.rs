//! Range workers: each takes the next range from a shared queue, GETs it into the temp file
//! (paced by the limiter) and tells the coordinator, which owns the callbacks and the
//! checkpoint.

use super::temp_file::RangeWriter;
use crate::error::{Result, UploadError};
use crate::rate_limit::{Permit, RateLimiter};
use crate::wire::get_object::{BodySink, ByteRange, ReadOptions};
use crate::wire::{Object, Wire};
use bytes::Bytes;
use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

pub(crate) struct AcquireAsk {
    pub want: u64,
    pub reply: oneshot::Sender<Permit>,
}

#[derive(Clone)]
pub(crate) enum Pacer {
    None,
    Shared(Arc<dyn RateLimiter>),
    /// The user's callback, answered by the coordinator on the calling thread.
    Callback(mpsc::UnboundedSender<AcquireAsk>),
}

impl Pacer {
    async fn acquire(&self, want: u64) {
        loop {
            let permit = match self {
                Pacer::None => return,
                Pacer::Shared(limiter) => limiter.acquire(want),
                Pacer::Callback(ask) => {
                    let (reply, answer) = oneshot::channel();
                    if ask.send(AcquireAsk { want, reply }).is_err() {
                        return;
                    }
                    answer.await.unwrap_or(Permit::Granted)
                }
            };
            match permit {
                Permit::Granted => return,
                Permit::GrantedAfter(wait) => return tokio::time::sleep(wait).await,
                Permit::RetryAfter(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

pub(crate) enum RangeMsg {
    Received(u64),
    Retry { index: usize, error: UploadError },
    Done { index: usize, crc64: u64 },
    Failed { index: usize, error: UploadError },
}

pub(crate) struct RangeJob {
    pub index: usize,
    pub range: ByteRange,
}

pub(crate) struct FetchContext {
    pub wire: Arc<Wire>,
    pub bucket: String,
    pub key: String,
    pub options: ReadOptions,
    pub file: Arc<File>,
    pub temp_path: Arc<PathBuf>,
    pub pacer: Pacer,
    pub queue: Mutex<VecDeque<RangeJob>>,
    pub to_coordinator: mpsc::UnboundedSender<RangeMsg>,
}

struct Sink<'a> {
    writer: RangeWriter,
    pacer: &'a Pacer,
    to_coordinator: &'a mpsc::UnboundedSender<RangeMsg>,
}

impl BodySink for Sink<'_> {
    async fn accept(&mut self, offset: u64, chunk: Bytes) -> Result<()> {
        self.pacer.acquire(chunk.len() as u64).await;
        self.writer.write(offset, &chunk).await?;
        let _ = self
            .to_coordinator
            .send(RangeMsg::Received(chunk.len() as u64));
        Ok(())
    }
}

pub(crate) async fn run_worker(ctx: Arc<FetchContext>) {
    loop {
        let job = ctx
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let Some(job) = job else { return };
        let message = match fetch(&ctx, &job).await {
            Ok(crc64) => RangeMsg::Done {
                index: job.index,
                crc64,
            },
            Err(error) => RangeMsg::Failed {
                index: job.index,
                error,
            },
        };
        let failed = matches!(message, RangeMsg::Failed { .. });
        if ctx.to_coordinator.send(message).is_err() || failed {
            return;
        }
    }
}

async fn fetch(ctx: &FetchContext, job: &RangeJob) -> Result<u64> {
    let mut sink = Sink {
        writer: RangeWriter::new(
            Arc::clone(&ctx.file),
            Arc::clone(&ctx.temp_path),
            job.range.first,
        ),
        pacer: &ctx.pacer,
        to_coordinator: &ctx.to_coordinator,
    };
    let on_retry = |error: &UploadError| {
        let _ = ctx.to_coordinator.send(RangeMsg::Retry {
            index: job.index,
            error: error.clone(),
        });
    };
    let object = Object {
        bucket: &ctx.bucket,
        key: &ctx.key,
    };
    ctx.wire
        .get_range(object, &ctx.options, job.range, &mut sink, &on_retry)
        .await?;
    sink.writer.finish().await
}
