//! A folder upload runs on the runtime's threads, beside the connections it drives, while
//! the thread that called `upload_dir` serves its callbacks from this queue. With the upload
//! on the caller's thread instead, every small file cost two thread switches (the request
//! handed to a connection on a worker, the answer handed back); now the caller wakes once per
//! batch of callbacks. The contract is unchanged: callbacks run on the calling thread, one at
//! a time, and never after `upload_dir` returns.

use super::dir_request::{DirEvent, DirObservers, DirProgress};
use crate::rate_limit::Permit;
use crate::wire::file_range::AcquireRequest;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

pub(crate) enum ToCaller {
    Event(DirEvent),
    Progress(DirProgress),
    /// The user's limiter is asked before bytes move, so this one wakes the caller at once.
    Acquire(AcquireRequest),
}

/// Events wait at most this long for the caller (it wakes by itself), unless this many are
/// waiting, which wakes it at once. Short enough for a program that reacts to an event (a
/// cancel when a file starts) to act before much more is sent; at 15,000 files a second it
/// still hands over about 150 events per wake-up.
const BATCH_DELAY: Duration = Duration::from_millis(5);
const BATCH_EVENTS: usize = 256;
/// While more than this many callbacks wait (the user's event callback is slower than the
/// uploads), the upload starts no new file, so the queue cannot grow with the folder.
const MAX_WAITING: usize = 4096;

#[derive(Default)]
pub(crate) struct CallerQueue {
    state: Mutex<State>,
    wake_caller: Condvar,
    /// Told each time the caller has emptied the queue.
    drained: tokio::sync::Notify,
}

#[derive(Default)]
struct State {
    items: VecDeque<ToCaller>,
    finished: bool,
}

impl CallerQueue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, item: ToCaller) {
        let urgent = !matches!(item, ToCaller::Event(_));
        let waiting = {
            let mut state = self.lock();
            state.items.push_back(item);
            state.items.len()
        };
        if urgent || waiting >= BATCH_EVENTS {
            self.wake_caller.notify_one();
        }
    }

    pub fn has_room(&self) -> bool {
        self.lock().items.len() < MAX_WAITING
    }

    /// Returns once the queue has room again.
    pub async fn room(&self) {
        loop {
            let drained = self.drained.notified();
            if self.has_room() {
                return;
            }
            drained.await;
        }
    }

    /// Nothing more will be pushed: `serve` returns once it has run what waits.
    pub fn finish(&self) {
        self.lock().finished = true;
        self.wake_caller.notify_one();
    }

    /// On the calling thread: runs the callbacks the upload asks for, in order, until
    /// `finish`.
    pub fn serve(&self, observers: &mut DirObservers) {
        loop {
            let (batch, finished) = {
                let mut state = self.lock();
                if state.items.is_empty() && !state.finished {
                    state = self
                        .wake_caller
                        .wait_timeout(state, BATCH_DELAY)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                (std::mem::take(&mut state.items), state.finished)
            };
            let had_items = !batch.is_empty();
            for item in batch {
                run(item, observers);
            }
            if had_items {
                self.drained.notify_one();
            }
            if finished {
                return;
            }
        }
    }
}

fn run(item: ToCaller, observers: &mut DirObservers) {
    match item {
        ToCaller::Event(event) => {
            if let Some(callback) = observers.event.as_mut() {
                callback(&event);
            }
        }
        ToCaller::Progress(progress) => {
            if let Some(callback) = observers.progress.as_mut() {
                callback(&progress);
            }
        }
        ToCaller::Acquire(ask) => {
            let permit = observers
                .acquire
                .as_mut()
                .map_or(Permit::Granted, |callback| callback(ask.want));
            let _ = ask.reply.send(permit);
        }
    }
}

/// Calls `finish` when dropped, so the caller stops waiting even if the upload panicked.
pub(crate) struct FinishOnDrop(pub Arc<CallerQueue>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.0.finish();
    }
}
