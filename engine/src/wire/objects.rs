//! ListObjectsV2: the request both protocols send, a page from the fields both protocols'
//! listings carry, and the paging checks that keep a faulty or hostile listing from running
//! forever. Pages are handed on as they come (a folder download starts on the first page),
//! so the checks are a state carried from page to page (`ObjectsPaging`), not a loop here.

use super::protocol::{ListedObject, ObjectsPage, Operation};
use super::Wire;
use crate::error::{ErrorKind, Result, UploadError};
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;

/// The most a server may return per page (TOS and S3 both cap `max-keys` at 1000).
pub(crate) const MAX_PAGE: u32 = 1000;

pub(crate) fn operation(
    bucket: &str,
    prefix: &str,
    continuation_token: Option<&str>,
    max_keys: u32,
) -> Operation {
    let mut op = Operation::new("ListObjectsV2", "GET", bucket, "", 200);
    op.query.push(("list-type".to_string(), "2".to_string()));
    op.query
        .push(("max-keys".to_string(), max_keys.to_string()));
    if !prefix.is_empty() {
        op.query.push(("prefix".to_string(), prefix.to_string()));
    }
    if let Some(token) = continuation_token {
        op.query
            .push(("continuation-token".to_string(), token.to_string()));
    }
    op
}

/// One object as both protocols' documents name its fields (JSON for TOS, XML for S3).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ObjectEntry {
    #[serde(default)]
    key: String,
    #[serde(default)]
    size: u64,
    #[serde(rename = "ETag", default)]
    etag: String,
    /// TOS only: a decimal number, in a string (as TOS's documents write it) or bare.
    #[serde(rename = "HashCrc64ecma", default, deserialize_with = "number_or_text")]
    hash_crc64ecma: Option<String>,
}

/// A page of ListObjectsV2: both protocols name the list `Contents` (an array in TOS's
/// JSON, possibly null; a repeated element in S3's XML).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ObjectsListing {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_continuation_token: Option<String>,
    #[serde(default, deserialize_with = "absent_as_empty")]
    contents: Vec<ObjectEntry>,
}

fn absent_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> std::result::Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

fn number_or_text<'a, D: Deserializer<'a>>(
    deserializer: D,
) -> std::result::Result<Option<String>, D::Error> {
    struct NumberOrText;
    impl<'de> serde::de::Visitor<'de> for NumberOrText {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a CRC-64 as a number or a string")
        }
        fn visit_u64<E>(self, value: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(value.to_string()))
        }
        fn visit_str<E>(self, value: &str) -> std::result::Result<Self::Value, E> {
            Ok(Some(value.to_string()))
        }
        fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        /// An XML element seen through `deserialize_any`: its text is the `$text` entry.
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut text = None;
            while let Some((name, value)) = map.next_entry::<String, String>()? {
                if name == "$text" {
                    text = Some(value);
                }
            }
            Ok(text)
        }
    }
    deserializer.deserialize_any(NumberOrText)
}

/// A page from its listing; `Err` says why it cannot be one.
pub(crate) fn page(listing: ObjectsListing) -> std::result::Result<ObjectsPage, &'static str> {
    let mut objects = Vec::with_capacity(listing.contents.len());
    for entry in listing.contents {
        if entry.key.is_empty() {
            return Err("an object without a key");
        }
        let crc64 = match entry.hash_crc64ecma.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<u64>()
                    .map_err(|_| "an invalid HashCrc64ecma")?,
            ),
        };
        objects.push(ListedObject {
            key: entry.key,
            size: entry.size,
            etag: entry.etag,
            crc64,
        });
    }
    let next_token = match (listing.is_truncated, listing.next_continuation_token) {
        (false, _) => None,
        (true, Some(token)) if !token.is_empty() => Some(token),
        (true, _) => return Err("a truncated page without a NextContinuationToken"),
    };
    Ok(ObjectsPage {
        objects,
        next_token,
    })
}

fn bad_listing(why: String) -> UploadError {
    UploadError::new(
        ErrorKind::Server,
        format!("ListObjectsV2: {why}; the listing was stopped"),
    )
}

/// Where a listing stands between pages, and the checks each page must pass: no more
/// objects than asked, keys in strictly increasing order (as both stores list them, so a
/// server that goes round in circles with fresh tokens is caught too), no token seen before,
/// and no empty page that claims more follow.
pub(crate) struct ObjectsPaging {
    page_size: u32,
    next_token: Option<String>,
    seen_tokens: HashSet<String>,
    last_key: Option<String>,
    finished: bool,
}

