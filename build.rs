//! Gives the C library a real SONAME so programs link against `libtosupload.so.0` (the ABI
//! major version), not the unversioned development name. Never writes outside OUT_DIR: the
//! committed header is regenerated and checked by tests/header_is_current.rs, not here.
fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtosupload.so.0");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
