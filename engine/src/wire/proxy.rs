//! Which proxy each request goes through: the client's `proxy` and `no_proxy` settings, else
//! the environment's `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (upper case
//! first, then lower case), with the rules and the differences from curl that README.md
//! ("Networks in the field") lists. Resolved here once, at client creation, so the HTTP
//! stack is handed explicit proxies and never reads the environment behind our back.
//!
//! A proxy URL may carry `user:password@`; it is only ever shown as `scheme://host:port`.

use crate::config::ClientConfig;
use crate::error::{ErrorKind, Result, UploadError};

/// The proxies a client uses, after the settings and the environment are weighed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ProxyChoice {
    /// For `http://` endpoints.
    pub http: Option<String>,
    /// For `https://` endpoints (tunnelled with CONNECT).
    pub https: Option<String>,
    /// Hosts that bypass both, as curl's `NO_PROXY`.
    pub no_proxy: String,
}

/// `env` reads a variable (a parameter so the rules can be tested without touching the
/// process's environment).
pub(crate) fn choose(config: &ClientConfig, env: impl Fn(&str) -> Option<String>) -> ProxyChoice {
    let first = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| env(name).filter(|v| !v.trim().is_empty()))
    };
    let no_proxy = if config.no_proxy.is_empty() {
        first(&["NO_PROXY", "no_proxy"]).unwrap_or_default()
    } else {
        config.no_proxy.clone()
    };
    if no_proxy.split(',').any(|entry| entry.trim() == "*") {
        return ProxyChoice::default();
    }
    if !config.proxy.is_empty() {
        return ProxyChoice {
            http: Some(config.proxy.clone()),
            https: Some(config.proxy.clone()),
            no_proxy,
        };
    }
    // A CGI program's HTTP_PROXY may come from the request's `Proxy:` header ("httpoxy"):
    // under CGI the environment names no proxy, as in the HTTP stack's own reading.
    if env("REQUEST_METHOD").is_some() {
        return ProxyChoice::default();
    }
    let all = first(&["ALL_PROXY", "all_proxy"]);
    ProxyChoice {
        http: first(&["HTTP_PROXY", "http_proxy"]).or_else(|| all.clone()),
        https: first(&["HTTPS_PROXY", "https_proxy"]).or(all),
        no_proxy,
    }
}

/// `scheme://host:port` of a proxy URL, never its user or password; `None` when it is not a
/// URL we can use.
pub(crate) fn shown(proxy: &str) -> Option<String> {
    let url = as_url(proxy)?;
    Some(format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str()?,
        url.port_or_known_default()?
    ))
}

fn as_url(proxy: &str) -> Option<url::Url> {
    // As curl: a proxy without a scheme is an HTTP proxy.
    let text = if proxy.contains("://") {
        proxy.to_string()
    } else {
        format!("http://{proxy}")
    };
    url::Url::parse(&text).ok()
}

fn parse(proxy: &str) -> std::result::Result<url::Url, &'static str> {
    let url = as_url(proxy).ok_or("not a URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http:// and https:// proxies are supported (not SOCKS)");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("it names no host");
    }
    Ok(url)
}

