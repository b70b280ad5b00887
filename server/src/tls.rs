//! `--tls-self-signed`: serve HTTPS with a certificate made at start for 127.0.0.1 and
//! localhost, so tests can prove that clients verify certificates by default (and can be
//! told not to). `--tls-cert-out FILE` writes that certificate as PEM, for a client to trust
//! as a user trusts a private CA; `--tls-client-ca FILE` asks every client for a certificate
//! signed by one of the PEM CAs in FILE (mutual TLS) and refuses the handshake without one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

pub fn self_signed_acceptor(
    cert_out: Option<&PathBuf>,
    client_ca: Option<&PathBuf>,
) -> Result<TlsAcceptor, String> {
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| format!("certificate: {e}"))?;
    if let Some(path) = cert_out {
        std::fs::write(path, certified.cert.pem())
            .map_err(|e| format!("--tls-cert-out {}: {e}", path.display()))?;
    }
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let builder = ServerConfig::builder();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder(Arc::new(client_roots(path)?))
                .build()
                .map_err(|e| format!("--tls-client-ca {}: {e}", path.display()))?,
        ),
    };
    let config = builder
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|e| format!("TLS config: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn client_roots(path: &Path) -> Result<RootCertStore, String> {
    let failed = |e: String| format!("--tls-client-ca {}: {e}", path.display());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| failed(e.to_string()))? {
        roots
            .add(cert.map_err(|e| failed(e.to_string()))?)
            .map_err(|e| failed(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(failed("no PEM certificate in it".into()));
    }
    Ok(roots)
}
