//! Part layout: how a file of a given size is cut into parts.

use crate::error::{ErrorKind, Result, UploadError};
use crate::upload::checkpoint::CheckpointPart;
use crate::upload::file_request::{MAX_PARTS, MAX_PART_SIZE, MIB};

/// The part size to use: `requested`, raised to a whole MiB that fits the file in 10,000
/// parts when it would not. Returns whether it was raised.
pub fn fit_part_size(file_size: u64, requested: u64) -> Result<(u64, bool)> {
    if file_size.div_ceil(requested) <= MAX_PARTS {
        return Ok((requested, false));
    }
    let needed = file_size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    if needed > MAX_PART_SIZE {
        return Err(UploadError::new(
            ErrorKind::TooManyParts,
            format!("a file of {file_size} bytes needs more than 10,000 parts of 5 GiB"),
        ));
    }
    Ok((needed, true))
}

/// Every part of the file, in order; a 0-byte file is one empty part, as the SDKs do.
pub fn layout(file_size: u64, part_size: u64) -> Vec<CheckpointPart> {
    let count = file_size.div_ceil(part_size).max(1);
    (0..count)
        .map(|i| {
            let offset = i * part_size;
            CheckpointPart {
                part_number: (i + 1) as u32,
                part_size: part_size.min(file_size - offset),
                offset,
                ..CheckpointPart::default()
            }
        })
        .collect()
}

/// A checkpoint's parts must tile the file exactly, or it belongs to something else.
pub fn tiles_file(parts: &[CheckpointPart], file_size: u64) -> bool {
    let mut expected_offset: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.part_number as usize != i + 1 || part.offset != expected_offset {
            return false;
        }
        let Some(end) = expected_offset.checked_add(part.part_size) else {
            return false;
        };
        expected_offset = end;
    }
    !parts.is_empty() && expected_offset == file_size
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::file_request::{DEFAULT_PART_SIZE, MIN_PART_SIZE};

    #[test]
    fn layout_covers_the_file_with_a_short_last_part() {
        let parts = layout(12 * MIB + 3, 5 * MIB);
        let sizes: Vec<u64> = parts.iter().map(|p| p.part_size).collect();
        assert_eq!(sizes, vec![5 * MIB, 5 * MIB, 2 * MIB + 3]);
        assert_eq!(parts[2].offset, 10 * MIB);
        assert!(tiles_file(&parts, 12 * MIB + 3));
        assert!(!tiles_file(&parts, 12 * MIB + 4));
    }

    #[test]
    fn empty_file_is_one_empty_part() {
        let parts = layout(0, DEFAULT_PART_SIZE);
        assert_eq!(parts.len(), 1);
        assert_eq!((parts[0].part_number, parts[0].part_size), (1, 0));
        assert!(tiles_file(&parts, 0));
    }

    #[test]
    fn part_size_is_raised_to_fit_ten_thousand_parts() {
        assert_eq!(
            fit_part_size(100 * MIB, MIN_PART_SIZE).unwrap(),
            (MIN_PART_SIZE, false)
        );
        let size = 200 * 1024 * MIB; // 200 GiB at 20 MiB would need 10,240 parts
        let (part, raised) = fit_part_size(size, DEFAULT_PART_SIZE).unwrap();
        assert!(raised);
        assert_eq!(part, 21 * MIB);
        assert!(size.div_ceil(part) <= MAX_PARTS);
        assert_eq!(
            fit_part_size(MAX_PARTS * MAX_PART_SIZE + 1, MIN_PART_SIZE)
                .unwrap_err()
                .kind,
            ErrorKind::TooManyParts
        );
    }
}
