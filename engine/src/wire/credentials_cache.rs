//! The credentials requests are signed with, asked of a `CredentialsProvider` when needed
//! (docs/protocol.md §8.4): before the first request, a margin ahead of their expiry, and
//! after the server refused them as expired. One call at a time: requests that need new
//! credentials while a call runs wait for its answer instead of calling again, so parts
//! hitting an expired token together cause one call, not one each.

use super::sigv4::SigningKeyCache;
use crate::config::ClientConfig;
use crate::credentials::{CredentialsProvider, ProvidedCredentials};
use crate::error::{ErrorKind, Result, UploadError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};
use tokio::task::JoinHandle;

/// Credentials are renewed this long before they expire, or a tenth of their lifetime when
/// that is shorter (a 2 s token is renewed 0.2 s ahead), so a request signed just before
/// the expiry still reaches the server in time.
const RENEW_MARGIN: Duration = Duration::from_secs(5 * 60);
/// The longest a request waits for the provider. The call itself cannot be interrupted (it
/// is the program's code); it goes on, and its answer serves the next request that asks.
pub(crate) const PROVIDER_TIMEOUT: Duration = Duration::from_secs(60);

/// One set of credentials with the signing key derived from them.
pub(crate) struct SigningCredentials {
    pub access_key: String,
    pub secret_key: String,
    pub security_token: String,
    expires_at: Option<SystemTime>,
    renew_at: Option<SystemTime>,
    /// Tells the sets of one client apart: a refusal invalidates only the set it signed.
    generation: u64,
    pub key_cache: SigningKeyCache,
}

impl SigningCredentials {
    fn new(given: ProvidedCredentials, generation: u64, now: SystemTime) -> Self {
        let renew_at = given.expires_at.map(|expires| {
            let lifetime = expires.duration_since(now).unwrap_or_default();
            expires - RENEW_MARGIN.min(lifetime / 10)
        });
        SigningCredentials {
            access_key: given.access_key,
            secret_key: given.secret_key,
            security_token: given.security_token,
            expires_at: given.expires_at,
            renew_at,
            generation,
            key_cache: SigningKeyCache::default(),
        }
    }

    /// Fields of a client's configuration (or none: unsigned requests).
    pub fn fixed(config: &ClientConfig) -> Self {
        let given = ProvidedCredentials {
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.clone(),
            security_token: config.security_token.clone(),
            expires_at: None,
        };
        Self::new(given, 0, SystemTime::now())
    }

    pub fn has_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    fn wants_renewal(&self, now: SystemTime) -> bool {
        self.renew_at.is_some_and(|at| now >= at)
    }
}

/// A provider call under way: its answer is waited for by whichever request asks next.
struct Call {
    handle: JoinHandle<Result<ProvidedCredentials>>,
    started: Instant,
}

pub(crate) enum CredentialsCache {
    Fixed(Arc<SigningCredentials>),
    Provided(Provided),
}

pub(crate) struct Provided {
    provider: Arc<dyn CredentialsProvider>,
    current: RwLock<Option<Arc<SigningCredentials>>>,
    call: tokio::sync::Mutex<Option<Call>>,
    generations: AtomicU64,
}

impl CredentialsCache {
    pub fn new(config: &ClientConfig) -> Self {
        match &config.credentials_provider {
            Some(provider) => CredentialsCache::Provided(Provided {
                provider: Arc::clone(provider),
                current: RwLock::new(None),
                call: tokio::sync::Mutex::new(None),
                generations: AtomicU64::new(0),
            }),
            None => CredentialsCache::Fixed(Arc::new(SigningCredentials::fixed(config))),
        }
    }

    /// The credentials to sign a request with now.
    pub async fn get(&self) -> Result<Arc<SigningCredentials>> {
        match self {
            CredentialsCache::Fixed(fixed) => Ok(Arc::clone(fixed)),
            CredentialsCache::Provided(provided) => provided.get().await,
        }
    }

    /// After the server refused `used` as expired: the next request asks the provider again,
    /// unless another request already replaced them. True when the set is dropped (or was
    /// already replaced), so that a request signed with `used` can hope for better.
    pub fn invalidate(&self, used: &SigningCredentials) -> bool {
        let CredentialsCache::Provided(provided) = self else {
            return false;
        };
        let mut current = provided.current.write().unwrap_or_else(|e| e.into_inner());
        if current
            .as_ref()
            .is_some_and(|c| c.generation == used.generation)
        {
            *current = None;
        }
        true
    }
}

