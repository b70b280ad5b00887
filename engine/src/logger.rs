//! Library-wide logging through the `log` facade. The engine logs with its macros, and so do
//! the HTTP and TLS crates under it: reqwest, rustls (its `logging` feature) and hyper-util
//! (through `tracing`'s `log` feature; hyper itself logs nothing in a stable build). One
//! `log::Log`, installed once per process, hands each line at or under the chosen level to
//! the user's sink (the C log callback) or, with `TOS_LOG=<level>` in the environment and no
//! sink, to stderr.
//!
//! Never given a secret: the engine logs requests by operation, key, status, request id and
//! timing, never by header, and none of those crates logs headers or key material
//! (tests/no_secrets_in_logs.rs checks an upload over TLS at the most verbose level).
//!
//! When the host program (a Rust one linking the engine) installed a `log` logger first,
//! that logger gets every line and the sink none: `log` allows one logger per process.

pub use log::Level;
use log::{LevelFilter, Log, Metadata, Record};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

pub type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// Whether `FORWARDER` is the process's logger (it may be the host's), so ours to adjust.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// On first use the logger is installed and `TOS_LOG` read, together: the C callback forces
/// this before setting itself, so a later first client cannot replace it by the stderr sink.
static SINK: LazyLock<RwLock<Option<Sink>>> = LazyLock::new(|| {
    let installed = log::set_logger(&FORWARDER).is_ok();
    INSTALLED.store(installed, Ordering::Relaxed);
    let from_env = std::env::var("TOS_LOG").ok().and_then(|v| parse_level(&v));
    let sink = from_env.filter(|_| installed).map(|level| {
        log::set_max_level(level.to_level_filter());
        Arc::new(|level: Level, message: &str| eprintln!("[tosupload {level}] {message}")) as Sink
    });
    RwLock::new(sink)
});

/// Hands records to the sink. Our own lines go as they are; another crate's lines name it.
struct Forwarder;
static FORWARDER: Forwarder = Forwarder;

impl Log for Forwarder {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Cloned so that the sink runs without the lock: it may take its time, and a
        // `set_sink` meanwhile must not wait for it.
        let sink = SINK.read().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(sink) = sink else { return };
        let line = if record.target().starts_with(env!("CARGO_CRATE_NAME")) {
            record.args().to_string()
        } else {
            format!("{}: {}", record.target(), record.args())
        };
        sink(record.level(), &one_line(&line));
    }

    fn flush(&self) {}
}

/// Text made one line: control characters (a line break in a file name or key, a server's
/// multi-line body) become escapes (`\n`, `\u{1}`), so that no name splits the line a program
/// logs or forges one after it. Every log line and every message of the C API goes through it.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c.is_control() {
                true => c.escape_debug().to_string(),
                false => c.to_string(),
            })
            .collect(),
    )
}

fn parse_level(text: &str) -> Option<Level> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("warning") => Some(Level::Warn),
        t => t.parse().ok(),
    }
}

/// The level numbered `number` in the C API: 1 = error .. 5 = trace.
pub fn level_from_number(number: u32) -> Option<Level> {
    Level::iter().nth(usize::try_from(number.checked_sub(1)?).ok()?)
}

/// Installs the logger and reads `TOS_LOG`, once; called when a client is created.
pub fn init_from_env() {
    LazyLock::force(&SINK);
}

/// Replaces the sink (None turns logging off) and the most detailed level it receives.
pub fn set_sink(sink: Option<Sink>, max_level: Level) {
    let mut guard = SINK.write().unwrap_or_else(|e| e.into_inner());
    if INSTALLED.load(Ordering::Relaxed) {
        log::set_max_level(match sink {
            Some(_) => max_level.to_level_filter(),
            None => LevelFilter::Off,
        });
    }
    *guard = sink;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_control_characters_only() {
        assert!(matches!(one_line("plain 中文 key"), Cow::Borrowed(_)));
        assert_eq!(
            one_line("a\nb\r\tc\u{1}d\u{7f}é"),
            "a\\nb\\r\\tc\\u{1}d\\u{7f}é"
        );
    }

    #[test]
    fn levels_keep_their_c_numbers_and_names() {
        for (number, name) in [
            (1, "ERROR"),
            (2, "WARN"),
            (3, "INFO"),
            (4, "DEBUG"),
            (5, "TRACE"),
        ] {
            let level = level_from_number(number).unwrap();
            assert_eq!(level as u32, number);
            assert_eq!(level.to_string(), name);
            assert_eq!(
                parse_level(&format!(" {} ", name.to_lowercase())),
                Some(level)
            );
        }
        assert_eq!(level_from_number(0), None);
        assert_eq!(level_from_number(6), None);
        assert_eq!(parse_level("Warning"), Some(Level::Warn));
        assert_eq!(parse_level("loud"), None);
    }
}
