//! Answers that did not come from an object store: a web server on the wrong port, a captive
//! portal, a proxy's error page. Their bodies are pages, not error documents, and taking one
//! for a store's error gave a message that repeated the page with empty Code and EC. Instead
//! the message names the `host:port`, says the answer was not an object store's, and keeps
//! the status line, the content type and a short cleaned excerpt (the page's title when it
//! has one), so a user sees at once that the endpoint is wrong.

use super::documents::Documents;
use super::protocol::Response;
use super::redact::Secrets;
use crate::error::{ErrorKind, ServerErrorDetail, UploadError};

/// The longest excerpt of a page kept in a message, in characters.
const EXCERPT_CHARS: usize = 80;

/// Whether an unexpected answer is not the protocol's: a body that is not its error document
/// (an empty one is: HEAD answers and some stores' errors carry none).
pub(crate) fn is_foreign_error(documents: &dyn Documents, response: &Response) -> bool {
    let body = &response.body;
    !body.iter().all(u8::is_ascii_whitespace) && documents.error(body).is_none()
}

/// Whether an answer with the expected status is a web page, which no object store operation
/// answers (a captive portal answers 200 to everything). HEAD is exempt: it describes an
/// object, whose own type may be HTML. So is an empty body, whatever type a store or the
/// proxy in front of it labels it with.
pub(crate) fn is_foreign_success(method: &str, response: &Response) -> bool {
    let empty = response.body.iter().all(u8::is_ascii_whitespace);
    method != "HEAD" && !empty && (is_html_type(response) || looks_like_html(&response.body))
}

fn is_html_type(response: &Response) -> bool {
    response
        .header("content-type")
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head = &body[start..body.len().min(start + 15)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// The error for an answer that was not an object store's. It stays a server error with the
/// HTTP status (a proxy's 502 is retried like a store's), with no Code, Message or EC, since
/// no store sent any. The page is cleaned of the request's secrets before it is cut short.
pub(crate) fn error(
    operation: &str,
    host: &str,
    note: &str,
    response: &Response,
    secrets: &Secrets,
) -> UploadError {
    let reason = reqwest::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map_or(String::new(), |r| format!(" {r}"));
    let content_type = response
        .header("content-type")
        .map_or("none".to_string(), |t| clean(&secrets.text(t)));
    let body = String::from_utf8_lossy(&response.body[..response.body.len().min(64 << 10)]);
    // Secrets go before `clean` cuts the text, and after the tags, whose brackets the marker
    // has.
    let excerpt = match title(&body) {
        Some(title) => format!(", page title \"{}\"", clean(&secrets.text(title))),
        None => match clean(&secrets.text(&strip_tags(&body))) {
            text if text.is_empty() => String::new(),
            text => format!(", body \"{text}\""),
        },
    };
    let message = format!(
        "{operation} to {host}{note}: the answer was not from an object store (HTTP {}{reason}, \
         Content-Type {content_type}{excerpt}); check the endpoint",
        response.status
    );
    UploadError {
        kind: ErrorKind::Server,
        message,
        server: Some(Box::new(ServerErrorDetail {
            status: response.status,
            ..ServerErrorDetail::default()
        })),
        cause: None,
    }
}

/// The text of the first `<title>` element.
fn title(page: &str) -> Option<&str> {
    let lower = page.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    Some(&page[start..end]).filter(|t| !t.trim().is_empty())
}

/// The text between the tags.
fn strip_tags(page: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// One line of printable text, whitespace runs as one space, at most `EXCERPT_CHARS`
/// characters: a page may hold anything, and a message must stay one readable line.
fn clean(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect())
        .collect();
    let line = words.join(" ").replace('"', "'");
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::protocol::SignedRequest;
    use bytes::Bytes;

    fn error(operation: &str, host: &str, note: &str, response: &Response) -> UploadError {
        let none = SignedRequest {
            url: String::new(),
            headers: Vec::new(),
        };
        super::error(
            operation,
            host,
            note,
            response,
            &Secrets::of_request(["", ""], &none),
        )
    }

    #[test]
    fn a_secret_is_removed_before_the_page_is_cut() {
        let token = "T".repeat(100);
        let body: &'static str = Box::leak(format!("token {token}").into_boxed_str());
        let signed = SignedRequest {
            url: String::new(),
            headers: vec![("x-amz-security-token".into(), token)],
        };
        let secrets = Secrets::of_request(["", ""], &signed);
        let e = super::error(
            "PutObject",
            "h:1",
            "",
            &page(403, "text/plain", body),
            &secrets,
        );
        assert!(
            e.message.contains("body \"token <redacted>\""),
            "{}",
            e.message
        );
    }

    fn page(status: u16, content_type: &str, body: &'static str) -> Response {
        Response::from_pairs(
            status,
            [("content-type", content_type)],
            Bytes::from_static(body.as_bytes()),
        )
    }

    #[test]
    fn a_page_is_named_by_its_title_or_its_first_words() {
        let e = error(
            "PutObject",
            "127.0.0.1:8080",
            "",
            &page(
                404,
                "text/html",
                "<html><head><TITLE>Error\n response</TITLE></head><body>x</body></html>",
            ),
        );
        assert_eq!(
            e.message,
            "PutObject to 127.0.0.1:8080: the answer was not from an object store (HTTP 404 Not \
             Found, Content-Type text/html, page title \"Error response\"); check the endpoint"
        );
        assert_eq!(e.http_status(), Some(404));
        assert_eq!(e.server.as_ref().unwrap().code, "");
        let long = "<p>Access \"denied\"\u{7}</p>".to_string() + &"y".repeat(200);
        let long: &'static str = Box::leak(long.into_boxed_str());
        let e = error("UploadPart", "h:1", "", &page(502, "text/html", long));
        assert!(e
            .message
            .contains("(HTTP 502 Bad Gateway, Content-Type text/html, body \"Access 'denied' yyy"));
        assert!(e.message.ends_with("...\"); check the endpoint"));
    }

    #[test]
    fn only_pages_are_foreign_successes() {
        let html = page(200, "text/html; charset=utf-8", "<p>portal</p>");
        assert!(is_foreign_success("PUT", &html));
        assert!(!is_foreign_success("HEAD", &html));
        assert!(is_foreign_success(
            "POST",
            &page(200, "", "\n <!DOCTYPE html><html>")
        ));
        assert!(!is_foreign_success(
            "POST",
            &page(200, "application/xml", "<x/>")
        ));
    }
}
