//! Content-Type guessed from the object key's extension, as the TOS SDKs do.

/// The SDKs' answer for an unknown extension.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

const TYPES: &[(&str, &str)] = &[
    ("7z", "application/x-7z-compressed"),
    ("aac", "audio/aac"),
    ("avi", "video/x-msvideo"),
    ("bin", "application/octet-stream"),
    ("bmp", "image/bmp"),
    ("bz2", "application/x-bzip2"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("exe", "application/octet-stream"),
    ("flac", "audio/flac"),
    ("gif", "image/gif"),
    ("gz", "application/gzip"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/x-icon"),
    ("iso", "application/octet-stream"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "application/javascript"),
    ("json", "application/json"),
    ("log", "text/plain"),
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("md", "text/markdown"),
    ("mkv", "video/x-matroska"),
    ("mov", "video/quicktime"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("ogg", "audio/ogg"),
    ("parquet", "application/octet-stream"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("ppt", "application/vnd.ms-powerpoint"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("ts", "video/mp2t"),
    ("tsv", "text/tab-separated-values"),
    ("txt", "text/plain"),
    ("wav", "audio/wav"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xml", "application/xml"),
    ("yaml", "application/x-yaml"),
    ("yml", "application/x-yaml"),
    ("zip", "application/zip"),
];

pub fn guess_from_key(key: &str) -> &'static str {
    let name = key.rsplit('/').next().unwrap_or(key);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return DEFAULT_CONTENT_TYPE;
    };
    let ext = ext.to_ascii_lowercase();
    TYPES
        .binary_search_by(|(known, _)| known.cmp(&ext.as_str()))
        .map(|i| TYPES[i].1)
        .unwrap_or(DEFAULT_CONTENT_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TYPES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn guesses_by_the_last_extension_of_the_key() {
        assert_eq!(guess_from_key("dir/obj.bin"), "application/octet-stream");
        assert_eq!(guess_from_key("a/b.TXT"), "text/plain");
        assert_eq!(guess_from_key("x.tar.gz"), "application/gzip");
        assert_eq!(guess_from_key("dir.v2/noext"), DEFAULT_CONTENT_TYPE);
        assert_eq!(guess_from_key("file.unknownext"), DEFAULT_CONTENT_TYPE);
    }
}
