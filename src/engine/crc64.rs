//! CRC-64/XZ and its combine, shared with the local server (the `tos-crc64` crate).

pub use tos_crc64::{checksum, combine, Crc64};
