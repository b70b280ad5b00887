//! Files the engine keeps for itself (checkpoints, journals) at paths the user chose. Such a
//! path may name a FIFO (opening it blocks until a writer comes), a device (`/dev/zero`
//! reads without end) or a file grown huge: inside someone else's process none of these may
//! hang it or exhaust its memory, so they are checked before opening, opened without
//! blocking, checked again (the path may change in between) and read with a bound.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, BufRead, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A temporary file of an atomic write older than this was left by a killed process: no
/// write takes this long between creating it and renaming it into place.
const STALE_TEMP_AGE: Duration = Duration::from_secs(10);

pub enum Contents {
    Missing,
    Bytes(Vec<u8>),
    /// Larger than the bound; nothing was read.
    TooLarge(u64),
}

pub enum Refused {
    /// The path exists but is no regular file; the text names what it is.
    NotRegular(&'static str),
    Io(io::Error),
}

/// What a non-regular file is, for messages; `None` for a regular file.
pub fn not_regular(metadata: &Metadata) -> Option<&'static str> {
    let kind = metadata.file_type();
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// Ok when `path` (followed through symlinks) is a regular file or does not exist.
pub fn regular_or_absent(path: &Path) -> Result<(), Refused> {
    match fs::metadata(path) {
        Ok(metadata) => {
            not_regular(&metadata).map_or(Ok(()), |what| Err(Refused::NotRegular(what)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Refused::Io(e)),
    }
}

/// Opens for reading without ever blocking, and only a regular file.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), Refused> {
    regular_or_absent(path)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(Refused::Io)?;
    let metadata = file.metadata().map_err(Refused::Io)?;
    match not_regular(&metadata) {
        Some(what) => Err(Refused::NotRegular(what)),
        None => Ok((file, metadata)),
    }
}

/// The whole file when it is at most `limit` bytes; never reads more than `limit + 1`.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Contents, Refused> {
    let (file, metadata) = match open_regular(path) {
        Err(Refused::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(Contents::Missing),
        other => other?,
    };
    if metadata.len() > limit {
        return Ok(Contents::TooLarge(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // The file may grow after the stat: the bound holds whatever its size says.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > limit {
        return Ok(Contents::TooLarge(bytes.len() as u64));
    }
    Ok(Contents::Bytes(bytes))
}

/// What `read_lines_bounded` found.
pub enum Lines {
    Missing,
    Read,
    /// Larger than the bound: lines may have been handed over before it showed; the caller
    /// drops them.
    TooLarge(u64),
}

/// Hands each line of the file (without its line end; invalid UTF-8 replaced) to `line`, when
/// the file is at most `limit` bytes; never reads more than `limit + 1`. Streamed, so a large
/// file costs a line's memory, not its size.
pub fn read_lines_bounded(
    path: &Path,
    limit: u64,
    mut line: impl FnMut(&str),
) -> Result<Lines, Refused> {
    let (file, metadata) = match open_regular(path) {
        Err(Refused::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(Lines::Missing),
        other => other?,
    };
    if metadata.len() > limit {
        return Ok(Lines::TooLarge(metadata.len()));
    }
    let mut reader = io::BufReader::with_capacity(64 << 10, file.take(limit + 1));
    let mut buffer = Vec::new();
    let mut total = 0u64;
    loop {
        buffer.clear();
        let read = reader.read_until(b'\n', &mut buffer).map_err(Refused::Io)?;
        if read == 0 {
            return Ok(Lines::Read);
        }
        total += read as u64;
        // The file may grow after the stat: the bound holds whatever its size says.
        if total > limit {
            return Ok(Lines::TooLarge(total));
        }
        let text = String::from_utf8_lossy(&buffer);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        line(text.strip_suffix('\r').unwrap_or(text));
    }
}

/// Removes the temporary file of an atomic write a killed process left at `tmp`: only a
/// regular file (never what a symlink points to) old enough that no live write owns it.
pub fn remove_stale_temp(tmp: &Path) {
    let Ok(metadata) = fs::symlink_metadata(tmp) else {
        return;
    };
    let age = metadata
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok());
    if metadata.file_type().is_file() && age.is_some_and(|age| age >= STALE_TEMP_AGE) {
        let _ = fs::remove_file(tmp);
    }
}

/// Creates `tmp` afresh for an atomic write: whatever held the name (a stale temp file, or a
/// FIFO someone put there, which would block an open for writing) is unlinked first, and
/// the new file is created exclusively, so the write never goes through a planted symlink.
pub fn create_temp(tmp: &Path) -> io::Result<File> {
    match fs::remove_file(tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK)
        .open(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_refused_and_big_ones_not_read() {
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 16),
            Err(Refused::NotRegular("a device"))
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_bounded(dir.path(), 16),
            Err(Refused::NotRegular("a directory"))
        ));
        let path = dir.path().join("f");
        assert!(matches!(read_bounded(&path, 16), Ok(Contents::Missing)));
        fs::write(&path, [7u8; 17]).unwrap();
        assert!(matches!(
            read_bounded(&path, 16),
            Ok(Contents::TooLarge(17))
        ));
        assert!(matches!(read_bounded(&path, 17), Ok(Contents::Bytes(b)) if b.len() == 17));
    }

    #[test]
    fn only_old_regular_temp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.tmp");
        fs::write(&fresh, b"x").unwrap();
        remove_stale_temp(&fresh);
        assert!(fresh.exists(), "a temp file being written is left alone");
        let old = dir.path().join("old.tmp");
        fs::write(&old, b"x").unwrap();
        let long_ago = SystemTime::now() - Duration::from_secs(60);
        File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        remove_stale_temp(&old);
        assert!(!old.exists());
    }
}
