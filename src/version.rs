//! The library's version.

use std::ffi::c_char;

const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("the crate version has a NUL"),
};

/// The version of the library as a static string, e.g. `"0.1.0"`: compare it with
/// `TOS_VERSION_MAJOR`/`MINOR`/`PATCH` of the header the program was compiled with. Never NULL;
/// do not free.
#[no_mangle]
pub extern "C" fn tos_version() -> *const c_char {
    ffi_panic_boundary! { VERSION.as_ptr() }
}
