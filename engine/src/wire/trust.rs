//! Whom the client trusts and who it says it is over TLS: `ca_file` replaces the system's
//! roots (as curl's `--cacert`); without it the HTTP stack's platform verifier reads the
//! system's, or `SSL_CERT_FILE`/`SSL_CERT_DIR` when set; `client_cert_file` and
//! `client_key_file` answer a server that asks for a client certificate (mutual TLS).
//! README.md ("Networks in the field") has the user's side of this.
//!
//! Every file is read and checked here, at client creation, so a missing or malformed one is
//! an error naming the file then rather than a handshake failure at the first request.

use crate::config::ClientConfig;
use crate::error::{ErrorKind, Result, UploadError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::Read;
use std::path::Path;

/// Far above any real CA bundle (the system's is about 200 KiB).
const MAX_PEM_FILE: u64 = 16 << 20;

pub(crate) fn apply(
    config: &ClientConfig,
    mut builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder> {
    if let Some(path) = &config.ca_file {
        builder = builder.tls_certs_only(ca_certificates(path)?);
    }
    match (&config.client_cert_file, &config.client_key_file) {
        (None, None) => {}
        (Some(cert), Some(key)) => builder = builder.identity(identity(cert, key)?),
        _ => {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                "mutual TLS needs both a client certificate file and its key file, not one of them",
            ))
        }
    }
    Ok(builder)
}

fn ca_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let what = "the CA file";
    let pem = read_pem_file(path, what)?;
    let mut store = rustls::RootCertStore::empty();
    let mut certificates = Vec::new();
    for item in CertificateDer::pem_slice_iter(&pem) {
        let der = item.map_err(|e| malformed(what, path, &e.to_string()))?;
        store
            .add(der.clone())
            .map_err(|e| malformed(what, path, &format!("a certificate is not valid: {e}")))?;
        certificates.push(
            reqwest::Certificate::from_der(&der)
                .map_err(|e| malformed(what, path, &e.to_string()))?,
        );
    }
    if certificates.is_empty() {
        return Err(malformed(what, path, "it holds no PEM certificate"));
    }
    Ok(certificates)
}

fn identity(cert: &Path, key: &Path) -> Result<reqwest::Identity> {
    let cert_what = "the client certificate file";
    let key_what = "the client key file";
    let cert_pem = read_pem_file(cert, cert_what)?;
    let key_pem = read_pem_file(key, key_what)?;
    let mut certificates = 0;
    for item in CertificateDer::pem_slice_iter(&cert_pem) {
        item.map_err(|e| malformed(cert_what, cert, &e.to_string()))?;
        certificates += 1;
    }
    if certificates == 0 {
        return Err(malformed(cert_what, cert, "it holds no PEM certificate"));
    }
    PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        malformed(
            key_what,
            key,
            "it holds no PEM private key (PKCS#8, PKCS#1 or SEC1)",
        )
    })?;
    let mut both = cert_pem;
    both.push(b'\n');
    both.extend_from_slice(&key_pem);
    reqwest::Identity::from_pem(&both).map_err(|_| {
        UploadError::new(
            ErrorKind::InvalidArgument,
            format!(
                "the client certificate {} and key {} cannot be used together",
                cert.display(),
                key.display()
            ),
        )
    })
}

/// Reads a small regular file without blocking on a FIFO or a device.
fn read_pem_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let unreadable = |e: std::io::Error| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::FileNotFound
        } else {
            ErrorKind::FileUnreadable
        };
        UploadError::new(
            kind,
            format!("{what} {} cannot be read: {e}", path.display()),
        )
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(unreadable)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(UploadError::new(
            ErrorKind::FileUnreadable,
            format!("{what} {} is not a regular file", path.display()),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PEM_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PEM_FILE {
        return Err(malformed(what, path, "it is larger than 16 MiB"));
    }
    Ok(bytes)
}

fn malformed(what: &str, path: &Path, why: &str) -> UploadError {
    UploadError::new(
        ErrorKind::InvalidArgument,
        format!("{what} {} is not usable: {why}", path.display()),
    )
}

/// The HTTP client could not be built: with the files checked here, what is left is a
/// client key that does not match its certificate, or no root certificates (`SSL_CERT_FILE`
/// or `SSL_CERT_DIR` naming nothing usable).
pub(crate) fn build_error(config: &ClientConfig, error: reqwest::Error) -> UploadError {
    let cause = super::network_error::chain(&error);
    let message = if config.client_cert_file.is_some() && cause.contains("key") {
        "the client key does not match the client certificate".to_string()
    } else if cause.contains("CA certificates") {
        let variables: Vec<_> = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
            .into_iter()
            .filter(|name| std::env::var_os(name).is_some())
            .collect();
        format!(
            "no CA certificate could be loaded from the system{}",
            if variables.is_empty() {
                String::new()
            } else {
                format!(" ({} set)", variables.join(", "))
            }
        )
    } else {
        "cannot build the HTTP client".to_string()
    };
    let kind = if message.starts_with("cannot build") {
        ErrorKind::Internal
    } else {
        ErrorKind::InvalidArgument
    };
    UploadError::new(kind, message).with_cause(cause)
}
