//! Small files are opened ahead, a batch of the walk at a time, on a blocking thread: an open
//! can hang in a hung network file system, and on a runtime worker it would hold the worker;
//! with every worker held, nothing answers a pause. One hand-off per batch (at most 64 files,
//! so as many descriptors ahead), not per file: a hand-off per small file cost a folder upload
//! about 30 % more CPU. Large files are opened by their multipart upload, off the workers too.

use super::journal::Finished;
use super::walk::WalkItem;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The batch being handed out. The open of the next batch lives here, not in the future of
/// `next_found`: the folder loop drops that future whenever another branch of its select wins,
/// and a batch taken from the walk but held only by a dropped future would be lost.
pub(super) enum Found {
    Ready(std::vec::IntoIter<WalkItem>),
    Opening(JoinHandle<Vec<WalkItem>>),
}

impl Default for Found {
    fn default() -> Self {
        Found::Ready(Vec::new().into_iter())
    }
}

/// The next item of the walk, its file opened when small. Cancel-safe. A hung open holds only
/// this future: the folder loop answers a pause meanwhile, and the blocking thread is left to
/// finish on its own.
///
/// `finished`: the files the journal had at the start. A rerun skips them, so they are not
/// opened (one open each of a folder already nearly done); should one have changed since, its
/// upload opens it itself.
pub(super) async fn next_found(
    found: &mut mpsc::Receiver<Vec<WalkItem>>,
    state: &mut Found,
    part_size: u64,
    finished: &Finished,
) -> Option<WalkItem> {
    loop {
        match state {
            Found::Ready(batch) => {
                if let Some(item) = batch.next() {
                    return Some(item);
                }
                let items = found.recv().await?;
                let finished = finished.clone();
                let open = move || open_ahead(items, part_size, &finished);
                *state = Found::Opening(tokio::task::spawn_blocking(open));
            }
            Found::Opening(opening) => {
                let items = match opening.await {
                    Ok(items) => items,
                    // Never aborted; a panic is ours, and must not lose the batch silently.
                    Err(error) => std::panic::resume_unwind(error.into_panic()),
                };
                *state = Found::Ready(items.into_iter());
            }
        }
    }
}

/// The batch with its small files opened.
fn open_ahead(mut items: Vec<WalkItem>, part_size: u64, finished: &Finished) -> Vec<WalkItem> {
    for item in &mut items {
        if let WalkItem::File {
            path,
            relative,
            identity,
            opened,
        } = item
        {
            if identity.size < part_size && !finished.contains(relative) {
                *opened = Some(crate::upload::validate::open_regular(path));
            }
        }
    }
    items
}