impl ObjectsPaging {
    pub fn new(page_size: u32) -> ObjectsPaging {
        ObjectsPaging {
            page_size: page_size.clamp(1, MAX_PAGE),
            next_token: None,
            seen_tokens: HashSet::new(),
            last_key: None,
            finished: false,
        }
    }

    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The token of the next page to ask for; `None` before the first page.
    pub fn token(&self) -> Option<&str> {
        self.next_token.as_deref()
    }

    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Checks a page received for `token()` and moves past it; the objects are the caller's.
    pub fn accept(&mut self, page: &ObjectsPage) -> Result<()> {
        if page.objects.len() > self.page_size as usize {
            return Err(bad_listing(format!(
                "the server sent {} objects in a page of at most {}",
                page.objects.len(),
                self.page_size
            )));
        }
        for object in &page.objects {
            if self
                .last_key
                .as_deref()
                .is_some_and(|last| object.key.as_str() <= last)
            {
                return Err(bad_listing(format!(
                    "the key {:?} came after {:?}: keys must be listed once each, in order",
                    object.key,
                    self.last_key.as_deref().unwrap_or_default()
                )));
            }
            self.last_key = Some(object.key.clone());
        }
        let Some(next) = &page.next_token else {
            self.finished = true;
            return Ok(());
        };
        // Without objects a page moves nothing forward; a token seen before comes back round
        // to a page already listed. Either way the paging would never end.
        if page.objects.is_empty() {
            return Err(bad_listing(
                "the server said more follow but sent an empty page".to_string(),
            ));
        }
        if !self.seen_tokens.insert(next.clone()) {
            return Err(bad_listing(format!(
                "the server sent the continuation token {next:?} again"
            )));
        }
        self.next_token = Some(next.clone());
        Ok(())
    }
}

impl Wire {
    /// The next page of the listing `paging` follows, checked.
    pub(crate) async fn list_objects_page(
        &self,
        bucket: &str,
        prefix: &str,
        paging: &mut ObjectsPaging,
    ) -> Result<Vec<ListedObject>> {
        let op = self
            .protocol
            .list_objects_v2(bucket, prefix, paging.token(), paging.page_size());
        let response = self.transport.execute(&op).await?;
        let page = self.protocol.parse_list_objects_v2(&response)?;
        paging.accept(&page)?;
        Ok(page.objects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str) -> ListedObject {
        ListedObject {
            key: key.into(),
            size: 1,
            etag: "\"e\"".into(),
            crc64: None,
        }
    }

    fn page_of(keys: &[&str], next: Option<&str>) -> ObjectsPage {
        ObjectsPage {
            objects: keys.iter().map(|k| object(k)).collect(),
            next_token: next.map(str::to_string),
        }
    }

    #[test]
    fn a_listing_pages_until_it_is_not_truncated() {
        let mut paging = ObjectsPaging::new(2);
        assert_eq!(paging.token(), None);
        paging.accept(&page_of(&["a", "b"], Some("t1"))).unwrap();
        assert_eq!(paging.token(), Some("t1"));
        paging.accept(&page_of(&["c"], None)).unwrap();
        assert!(paging.finished());
    }

    #[test]
    fn a_repeated_token_is_an_error_not_a_loop() {
        let mut paging = ObjectsPaging::new(2);
        paging.accept(&page_of(&["a"], Some("t1"))).unwrap();
        paging.accept(&page_of(&["b"], Some("t2"))).unwrap();
        let error = paging.accept(&page_of(&["c"], Some("t1"))).unwrap_err();
        assert!(error.message.contains("again"), "{error}");
    }

    #[test]
    fn empty_pages_claiming_more_oversized_pages_and_keys_out_of_order_are_errors() {
        let mut paging = ObjectsPaging::new(2);
        let error = paging.accept(&page_of(&[], Some("t1"))).unwrap_err();
        assert!(error.message.contains("empty page"), "{error}");

        let mut paging = ObjectsPaging::new(2);
        let error = paging.accept(&page_of(&["a", "b", "c"], None)).unwrap_err();
        assert!(error.message.contains("at most 2"), "{error}");

        // Fresh tokens, but the same keys again: a circle all the same.
        let mut paging = ObjectsPaging::new(2);
        paging.accept(&page_of(&["a", "b"], Some("t1"))).unwrap();
        let error = paging
            .accept(&page_of(&["a", "b"], Some("t2")))
            .unwrap_err();
        assert!(error.message.contains("in order"), "{error}");
    }

    #[test]
    fn the_request_asks_for_version_2_with_the_token() {
        let op = operation("b", "p/", Some("tok"), 1000);
        assert_eq!(op.name, "ListObjectsV2");
        let query: Vec<(&str, &str)> = op
            .query
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            query,
            [
                ("list-type", "2"),
                ("max-keys", "1000"),
                ("prefix", "p/"),
                ("continuation-token", "tok")
            ]
        );
    }
}
