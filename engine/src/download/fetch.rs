//! Range workers: each takes the next range from a shared queue, GETs it into the temp file
//! (paced by the limiter) and tells the coordinator, which owns the callbacks and the
//! checkpoint.

use super::events::RW_BYTES;
use super::temp_file::RangeWriter;
use crate::error::{Result, UploadError};
use crate::rate_limit::{Permit, RateLimiter};
use crate::wire::get_object::{BodySink, ByteRange, ReadOptions};
use crate::wire::{Object, Wire};
use bytes::Bytes;
use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
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
    /// A worker added `RW_BYTES` or more to `FetchContext::received` since its last nudge.
    Received,
    Retry {
        index: usize,
        error: UploadError,
    },
    Done {
        index: usize,
        crc64: u64,
        /// When the worker began the range, for automatic concurrency's rate.
        started: Instant,
    },
    Failed {
        index: usize,
        error: UploadError,
    },
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
    /// How many workers should run; automatic concurrency lowers it to retire some.
    pub target: AtomicUsize,
    /// How many run; the coordinator adds to it before spawning one.
    pub running: AtomicUsize,
    /// Body bytes written and not yet taken by the coordinator. A counter, not a message per
    /// chunk: each message would wake the calling thread, a cross-thread wake per chunk.
    pub received: AtomicU64,
    /// Set by the first slow write: later writes go to the blocking pool (temp_file.rs).
    pub slow_disk: Arc<AtomicBool>,
}

impl FetchContext {
    pub fn take_received(&self) -> u64 {
        self.received.swap(0, Ordering::SeqCst)
    }
}

/// Counts a worker out when it ends for any reason, a cancel included.
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A worker above the target leaves between ranges, never within one; the decrement and
/// the check are one step, so two workers cannot both leave for one slot.
fn retire(ctx: &FetchContext) -> bool {
    ctx.running
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |running| {
            (running > ctx.target.load(Ordering::SeqCst)).then(|| running - 1)
        })
        .is_ok()
}

/// Spawns workers until `tasks` run (or the ranges left are all taken).
pub(crate) fn spawn_up_to(
    tasks: usize,
    ctx: &Arc<FetchContext>,
    workers: &mut tokio::task::JoinSet<()>,
) {
    let waiting = ctx.queue.lock().unwrap_or_else(|e| e.into_inner()).len();
    let running = ctx.running.load(Ordering::SeqCst);
    for _ in running..tasks.min(running + waiting) {
        ctx.running.fetch_add(1, Ordering::SeqCst);
        workers.spawn(run_worker(Arc::clone(ctx)));
    }
}

struct Sink<'a> {
    writer: RangeWriter,
    ctx: &'a FetchContext,
    /// Bytes counted since this worker last nudged the coordinator.
    unannounced: u64,
}

impl BodySink for Sink<'_> {
    async fn accept(&mut self, offset: u64, chunk: Bytes) -> Result<()> {
        let len = chunk.len() as u64;
        self.ctx.pacer.acquire(len).await;
        self.writer.write(offset, chunk).await?;
        self.ctx.received.fetch_add(len, Ordering::SeqCst);
        // Progress is due every RW_BYTES; the coordinator's 100 ms tick reports the rest.
        self.unannounced += len;
        if self.unannounced >= RW_BYTES {
            self.unannounced = 0;
            let _ = self.ctx.to_coordinator.send(RangeMsg::Received);
        }
        Ok(())
    }
}

pub(crate) async fn run_worker(ctx: Arc<FetchContext>) {
    let running = Running(&ctx.running);
    loop {
        if retire(&ctx) {
            std::mem::forget(running);
            return;
        }
        let started = Instant::now();
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
                started,
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
            Arc::clone(&ctx.slow_disk),
            job.range.first,
        ),
        ctx,
        unannounced: 0,
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
