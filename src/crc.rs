//! CRC-64/XZ (ECMA-182), the checksum TOS sends as `x-tos-hash-crc64ecma`, for callers who
//! want to check an object themselves.

use std::ffi::c_void;
use tos_crc64 as crc64;

/// Continues a CRC-64/XZ (ECMA-182, reflected; TOS's `x-tos-hash-crc64ecma`) over `len`
/// bytes at `data`. Start with `crc = 0`; the result of one call is the `crc` of the next,
/// so `tos_crc64_update(tos_crc64_update(0, a, n), b, m)` is the CRC of `a` followed by `b`.
/// `data` may be NULL when `len` is 0 (then `crc` is returned). The check value:
/// `tos_crc64_update(0, "123456789", 9) == 0x995DC9BBDF1939FA`. Thread-safe. Each call
/// with `crc != 0` costs a few microseconds on top of the data, so feed large buffers.
#[no_mangle]
pub unsafe extern "C" fn tos_crc64_update(crc: u64, data: *const c_void, len: usize) -> u64 {
    ffi_panic_boundary! {
        if len == 0 || data.is_null() {
            return crc;
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        if crc == 0 {
            return crc64::checksum(bytes);
        }
        // Continuing from `crc` is combining it with the CRC of the new bytes.
        crc64::combine(crc, crc64::checksum(bytes), len as u64)
    }
}

/// The CRC-64/XZ of `A` followed by `B`, from `crc1` (the CRC of `A`), `crc2` (the CRC of `B`)
/// and `len2` (the length of `B` in bytes): how the CRC of a multipart object follows from its
/// parts' CRCs. Thread-safe.
#[no_mangle]
pub extern "C" fn tos_crc64_combine(crc1: u64, crc2: u64, len2: u64) -> u64 {
    ffi_panic_boundary! { crc64::combine(crc1, crc2, len2) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_and_combine() {
        let check = b"123456789";
        unsafe {
            assert_eq!(
                tos_crc64_update(0, check.as_ptr().cast(), 9),
                0x995D_C9BB_DF19_39FA
            );
            let first = tos_crc64_update(0, check.as_ptr().cast(), 4);
            assert_eq!(
                tos_crc64_update(first, check[4..].as_ptr().cast(), 5),
                0x995D_C9BB_DF19_39FA
            );
            assert_eq!(tos_crc64_update(7, std::ptr::null(), 0), 7);
            let b = tos_crc64_update(0, check[4..].as_ptr().cast(), 5);
            assert_eq!(tos_crc64_combine(first, b, 5), 0x995D_C9BB_DF19_39FA);
        }
    }
}