/// Hands the choice to the HTTP client builder. A proxy that cannot be used is an error
/// here, at client creation, naming where it came from but not its credentials.
pub(crate) fn apply(
    choice: &ProxyChoice,
    mut builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder> {
    // Without an explicit proxy the builder would read the environment itself.
    builder = builder.no_proxy();
    let no_proxy = reqwest::NoProxy::from_string(&choice.no_proxy);
    for (which, proxy) in [("http", &choice.http), ("https", &choice.https)] {
        let Some(proxy) = proxy else { continue };
        let url = parse(proxy).map_err(|why| invalid(which, proxy, why))?;
        let made = match which {
            "http" => reqwest::Proxy::http(url.as_str()),
            _ => reqwest::Proxy::https(url.as_str()),
        };
        let made = made.map_err(|_| invalid(which, proxy, "the HTTP client refused it"))?;
        builder = builder.proxy(made.no_proxy(no_proxy.clone()));
    }
    Ok(builder)
}

fn invalid(which: &str, proxy: &str, why: &str) -> UploadError {
    let shown = shown(proxy).map_or(String::new(), |s| format!(" {s}"));
    UploadError::new(
        ErrorKind::InvalidArgument,
        format!("the proxy{shown} for {which}:// requests cannot be used: {why}"),
    )
}

/// The proxy that requests to `endpoint` go through, shown without credentials, for the
/// messages about requests that got no answer (the failure may be the proxy's).
pub(crate) fn proxy_for(choice: &ProxyChoice, endpoint: &str) -> Option<String> {
    let uri: http::Uri = endpoint.parse().ok()?;
    let matcher = hyper_util::client::proxy::matcher::Matcher::builder()
        .http(choice.http.clone().unwrap_or_default())
        .https(choice.https.clone().unwrap_or_default())
        .no(choice.no_proxy.clone())
        .build();
    let intercept = matcher.intercept(&uri)?;
    shown(&intercept.uri().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxy: &str, no_proxy: &str) -> ClientConfig {
        ClientConfig {
            proxy: proxy.into(),
            no_proxy: no_proxy.into(),
            ..ClientConfig::new()
        }
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_environment_as_curl_reads_it() {
        let vars = [
            ("http_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:2"),
            ("https_proxy", "http://lower:2"),
            ("no_proxy", "example.com"),
        ];
        let choice = choose(&config("", ""), env(&vars));
        assert_eq!(choice.http.as_deref(), Some("http://lower:1"));
        assert_eq!(choice.https.as_deref(), Some("http://upper:2"));
        assert_eq!(choice.no_proxy, "example.com");
        let all = [("ALL_PROXY", "http://all:3"), ("HTTP_PROXY", "http://h:1")];
        let choice = choose(&config("", ""), env(&all));
        assert_eq!(choice.http.as_deref(), Some("http://h:1"));
        assert_eq!(choice.https.as_deref(), Some("http://all:3"));
        let cgi = [("HTTP_PROXY", "http://h:1"), ("REQUEST_METHOD", "GET")];
        assert_eq!(choose(&config("", ""), env(&cgi)), ProxyChoice::default());
    }

    #[test]
    fn settings_override_the_environment() {
        let vars = [("HTTP_PROXY", "http://env:1"), ("NO_PROXY", "127.0.0.1")];
        let choice = choose(&config("http://mine:9", ""), env(&vars));
        assert_eq!(choice.http.as_deref(), Some("http://mine:9"));
        assert_eq!(choice.https.as_deref(), Some("http://mine:9"));
        assert_eq!(choice.no_proxy, "127.0.0.1");
        let choice = choose(&config("", "other.example"), env(&vars));
        assert_eq!(choice.http.as_deref(), Some("http://env:1"));
        assert_eq!(choice.no_proxy, "other.example");
        for star in ["*", " a.example, * "] {
            let choice = choose(&config("http://mine:9", star), env(&vars));
            assert_eq!(choice, ProxyChoice::default());
        }
    }

    #[test]
    fn credentials_are_never_shown() {
        assert_eq!(
            shown("http://user:s3cret@proxy.example:3128").as_deref(),
            Some("http://proxy.example:3128")
        );
        assert_eq!(
            shown("proxy.example").as_deref(),
            Some("http://proxy.example:80")
        );
        let error = apply(
            &ProxyChoice {
                http: Some("socks5://user:s3cret@p:1080".into()),
                ..ProxyChoice::default()
            },
            reqwest::Client::builder(),
        )
        .err()
        .unwrap();
        assert_eq!(error.kind, ErrorKind::InvalidArgument);
        assert!(error.message.contains("socks5://p:1080"), "{error}");
        assert!(!format!("{error:?}").contains("s3cret"), "{error:?}");
    }

    #[test]
    fn the_endpoint_goes_through_the_proxy_unless_exempt() {
        let choice = ProxyChoice {
            http: Some("http://u:pw@127.0.0.1:3128".into()),
            https: None,
            no_proxy: "localhost".into(),
        };
        assert_eq!(
            proxy_for(&choice, "http://127.0.0.1:9000").as_deref(),
            Some("http://127.0.0.1:3128")
        );
        assert_eq!(proxy_for(&choice, "https://127.0.0.1:9000"), None);
        assert_eq!(proxy_for(&choice, "http://localhost:9000"), None);
    }
}
