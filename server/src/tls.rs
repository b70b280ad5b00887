//! `--tls-self-signed`: serve HTTPS with a certificate made at start for 127.0.0.1 and
//! localhost, so tests can prove that clients verify certificates by default (and can be
//! told not to).

use std::sync::Arc;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

pub fn self_signed_acceptor() -> Result<TlsAcceptor, String> {
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| format!("certificate: {e}"))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|e| format!("TLS config: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
