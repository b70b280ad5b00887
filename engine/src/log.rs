//! Library-wide logging: a user sink (the C log callback) or, with `TOS_LOG=<level>` in the
//! environment, plain lines on stderr. Never given a secret: requests are logged by
//! operation, key, status, request id and timing, never by header.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::LazyLock;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    pub fn from_u8(value: u8) -> Option<Level> {
        Some(match value {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => return None,
        })
    }

    fn parse(text: &str) -> Option<Level> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }
}

pub type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// 0 = off. Read on every log call, so it is an atomic rather than behind the lock.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: LazyLock<RwLock<Option<Sink>>> = LazyLock::new(|| {
    let from_env = std::env::var("TOS_LOG").ok().and_then(|v| Level::parse(&v));
    RwLock::new(from_env.map(|level| {
        MAX_LEVEL.store(level as u8, Ordering::Relaxed);
        Arc::new(|level: Level, message: &str| eprintln!("[tosupload {}] {message}", level.name()))
            as Sink
    }))
});

/// Reads `TOS_LOG` once; called when a client is created.
pub fn init_from_env() {
    LazyLock::force(&SINK);
}

/// Replaces the sink (None turns logging off) and the most detailed level it receives.
pub fn set_sink(sink: Option<Sink>, max_level: Level) {
    let mut guard = SINK.write().unwrap_or_else(|e| e.into_inner());
    MAX_LEVEL.store(
        if sink.is_some() { max_level as u8 } else { 0 },
        Ordering::Relaxed,
    );
    *guard = sink;
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

pub fn write(level: Level, message: &str) {
    let sink = SINK.read().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(sink) = sink {
        sink(level, message);
    }
}

/// `log!(Level::Debug, "format {}", args)`: formats only when the level is enabled.
#[macro_export]
#[doc(hidden)]
macro_rules! tos_log {
    ($level:expr, $($arg:tt)+) => {
        if $crate::log::enabled($level) {
            $crate::log::write($level, &format!($($arg)+));
        }
    };
}
pub use crate::tos_log as log;
