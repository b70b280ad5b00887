//! Link emulation: makes a loopback connection behave like one across a WAN, so that the
//! benefit of parallel parts (and the cost of too many) shows in tests and benchmarks.
//! The model and its limits are in docs/link-emulation.md.
//!
//! The server reads request bodies no faster than the caps allow; the bytes it has not read
//! fill the socket buffers, so the client's writes block as they would on a slow path.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// What the operator asks for; every field 0 means "off".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkSettings {
    /// One round trip before each response, one before a new connection's first request,
    /// and one per `window` bytes of request body.
    pub rtt_ms: u64,
    /// Bytes a connection may have in flight per round trip (TCP's window): a connection
    /// moves at most `window / rtt`. 0 = no window limit.
    pub window: u64,
    /// Bytes per second per connection.
    pub conn_rate: u64,
    /// Bytes per second over all connections together.
    pub total_rate: u64,
}

/// The receive buffer of connections accepted while the link is emulated.
pub const RECV_BUFFER: usize = 256 * 1024;

impl LinkSettings {
    pub fn is_on(&self) -> bool {
        *self != LinkSettings::default()
    }

    pub fn rtt(&self) -> Duration {
        Duration::from_millis(self.rtt_ms)
    }
}

/// A change through the admin API: absent fields keep their value. Rates and sizes are
/// numbers (bytes, bytes per second) or strings with a unit (`"200Mbit"`, `"4MiB"`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkChange {
    rtt_ms: Option<u64>,
    window: Option<Quantity>,
    conn_rate: Option<Quantity>,
    total_rate: Option<Quantity>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Quantity {
    Number(u64),
    Text(String),
}

impl Quantity {
    fn rate(&self) -> Result<u64, String> {
        match self {
            Quantity::Number(n) => Ok(*n),
            Quantity::Text(t) => parse_rate(t),
        }
    }

    fn size(&self) -> Result<u64, String> {
        match self {
            Quantity::Number(n) => Ok(*n),
            Quantity::Text(t) => parse_size(t),
        }
    }
}

/// The emulated link, shared by every connection. Limiters are rebuilt when the settings
/// change, and each connection picks up the new ones at its next chunk.
pub struct Link {
    shape: RwLock<Arc<Shape>>,
    pub stats: Stats,
}

pub struct Shape {
    pub settings: LinkSettings,
    pub generation: u64,
    total: Option<Arc<Pacer>>,
}

/// A token bucket kept as a virtual clock: the instant at which the bytes reserved so far
/// will have passed at `rate`. A reservation moves the clock on and says how long to wait;
/// an idle pacer lends at most `BURST` of credit, so a connection that idled cannot then
/// burst far above its cap. Reservations are served in order, which shares a cap fairly.
pub struct Pacer {
    rate: u64,
    free_at: Mutex<Instant>,
}

const BURST: Duration = Duration::from_millis(50);

impl Pacer {
    pub fn reserve(&self, bytes: u64) -> Instant {
        let now = Instant::now();
        let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
        let start = (*free_at).max(now.checked_sub(BURST).unwrap_or(now));
        *free_at = start + Duration::from_secs_f64(bytes as f64 / self.rate as f64);
        *free_at
    }
}

pub fn limiter(rate: u64) -> Option<Arc<Pacer>> {
    (rate != 0).then(|| {
        Arc::new(Pacer {
            rate,
            free_at: Mutex::new(Instant::now()),
        })
    })
}

impl Link {
    pub fn new(settings: LinkSettings) -> Link {
        Link {
            shape: RwLock::new(Arc::new(Shape {
                total: limiter(settings.total_rate),
                settings,
                generation: 0,
            })),
            stats: Stats::default(),
        }
    }

