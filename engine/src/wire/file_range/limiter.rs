//! The user's rate limit as a body sees it: tokens taken before each chunk is sent, from a
//! shared bucket or from the user's callback on the thread that runs the upload's callbacks.

use crate::rate_limit::{Permit, RateLimiter};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// A request for tokens from the user's limiter callback, answered on the thread that runs
/// the upload's callbacks.
pub(crate) struct AcquireRequest {
    pub want: u64,
    pub reply: oneshot::Sender<Permit>,
}

#[derive(Clone)]
pub(crate) enum Limiter {
    None,
    Shared(Arc<dyn RateLimiter>),
    Callback(mpsc::UnboundedSender<AcquireRequest>),
}

pub(super) async fn acquire(limiter: &Limiter, want: u64) {
    loop {
        let permit = match limiter {
            Limiter::None => Permit::Granted,
            Limiter::Shared(bucket) => bucket.acquire(want),
            Limiter::Callback(ask) => {
                let (reply, answer) = oneshot::channel();
                if ask.send(AcquireRequest { want, reply }).is_err() {
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
