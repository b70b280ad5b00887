//! The library's version.

use std::ffi::c_char;

const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("the crate version has a NUL"),
};

/// The version of the loaded library as a static string, e.g. `"1.0.0"`. Never NULL; do not
/// free. To compare versions, use `tos_version_num`.
#[no_mangle]
pub extern "C" fn tos_version() -> *const c_char {
    ffi_panic_boundary! { VERSION.as_ptr() }
}

/// The version of the loaded library as a number, MAJOR*10000 + MINOR*100 + PATCH (10000 for
/// 1.0.0), as `TOS_VERSION_NUM` is for the header a program was compiled with. A program
/// compiled against a newer header than the library it runs with may use an entry point or a
/// field added in minor release M only when `tos_version_num() >= 10000 + M*100`. The minor
/// moves with every addition to the ABI (a function, a field, an enum value), the patch with
/// fixes only, the major (and the SONAME) only with a change that breaks programs built
/// against an earlier header: `tests/abi/check_abi.py` checks the header against the ABI
/// recorded for each release.
#[no_mangle]
pub extern "C" fn tos_version_num() -> u32 {
    ffi_panic_boundary! { VERSION_NUM }
}

const VERSION_NUM: u32 = {
    const fn parse(s: &str) -> u32 {
        let bytes = s.as_bytes();
        let mut value = 0;
        let mut i = 0;
        while i < bytes.len() {
            value = value * 10 + (bytes[i] - b'0') as u32;
            i += 1;
        }
        value
    }
    parse(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
        + parse(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + parse(env!("CARGO_PKG_VERSION_PATCH"))
};
