//! Streams one part straight from the file: bounded chunks read at an offset, the CRC-64
//! computed on the way, tokens taken from the rate limiter before each chunk is sent, and
//! progress reported per chunk. No part is ever held whole in memory.

use super::messages::{Limiter, WorkerMsg};
use crate::engine::crc64::Crc64;
use crate::engine::rate_limit::Permit;
use bytes::{Bytes, BytesMut};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Chunk size without a user limiter: large enough that per-chunk costs vanish, small
/// enough that memory stays within about a MiB per task.
pub const CHUNK: usize = 256 * 1024;
/// With a user limiter, ask in the sizes the Go SDK asks in.
pub const LIMITED_CHUNK: usize = 32 * 1024;

pub struct PartBody {
    pub file: Arc<File>,
    pub part_index: usize,
    pub offset: u64,
    pub size: u64,
    pub chunk: usize,
    pub limiter: Limiter,
    pub to_coordinator: mpsc::UnboundedSender<WorkerMsg>,
    /// What the stream saw, readable once the request is done.
    pub digest: Arc<Mutex<PartDigest>>,
}

/// The CRC of what was streamed, and the file error that cut the stream short, if any
/// (the HTTP layer reports that only as a generic body error).
#[derive(Default)]
pub struct PartDigest {
    pub crc: Crc64,
    pub read_error: Option<io::Error>,
}

struct State {
    body: PartBody,
    sent: u64,
}

impl PartBody {
    pub fn into_stream(self) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send {
        futures_util::stream::try_unfold(
            State {
                body: self,
                sent: 0,
            },
            |mut state| async move {
                let body = &state.body;
                if state.sent >= body.size {
                    return Ok(None);
                }
                let want = (body.size - state.sent).min(body.chunk as u64);
                acquire(&body.limiter, &body.to_coordinator, want).await;
                let file = Arc::clone(&body.file);
                let at = body.offset + state.sent;
                let read =
                    tokio::task::spawn_blocking(move || read_exact_at(&file, at, want as usize))
                        .await
                        .map_err(io::Error::other)
                        .and_then(|r| r);
                let mut digest = body.digest.lock().unwrap_or_else(|e| e.into_inner());
                let chunk = match read {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        let for_caller = io::Error::new(e.kind(), e.to_string());
                        digest.read_error = Some(e);
                        return Err(for_caller);
                    }
                };
                digest.crc.update(&chunk);
                drop(digest);
                state.sent += want;
                let _ = body.to_coordinator.send(WorkerMsg::Sent {
                    part_index: body.part_index,
                    bytes_in_part: state.sent,
                });
                Ok(Some((chunk, state)))
            },
        )
    }
}

fn read_exact_at(file: &File, offset: u64, len: usize) -> io::Result<Bytes> {
    let mut buf = BytesMut::zeroed(len);
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => {
                // The file is shorter than when the upload was planned.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being uploaded",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf.freeze())
}

async fn acquire(limiter: &Limiter, to_coordinator: &mpsc::UnboundedSender<WorkerMsg>, want: u64) {
    loop {
        let permit = match limiter {
            Limiter::None => Permit::Granted,
            Limiter::Shared(bucket) => bucket.acquire(want),
            Limiter::Callback => {
                // The user's limiter runs on the coordinator with the other callbacks.
                let (reply, answer) = oneshot::channel();
                if to_coordinator
                    .send(WorkerMsg::Acquire { want, reply })
                    .is_err()
                {
                    return;
                }
                answer.await.unwrap_or(Permit::Granted)
            }
        };
        match permit {
            Permit::Granted => return,
            Permit::GrantedAfter(wait) => {
                tokio::time::sleep(wait).await;
                return;
            }
            Permit::RetryAfter(wait) => tokio::time::sleep(wait).await,
        }
    }
}
