//! CRC-64/XZ (the ECMA-182 polynomial, reflected, as TOS's `x-tos-hash-crc64ecma`) and the
//! zlib-style combine used to check a whole object from its parts' CRCs.
//!
//! Both come from crc-fast, which picks the widest carry-less multiply the CPU has at run time
//! (VPCLMULQDQ on AVX-512 machines): every byte uploaded is CRC'd, and on such machines it
//! runs about four times faster than crc64fast's 128-bit PCLMULQDQ loop, which this crate used
//! before.

use crc_fast::CrcAlgorithm::Crc64Xz;

/// Incremental CRC-64/XZ.
#[derive(Clone)]
pub struct Crc64 {
    digest: crc_fast::Digest,
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc64 {
    pub fn new() -> Self {
        Crc64 {
            digest: crc_fast::Digest::new(Crc64Xz),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }

    pub fn value(&self) -> u64 {
        self.digest.finalize()
    }
}

pub fn checksum(data: &[u8]) -> u64 {
    crc_fast::checksum(Crc64Xz, data)
}

/// CRC of `A ++ B` from `crc(A)`, `crc(B)` and `len(B)`.
pub fn combine(crc1: u64, crc2: u64, len2: u64) -> u64 {
    crc_fast::checksum_combine(Crc64Xz, crc1, crc2, len2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_of_crc64_xz() {
        assert_eq!(checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(checksum(b""), 0);
        assert_eq!(checksum(b"hello world"), 5_981_764_153_023_615_706);
    }

    #[test]
    fn incremental_equals_one_shot() {
        let mut crc = Crc64::new();
        crc.update(b"1234");
        crc.update(b"56789");
        assert_eq!(crc.value(), checksum(b"123456789"));
    }

    #[test]
    fn combine_matches_crc_of_concatenation() {
        assert_eq!(
            combine(checksum(b"12345"), checksum(b"6789"), 4),
            checksum(b"123456789")
        );
        assert_eq!(combine(checksum(b"abc"), 0, 0), checksum(b"abc"));
        let a: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let b: Vec<u8> = (0..77_777u32).map(|i| (i * 13) as u8).collect();
        let whole: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
        assert_eq!(
            combine(checksum(&a), checksum(&b), b.len() as u64),
            checksum(&whole)
        );
    }
}
