//! Gives the C library a real SONAME so programs link against `libtosupload.so.<ABI major>`,
//! not the unversioned development name. The version lives only in Cargo.toml; CMake derives
//! the same name from it (cmake/version.cmake) and a ctest checks that the two agree. Never
//! writes outside OUT_DIR: the committed header is regenerated and checked by
//! tests/header_is_current.rs, not here.
fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        // The crate's major: libtosupload.so.1 for every 1.x, so a release that breaks the ABI
        // (a new major) cannot be loaded by programs built for the old one.
        let major =
            std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtosupload.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