    pub fn shape(&self) -> Arc<Shape> {
        Arc::clone(&self.shape.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn settings(&self) -> LinkSettings {
        self.shape().settings
    }

    pub fn change(&self, change: &LinkChange) -> Result<LinkSettings, String> {
        let mut guard = self.shape.write().unwrap_or_else(|e| e.into_inner());
        let mut s = guard.settings;
        if let Some(v) = change.rtt_ms {
            s.rtt_ms = v;
        }
        if let Some(v) = &change.window {
            s.window = v.size().map_err(|e| format!("window: {e}"))?;
        }
        if let Some(v) = &change.conn_rate {
            s.conn_rate = v.rate().map_err(|e| format!("conn_rate: {e}"))?;
        }
        if let Some(v) = &change.total_rate {
            s.total_rate = v.rate().map_err(|e| format!("total_rate: {e}"))?;
        }
        check(&s)?;
        *guard = Arc::new(Shape {
            total: limiter(s.total_rate),
            settings: s,
            generation: guard.generation + 1,
        });
        Ok(s)
    }
}

/// Bounds that keep a typo from hanging a test: a sleep of an hour per request would make
/// the server unable to answer anything in time.
pub fn check(s: &LinkSettings) -> Result<(), String> {
    if s.rtt_ms > 10_000 {
        return Err(format!("rtt {} ms is above the 10000 ms limit", s.rtt_ms));
    }
    for (name, rate) in [("conn_rate", s.conn_rate), ("total_rate", s.total_rate)] {
        if rate != 0 && rate < 1000 {
            return Err(format!("{name} {rate} B/s is below the 1000 B/s minimum"));
        }
    }
    if s.window != 0 && s.window < 1024 {
        return Err(format!("window {} B is below the 1024 B minimum", s.window));
    }
    Ok(())
}

/// Per-connection pacing state, shared by the requests of one connection in turn.
#[derive(Default)]
pub struct ConnLink {
    generation: Option<u64>,
    own: Option<Arc<Pacer>>,
}

/// The pacing of one request body: the connection's and the link's buckets, and the window
/// clock (a window of bytes per round trip).
pub struct BodyPacer {
    conn: Option<Arc<Pacer>>,
    total: Option<Arc<Pacer>>,
    /// This request's own cap (`x-tos-traffic-limit`, traffic.rs).
    request: Option<Arc<Pacer>>,
    rtt: Duration,
    window: u64,
    window_started: Instant,
    in_window: u64,
}

impl ConnLink {
    pub fn pacer(&mut self, link: &Link) -> Option<BodyPacer> {
        let shape = link.shape();
        let s = shape.settings;
        if self.generation != Some(shape.generation) {
            self.generation = Some(shape.generation);
            self.own = limiter(s.conn_rate);
        }
        let windowed = s.window != 0 && s.rtt_ms != 0;
        if self.own.is_none() && shape.total.is_none() && !windowed {
            return None;
        }
        Some(BodyPacer {
            conn: self.own.clone(),
            total: shape.total.clone(),
            request: None,
            rtt: s.rtt(),
            window: if windowed { s.window } else { 0 },
            window_started: Instant::now(),
            in_window: 0,
        })
    }
}

impl BodyPacer {
    /// `pacer` (the link's, if any) with a cap of `rate` B/s on this request alone.
    pub fn capped(pacer: Option<BodyPacer>, rate: u64) -> BodyPacer {
        let mut p = pacer.unwrap_or(BodyPacer {
            conn: None,
            total: None,
            request: None,
            rtt: Duration::ZERO,
            window: 0,
            window_started: Instant::now(),
            in_window: 0,
        });
        p.request = limiter(rate);
        p
    }

    /// Waits until `bytes` more may have been read. Called after each chunk arrives, so the
    /// next read from the socket happens only when the caps allow it.
    pub async fn pace(&mut self, bytes: u64) {
        let due = [&self.conn, &self.total, &self.request]
            .into_iter()
            .flatten()
            .map(|pacer| pacer.reserve(bytes))
            .max();
        if let Some(due) = due {
            tokio::time::sleep_until(due).await;
        }
        if self.window == 0 {
            return;
        }
        self.in_window += bytes;
        while self.in_window >= self.window {
            self.in_window -= self.window;
            tokio::time::sleep_until(self.window_started + self.rtt).await;
            self.window_started = Instant::now();
        }
    }
}

/// Counters read through `/__admin/stats`: how many requests ran at once, which is how tests
/// see the concurrency a client chose.
#[derive(Default)]
pub struct Stats {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
    max_connections: AtomicUsize,
    requests: AtomicU64,
}

#[derive(Serialize)]
pub struct StatsView {
    pub requests_in_flight: usize,
    pub max_requests_in_flight: usize,
    pub connections_open: usize,
    pub max_connections_open: usize,
    pub requests: u64,
}

/// Counts one open item (request or connection) until dropped.
pub struct Open<'a> {
    current: &'a AtomicUsize,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.current.fetch_sub(1, Ordering::Relaxed);
    }
}

