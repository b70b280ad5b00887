//! Content-Type guessed from the object key's extension, as the TOS SDKs do; the table of
//! extensions is `mime_guess`'s.

/// The SDKs' answer for an unknown extension.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// Where `mime_guess` answers differently from what players of HTTP Live Streaming expect (and
/// the TOS SDKs' own tables say): segments and playlists are a common load of object storage.
const STREAMING_TYPES: [(&str, &str); 2] = [
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("ts", "video/mp2t"),
];

pub fn guess_from_key(key: &str) -> &'static str {
    // The key's last segment, not a local path: `dir.v2/noext` has no extension.
    let name = key.rsplit('/').next().unwrap_or(key);
    let Some((_, extension)) = name.rsplit_once('.') else {
        return DEFAULT_CONTENT_TYPE;
    };
    STREAMING_TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(extension))
        .map(|(_, content_type)| *content_type)
        .or_else(|| mime_guess::from_ext(extension).first_raw())
        .unwrap_or(DEFAULT_CONTENT_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_by_the_last_extension_of_the_key() {
        assert_eq!(guess_from_key("dir/obj.bin"), "application/octet-stream");
        assert_eq!(guess_from_key("a/b.TXT"), "text/plain");
        assert_eq!(guess_from_key("x.tar.gz"), "application/gzip");
        assert_eq!(guess_from_key("report.pdf"), "application/pdf");
        assert_eq!(guess_from_key("dir.v2/noext"), DEFAULT_CONTENT_TYPE);
        assert_eq!(guess_from_key("file.unknownext"), DEFAULT_CONTENT_TYPE);
        assert_eq!(guess_from_key("trailing."), DEFAULT_CONTENT_TYPE);
        assert_eq!(
            guess_from_key("hls/index.M3U8"),
            "application/vnd.apple.mpegurl"
        );
        assert_eq!(guess_from_key("hls/seg-001.ts"), "video/mp2t");
    }
}
