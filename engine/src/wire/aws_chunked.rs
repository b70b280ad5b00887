//! The aws-chunked body encoding with a trailing checksum (S3's
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER`): each frame is `<hex length>\r\n<bytes>\r\n`, then
//! `0\r\n`, the trailer line `x-amz-checksum-crc64nvme:<base64>\r\n` and `\r\n`. The store
//! recomputes the checksum and refuses the request on a mismatch, so a part corrupted on the
//! way is caught by the store itself, with a checksum computed while streaming.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;

/// Bytes per frame: the file is read in frames of this size when the body is framed, so the
/// encoded length is known before the first byte is sent.
pub(crate) const FRAME: u64 = 256 * 1024;
pub(crate) const TRAILER_HEADER: &str = "x-amz-checksum-crc64nvme";
/// base64 of the 8 bytes of a CRC-64.
const CHECKSUM_TEXT_LEN: u64 = 12;

/// Length on the wire of a body of `size` bytes framed by `FRAME`.
pub(crate) fn encoded_len(size: u64) -> u64 {
    let frame_cost = |len: u64| hex_digits(len) + 2 + len + 2;
    let full = size / FRAME;
    let rest = size % FRAME;
    let frames = full * frame_cost(FRAME) + if rest > 0 { frame_cost(rest) } else { 0 };
    let trailer = TRAILER_HEADER.len() as u64 + 1 + CHECKSUM_TEXT_LEN + 2;
    frames + 3 + trailer + 2
}

fn hex_digits(mut value: u64) -> u64 {
    let mut digits = 1;
    while value >= 16 {
        value /= 16;
        digits += 1;
    }
    digits
}

pub(crate) fn frame_head(len: usize) -> Bytes {
    Bytes::from(format!("{len:x}\r\n"))
}

pub(crate) const FRAME_TAIL: &[u8] = b"\r\n";

/// How S3 writes a CRC-64/NVME, in a trailer or a header: base64 of its big-endian bytes.
pub(crate) fn checksum_text(crc64_nvme: u64) -> String {
    STANDARD.encode(crc64_nvme.to_be_bytes())
}

/// The last frame, the trailer with the body's CRC-64/NVME, and the end of the body.
pub(crate) fn end(crc64_nvme: u64) -> Bytes {
    let checksum = checksum_text(crc64_nvme);
    Bytes::from(format!("0\r\n{TRAILER_HEADER}:{checksum}\r\n\r\n"))
}

/// A store's `x-amz-checksum-crc64nvme` value, read back. Anything but base64 of exactly 8
/// bytes (a multipart store's composite `...-N`, garbage) proves nothing, so it is `None`.
pub(crate) fn parse_checksum(text: &str) -> Option<u64> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(data: &[u8], crc: u64) -> Vec<u8> {
        let mut out = Vec::new();
        for frame in data.chunks(FRAME as usize) {
            out.extend_from_slice(&frame_head(frame.len()));
            out.extend_from_slice(frame);
            out.extend_from_slice(FRAME_TAIL);
        }
        out.extend_from_slice(&end(crc));
        out
    }

    #[test]
    fn the_encoded_length_is_the_length_of_the_encoding() {
        for size in [0, 1, 15, 16, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME + 7] {
            let data = vec![7u8; size as usize];
            assert_eq!(encoded_len(size), encode(&data, 0).len() as u64, "{size}");
        }
    }

    #[test]
    fn the_trailer_carries_the_big_endian_checksum_in_base64() {
        // CRC-64/NVME of "123456789" is 0xae8b14860a799888 (its check value).
        let mut digest = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
        digest.update(b"123456789");
        assert_eq!(digest.finalize(), 0xae8b_1486_0a79_9888);
        assert_eq!(
            &end(0xae8b_1486_0a79_9888)[..],
            b"0\r\nx-amz-checksum-crc64nvme:rosUhgp5mIg=\r\n\r\n"
        );
    }

    #[test]
    fn a_checksum_header_reads_back_only_when_it_is_eight_bytes_of_base64() {
        assert_eq!(parse_checksum("rosUhgp5mIg="), Some(0xae8b_1486_0a79_9888));
        assert_eq!(
            parse_checksum(" rosUhgp5mIg= "),
            Some(0xae8b_1486_0a79_9888)
        );
        for bad in [
            "",
            "rosUhgp5mIg=-3",
            "rosU",
            "AAAAAAAAAAAAAA==",
            "not base64!",
        ] {
            assert_eq!(parse_checksum(bad), None, "{bad:?}");
        }
    }
}