fn open<'a>(current: &'a AtomicUsize, max: &AtomicUsize) -> Open<'a> {
    let now = current.fetch_add(1, Ordering::Relaxed) + 1;
    max.fetch_max(now, Ordering::Relaxed);
    Open { current }
}

impl Stats {
    pub fn request(&self) -> Open<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        open(&self.in_flight, &self.max_in_flight)
    }

    pub fn connection(&self) -> Open<'_> {
        open(&self.connections, &self.max_connections)
    }

    pub fn view(&self) -> StatsView {
        StatsView {
            requests_in_flight: self.in_flight.load(Ordering::Relaxed),
            max_requests_in_flight: self.max_in_flight.load(Ordering::Relaxed),
            connections_open: self.connections.load(Ordering::Relaxed),
            max_connections_open: self.max_connections.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }

    /// The maxima start again from what is open now, so a test measures only its own upload.
    pub fn reset(&self) {
        self.max_in_flight
            .store(self.in_flight.load(Ordering::Relaxed), Ordering::Relaxed);
        self.max_connections
            .store(self.connections.load(Ordering::Relaxed), Ordering::Relaxed);
        self.requests.store(0, Ordering::Relaxed);
    }
}

/// Bytes per second from `200Mbit`, `2Gbit/s`, `25MB/s`, `25MiB/s`, `800K` (KiB) or a bare
/// number of bytes per second. Bits are the networking unit (a link's figure), bytes the
/// storage one; both are accepted, a bit unit is spelled `bit`, and a lowercase `b` alone
/// (`Mb`) is refused as ambiguous. `0` and `off` mean unlimited.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    let t = t.strip_suffix("/s").unwrap_or(t);
    let Some(bits) = t.strip_suffix("bit") else {
        return parse_size(t).map_err(|e| format!("{e}, or a bit rate like 200Mbit"));
    };
    let (number, unit) = split_unit(bits, text)?;
    let scale: u64 = match unit {
        "" => 1,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?}bit (kbit, Mbit, Gbit)"
            ))
        }
    };
    checked(number * scale as f64 / 8.0, text)
}

/// Bytes from `4MiB`, `4MB`, `512KiB`, `4M` (= MiB) or a bare number.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = split_unit(text.trim(), text)?;
    let scale: u64 = match unit {
        "" | "B" => 1,
        "K" | "k" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (B, KB, MB, GB, KiB, MiB, GiB, K, M, G)"
            ))
        }
    };
    checked(number * scale as f64, text)
}

fn checked(value: f64, text: &str) -> Result<u64, String> {
    if !(0.0..1e18).contains(&value) {
        return Err(format!("{text:?}: out of range"));
    }
    Ok(value.round() as u64)
}

fn split_unit<'a>(text: &'a str, original: &str) -> Result<(f64, &'a str), String> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..end]
        .parse()
        .map_err(|_| format!("{original:?}: expected a number with an optional unit"))?;
    Ok((number, text[end..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_sizes() {
        assert_eq!(parse_rate("200Mbit"), Ok(25_000_000));
        assert_eq!(parse_rate("2Gbit/s"), Ok(250_000_000));
        assert_eq!(parse_rate("800kbit"), Ok(100_000));
        assert_eq!(parse_rate("25MB/s"), Ok(25_000_000));
        assert_eq!(parse_rate("25MiB/s"), Ok(25 << 20));
        assert_eq!(parse_rate("1.5M"), Ok(1_572_864));
        assert_eq!(parse_rate("1000"), Ok(1000));
        assert_eq!(parse_rate("off"), Ok(0));
        assert!(parse_rate("200Mb").is_err());
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("-1MB").is_err());
        assert!(parse_rate("3Tbit").is_err());
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert!(parse_size("4 parsecs").is_err());
    }

    #[test]
    fn bounds() {
        let ok = LinkSettings {
            rtt_ms: 40,
            window: 4 << 20,
            conn_rate: 25_000_000,
            total_rate: 250_000_000,
        };
        assert_eq!(check(&ok), Ok(()));
        assert!(check(&LinkSettings {
            rtt_ms: 60_000,
            ..ok
        })
        .is_err());
        assert!(check(&LinkSettings {
            conn_rate: 10,
            ..ok
        })
        .is_err());
        assert!(check(&LinkSettings { window: 10, ..ok }).is_err());
    }
}
