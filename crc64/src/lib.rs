//! CRC-64/XZ (the ECMA-182 polynomial, reflected, as TOS's `x-tos-hash-crc64ecma`) and the
//! zlib-style combine used to check a whole object from its parts' CRCs.

/// Reflected ECMA-182 polynomial.
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// Incremental CRC-64/XZ over SIMD (crc64fast).
#[derive(Clone)]
pub struct Crc64 {
    digest: crc64fast::Digest,
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc64 {
    pub fn new() -> Self {
        Crc64 {
            digest: crc64fast::Digest::new(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.digest.write(data);
    }

    pub fn value(&self) -> u64 {
        self.digest.sum64()
    }
}

pub fn checksum(data: &[u8]) -> u64 {
    let mut crc = Crc64::new();
    crc.update(data);
    crc.value()
}

fn gf2_matrix_times(matrix: &[u64; 64], mut vector: u64) -> u64 {
    let mut sum = 0;
    let mut row = 0;
    while vector != 0 {
        if vector & 1 != 0 {
            sum ^= matrix[row];
        }
        vector >>= 1;
        row += 1;
    }
    sum
}

fn gf2_matrix_square(square: &mut [u64; 64], matrix: &[u64; 64]) {
    for n in 0..64 {
        square[n] = gf2_matrix_times(matrix, matrix[n]);
    }
}

/// CRC of `A ++ B` from `crc(A)`, `crc(B)` and `len(B)` (zlib's crc32_combine, for 64 bits).
pub fn combine(mut crc1: u64, crc2: u64, mut len2: u64) -> u64 {
    if len2 == 0 {
        return crc1;
    }
    let mut even = [0u64; 64];
    let mut odd = [0u64; 64];
    // The operator for one zero bit.
    odd[0] = POLY;
    let mut row = 1u64;
    for slot in odd.iter_mut().skip(1) {
        *slot = row;
        row <<= 1;
    }
    gf2_matrix_square(&mut even, &odd); // two zero bits
    gf2_matrix_square(&mut odd, &even); // four zero bits
    loop {
        gf2_matrix_square(&mut even, &odd);
        if len2 & 1 != 0 {
            crc1 = gf2_matrix_times(&even, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
        gf2_matrix_square(&mut odd, &even);
        if len2 & 1 != 0 {
            crc1 = gf2_matrix_times(&odd, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
    }
    crc1 ^ crc2
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
