//! How many requests a folder upload may have in flight when the caller leaves
//! `max_connections` at 0 (docs/throttling.md, "Automatic connections"). Across a WAN small
//! files are bound by round trips, so the automatic file concurrency must be free to grow
//! well past the 16 of a fixed default; it still stops where its measurements say more does
//! not help, and never past this bound.

use rustix::process::{getrlimit, Resource};

/// The most requests in flight a folder upload starts on its own (s5cmd's default of 256
/// workers is the peer figure for many small files).
pub const AUTO_MAX_CONNECTIONS: usize = 256;
/// Descriptors left to the rest of the process (the caller's own, the walk's directories,
/// the journal, the runtime).
const FD_RESERVE: u64 = 64;
const PER_REQUEST: u64 = 3;

/// Each request in flight holds a socket and, for a file, an open file, and a connection may
/// open while a finished one is on its way back to the pool: three descriptors. Within the
/// soft `RLIMIT_NOFILE` less a reserve, and at least 1.
pub fn automatic_connections() -> usize {
    let soft = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    by_descriptors(soft)
}

fn by_descriptors(soft_limit: u64) -> usize {
    let fits = soft_limit.saturating_sub(FD_RESERVE) / PER_REQUEST;
    usize::try_from(fits)
        .unwrap_or(usize::MAX)
        .clamp(1, AUTO_MAX_CONNECTIONS)
}

/// Large bodies in flight with automatic connections: each holds about a MiB of buffers
/// (`wire::file_range::body`), so 32 of them keep a folder upload near 32 MiB.
pub const AUTO_LARGE_BODIES: usize = 32;

/// The places of the request cap a large body takes: with automatic connections, enough
/// that at most `AUTO_LARGE_BODIES` are in flight; with the caller's own cap, one.
pub fn large_body_share(asked: u32, connections: usize) -> u32 {
    match asked {
        0 => u32::try_from(connections.div_ceil(AUTO_LARGE_BODIES)).unwrap_or(u32::MAX),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_descriptors_and_by_the_cap() {
        assert_eq!(by_descriptors(u64::MAX), AUTO_MAX_CONNECTIONS);
        assert_eq!(by_descriptors(1024), 320.min(AUTO_MAX_CONNECTIONS));
        assert_eq!(by_descriptors(256), 64);
        assert_eq!(by_descriptors(64), 1);
    }

    #[test]
    fn large_bodies_share_the_automatic_cap_only() {
        assert_eq!(large_body_share(0, 256), 8);
        assert_eq!(large_body_share(0, 16), 1);
        assert_eq!(large_body_share(64, 64), 1);
    }
}
