//! Content-Type guessed from the object key's extension, as the TOS SDKs do; the table of
//! extensions is `mime_guess`'s.

/// The SDKs' answer for an unknown extension.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

pub fn guess_from_key(key: &str) -> &'static str {
    // The key's last segment, not a local path: `dir.v2/noext` has no extension.
    let name = key.rsplit('/').next().unwrap_or(key);
    name.rsplit_once('.')
        .and_then(|(_, extension)| mime_guess::from_ext(extension).first_raw())
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
    }
}
