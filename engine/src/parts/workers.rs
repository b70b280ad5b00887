//! Part workers: each takes the next part from a shared queue and sends it through the wire
//! layer, which retries it in place (a fresh stream from the file, re-signed).

use super::messages::WorkerMsg;
use crate::attributes::CreateAttributes;
use crate::wire::file_range::{Feed, FileRange, Limiter};
use crate::wire::{classify, FailureClass, Object, Wire};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

#[derive(Clone)]
pub(crate) struct PartJob {
    pub part_index: usize,
    pub part_number: u32,
    pub range: FileRange,
}

pub(crate) struct WorkerContext {
    pub wire: Arc<Wire>,
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub attributes: Arc<CreateAttributes>,
    pub limiter: Limiter,
    pub to_coordinator: mpsc::UnboundedSender<WorkerMsg>,
    pub queue: Mutex<VecDeque<PartJob>>,
    pub connections: Option<Arc<crate::wire::request_cap::RequestCap>>,
    /// How many workers should run; automatic concurrency lowers it to retire some.
    pub target: AtomicUsize,
    /// How many run; the coordinator adds to it before spawning one.
    pub running: AtomicUsize,
}

/// Counts a worker out when it ends for any reason, an abort included.
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A worker above the target leaves between parts, never in the middle of one. The
/// decrement and the check are one step so two workers cannot both leave for one slot.
fn retire(ctx: &WorkerContext) -> bool {
    ctx.running
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |running| {
            (running > ctx.target.load(Ordering::SeqCst)).then(|| running - 1)
        })
        .is_ok()
}

pub(crate) async fn run_worker(ctx: Arc<WorkerContext>) {
    let running = Running(&ctx.running);
    loop {
        if retire(&ctx) {
            std::mem::forget(running);
            return;
        }
        let Some(job) = ctx
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
        else {
            return;
        };
        let started = std::time::Instant::now();
        let message = match send_part(&ctx, &job).await {
            Ok(part) => WorkerMsg::Done {
                part_index: job.part_index,
                part,
                started,
            },
            Err(error) => WorkerMsg::Failed {
                part_index: job.part_index,
                fatal: classify(&error) == FailureClass::Fatal,
                error,
            },
        };
        // After a part failed for good this worker takes no other: the coordinator is about
        // to empty the queue, and a worker quicker than it would start a part that spends a
        // whole retry budget against the same failing server.
        let failed = matches!(message, WorkerMsg::Failed { .. });
        if ctx.to_coordinator.send(message).is_err() || failed {
            return;
        }
    }
}

async fn send_part(
    ctx: &WorkerContext,
    job: &PartJob,
) -> crate::error::Result<crate::wire::SentPart> {
    let part_index = job.part_index;
    let to_coordinator = ctx.to_coordinator.clone();
    let feed = Feed {
        limiter: ctx.limiter.clone(),
        on_sent: Arc::new(move |bytes_in_part| {
            let _ = to_coordinator.send(WorkerMsg::Sent {
                part_index,
                bytes_in_part,
            });
        }),
        connections: ctx.connections.clone(),
    };
    let on_retry = |error: &crate::error::UploadError| {
        let _ = ctx.to_coordinator.send(WorkerMsg::Retry {
            part_index,
            error: error.clone(),
        });
    };
    let object = Object {
        bucket: &ctx.bucket,
        key: &ctx.key,
    };
    ctx.wire
        .upload_part(
            object,
            &ctx.upload_id,
            job.part_number,
            &ctx.attributes,
            &job.range,
            &feed,
            &on_retry,
        )
        .await
}

/// Cancels in-flight part requests (dropping their connections) and waits until every
/// worker is gone, so no callback can follow.
pub(crate) async fn stop_workers(workers: &mut tokio::task::JoinSet<()>) {
    workers.abort_all();
    while workers.join_next().await.is_some() {}
}
