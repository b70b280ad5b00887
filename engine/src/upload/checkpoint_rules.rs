//! What a loaded checkpoint must satisfy before anything in it is used. The file may have
//! been edited, truncated or written by a buggy tool; each rule below is one the server
//! enforces (so breaking it fails the upload forever) or one the engine's arithmetic needs.

use super::checkpoint::Checkpoint;
use super::file_request::{MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};

/// Longest upload id accepted: real ones are tens of characters.
const MAX_UPLOAD_ID_LEN: usize = 1024;
/// Longest ETag accepted: real ones are a quoted MD5 or a multipart form of it.
const MAX_ETAG_LEN: usize = 256;
/// Longer names than any bucket, key or path the engine itself would record.
const MAX_NAME_LEN: usize = 64 * 1024;

/// An upload id we could have been given: it goes into a query string and an Abort.
pub fn plausible_upload_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_UPLOAD_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~+=/:".contains(&b))
}

/// Ok when every field is within the protocol's limits and the parts tile the recorded file
/// size exactly; else why not.
pub fn validate(cp: &Checkpoint) -> Result<(), String> {
    for (name, value) in [
        ("bucket", &cp.bucket),
        ("key", &cp.key),
        ("file path", &cp.file_path),
    ] {
        if value.is_empty() || value.len() > MAX_NAME_LEN {
            return Err(format!("its {name} is empty or too long"));
        }
    }
    if !plausible_upload_id(&cp.upload_id) {
        return Err(format!(
            "its upload id {:?} is not plausible",
            clip(&cp.upload_id)
        ));
    }
    if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&cp.part_size) {
        return Err(format!(
            "its part size {} is outside [{MIN_PART_SIZE}, {MAX_PART_SIZE}]",
            cp.part_size
        ));
    }
    if !matches!(cp.checksum_algorithm.as_str(), "" | "CRC64NVME") {
        return Err(format!(
            "its checksum algorithm {:?} is not CRC64NVME",
            clip(&cp.checksum_algorithm)
        ));
    }
    let count = cp.parts.len();
    if count == 0 || count as u64 > MAX_PARTS {
        return Err(format!("it has {count} parts, not 1 to {MAX_PARTS}"));
    }
    let mut offset: u64 = 0;
    for (index, part) in cp.parts.iter().enumerate() {
        let number = index + 1;
        if part.part_number as usize != number {
            return Err(format!(
                "part {number} is numbered {}: numbers must run 1, 2, 3...",
                part.part_number
            ));
        }
        if part.offset != offset {
            return Err(format!(
                "part {number} starts at {}, not where part {index} ends ({offset})",
                part.offset
            ));
        }
        let last = number == count;
        // Every part but the last has the recorded size (the server refuses a smaller one at
        // Complete); the last may be shorter, and is empty only as the single part of an
        // empty file.
        let size_ok = if last {
            part.part_size <= cp.part_size && (part.part_size > 0 || count == 1)
        } else {
            part.part_size == cp.part_size
        };
        if !size_ok {
            return Err(format!(
                "part {number} has {} bytes, not what parts of {} allow",
                part.part_size, cp.part_size
            ));
        }
        if part.is_completed && (part.etag.is_empty() || !plausible_etag(&part.etag)) {
            return Err(format!(
                "part {number} is done but its ETag is not plausible"
            ));
        }
        offset = offset
            .checked_add(part.part_size)
            .ok_or_else(|| format!("part {number} ends past the largest possible file"))?;
    }
    if offset != cp.file_info.size {
        return Err(format!(
            "its parts cover {offset} bytes, the recorded file has {}",
            cp.file_info.size
        ));
    }
    if cp
        .file_info
        .last_modified_nanos
        .is_some_and(|n| n >= 1_000_000_000)
    {
        return Err("its file time has more than a second of nanoseconds".into());
    }
    Ok(())
}

fn plausible_etag(etag: &str) -> bool {
    etag.len() <= MAX_ETAG_LEN && etag.bytes().all(|b| b.is_ascii_graphic())
}

/// Enough of a bad value to recognise it in a log line.
fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::checkpoint::FileInfo;
    use crate::upload::file_request::MIB;
    use crate::upload::part_layout;

    fn good(size: u64, part_size: u64) -> Checkpoint {
        let mut parts = part_layout::layout(size, part_size);
        for part in &mut parts[..1] {
            part.is_completed = true;
            part.etag = "\"0123456789abcdef0123456789abcdef\"".into();
        }
        Checkpoint {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "0a1b2c".into(),
            part_size,
            file_path: "f".into(),
            file_info: FileInfo {
                size,
                ..FileInfo::default()
            },
            parts,
            ..Checkpoint::default()
        }
    }

    #[test]
    fn layouts_the_engine_writes_are_valid() {
        for (size, part) in [(0, 5 * MIB), (1, 5 * MIB), (12 * MIB + 3, 5 * MIB)] {
            assert_eq!(validate(&good(size, part)), Ok(()), "{size} / {part}");
        }
        let mut most = good(10_000 * 5 * MIB, 5 * MIB);
        most.parts[9_999].part_size = 1;
        most.file_info.size = 9_999 * 5 * MIB + 1;
        assert_eq!(validate(&most), Ok(()));
    }

    #[test]
    fn each_broken_rule_is_refused() {
        type Breaker = fn(&mut Checkpoint);
        let breakers: Vec<(&str, Breaker)> = vec![
            ("small parts", |c| c.part_size = MIB),
            ("no upload id", |c| c.upload_id.clear()),
            ("odd upload id", |c| c.upload_id = "a b\n".into()),
            ("no parts", |c| c.parts.clear()),
            ("renumbered", |c| c.parts[1].part_number = 7),
            ("gap", |c| c.parts[1].offset += 1),
            ("short middle", |c| c.parts[1].part_size -= 1),
            ("long last", |c| c.parts[2].part_size = 6 * MIB),
            ("empty last", |c| c.parts[2].part_size = 0),
            ("size", |c| c.file_info.size += 1),
            ("no etag", |c| c.parts[0].etag.clear()),
            ("nanos", |c| {
                c.file_info.last_modified_nanos = Some(2_000_000_000)
            }),
            ("no key", |c| c.key.clear()),
            ("algorithm", |c| c.checksum_algorithm = "CRC32C".into()),
        ];
        for (what, breaker) in breakers {
            let mut cp = good(12 * MIB, 5 * MIB);
            breaker(&mut cp);
            assert!(validate(&cp).is_err(), "{what} accepted");
        }
    }

    #[test]
    fn sizes_that_would_overflow_are_refused_not_wrapped() {
        let mut cp = good(12 * MIB, 5 * MIB);
        cp.part_size = u64::MAX;
        cp.parts.truncate(2);
        cp.parts[0].part_size = u64::MAX;
        cp.parts[1].offset = u64::MAX;
        cp.parts[1].part_size = 12 * MIB + 1; // wraps to 12 MiB
        assert!(validate(&cp).is_err());
    }
}