impl Provided {
    fn usable(&self, now: SystemTime) -> Option<Arc<SigningCredentials>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current.as_ref().filter(|c| !c.wants_renewal(now)).cloned()
    }

    async fn get(&self) -> Result<Arc<SigningCredentials>> {
        if let Some(usable) = self.usable(SystemTime::now()) {
            return Ok(usable);
        }
        // Held while the provider runs: the others wait here, then find its answer.
        let mut call = self.call.lock().await;
        if let Some(usable) = self.usable(SystemTime::now()) {
            return Ok(usable);
        }
        let running = call.get_or_insert_with(|| {
            let provider = Arc::clone(&self.provider);
            Call {
                handle: tokio::task::spawn_blocking(move || provider.credentials()),
                started: Instant::now(),
            }
        });
        let left = PROVIDER_TIMEOUT.saturating_sub(running.started.elapsed());
        let Ok(joined) = tokio::time::timeout(left, &mut running.handle).await else {
            return Err(UploadError::new(
                ErrorKind::Timeout,
                format!(
                    "the credentials provider did not answer within {} s",
                    PROVIDER_TIMEOUT.as_secs()
                ),
            ));
        };
        *call = None;
        let answer = joined
            .map_err(|e| {
                UploadError::new(ErrorKind::Internal, "the credentials provider failed")
                    .with_cause(e)
            })
            .and_then(|answer| answer)
            .and_then(check_answer);
        let now = SystemTime::now();
        match answer {
            Ok(given) => {
                let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
                let fresh = Arc::new(SigningCredentials::new(given, generation, now));
                log::debug!(
                    "new credentials from the provider (access key {}, {})",
                    fresh.access_key,
                    match fresh.expires_at.and_then(|at| at.duration_since(now).ok()) {
                        Some(left) => format!("valid for {:.1} s", left.as_secs_f64()),
                        None => "no expiry".to_string(),
                    }
                );
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
                Ok(fresh)
            }
            // Renewal is early by design: credentials not yet expired still serve.
            Err(error) => match self.still_valid(now) {
                Some(current) => {
                    log::warn!("keeping the current credentials until they expire: {error}");
                    Ok(current)
                }
                None => Err(error),
            },
        }
    }

    fn still_valid(&self, now: SystemTime) -> Option<Arc<SigningCredentials>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current.as_ref().filter(|c| !c.has_expired(now)).cloned()
    }
}

fn check_answer(given: ProvidedCredentials) -> Result<ProvidedCredentials> {
    if given.access_key.is_empty() || given.secret_key.is_empty() {
        return Err(UploadError::new(
            ErrorKind::MissingCredentials,
            "the credentials provider returned no access key or no secret key",
        ));
    }
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    /// Answers after 200 ms with credentials that last `lifetime`, counting its calls.
    struct Slow {
        calls: AtomicU32,
        lifetime: Duration,
    }

    impl CredentialsProvider for Slow {
        fn credentials(&self) -> Result<ProvidedCredentials> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            std::thread::sleep(Duration::from_millis(200));
            Ok(ProvidedCredentials {
                access_key: format!("AK{n}"),
                secret_key: "SK".into(),
                security_token: String::new(),
                expires_at: Some(SystemTime::now() + self.lifetime),
            })
        }
    }

    fn cache(lifetime: Duration) -> (Arc<Slow>, CredentialsCache) {
        let slow = Arc::new(Slow {
            calls: AtomicU32::new(0),
            lifetime,
        });
        let mut config = ClientConfig::new();
        config.credentials_provider = Some(slow.clone());
        (slow, CredentialsCache::new(&config))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parts_asking_at_once_cause_one_call() {
        let (slow, cache) = cache(Duration::from_secs(3600));
        let asks = (0..16).map(|_| cache.get());
        let got = futures_util::future::join_all(asks).await;
        assert!(got.iter().all(|c| c.as_ref().unwrap().access_key == "AK1"));
        assert_eq!(slow.calls.load(Ordering::SeqCst), 1);
        // A refusal of the set drops it once; a second refusal of the same set does nothing.
        let first = cache.get().await.unwrap();
        cache.invalidate(&first);
        let second = cache.get().await.unwrap();
        cache.invalidate(&first);
        assert_eq!(cache.get().await.unwrap().access_key, second.access_key);
        assert_eq!(slow.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn credentials_are_renewed_a_tenth_of_their_lifetime_ahead() {
        let (slow, cache) = cache(Duration::from_secs(2));
        let first = cache.get().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(cache.get().await.unwrap().access_key, first.access_key);
        // 2 s from the answer, renewed from 1.8 s on.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_ne!(cache.get().await.unwrap().access_key, first.access_key);
        assert_eq!(slow.calls.load(Ordering::SeqCst), 2);
    }
}
