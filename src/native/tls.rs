//! rustls configurations for `wss://`, with the `ring` provider.
//!
//! [`server_config_from_pem`] builds what [`Application::tls`](crate::Application::tls)
//! takes from a PEM certificate chain and key; [`client_config_with_roots`] builds what
//! [`ConnectOptions::tls`](crate::ConnectOptions::tls) takes, trusting the given roots
//! (for example a private CA). Without `ConnectOptions::tls`, `wss://` trusts the Mozilla
//! roots of `webpki-roots`.
//!
//! The `ring` provider has no post-quantum key exchange (rustls 0.23.48 deprecates it for
//! that); the `aws-lc-rs` provider has, but needs cmake and a C toolchain to build. For
//! post-quantum key exchange, build the `rustls` configurations with that provider yourself
//! and pass them to `Application::tls` and `ConnectOptions::tls`.

use std::io;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

fn provider() -> Arc<CryptoProvider> {
    // Deprecated in rustls 0.23.48 for lacking post-quantum key exchange; kept on purpose
    // (module docs), and the warning would reach every build of the examples and tests.
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(what: &str, err: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {err}"))
}

fn certificates(pem: &[u8]) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid("bad PEM certificate", err))?;
    if certs.is_empty() {
        return Err(invalid(
            "no certificate",
            "the PEM data holds no CERTIFICATE block",
        ));
    }
    Ok(certs)
}

/// A TLS server configuration from a PEM certificate chain (leaf first) and its PEM
/// private key (PKCS#8, PKCS#1 or SEC1), for [`Application::tls`](crate::Application::tls).
///
/// With the `http2` feature it offers ALPN `h2` and `http/1.1`, so that browsers open
/// their WebSockets over HTTP/2 (RFC 8441) when they already speak it to this server.
///
/// # Errors
/// [`io::ErrorKind::InvalidData`] when the PEM data holds no certificate or key, or when
/// rustls refuses them (for example a key that does not match the certificate).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let cert = std::fs::read("cert.pem")?;
/// let key = std::fs::read("key.pem")?;
/// let config = squall::tls::server_config_from_pem(&cert, &key)?;
/// let server = squall::Application::new().tls(config).listen("127.0.0.1:8443").await?;
/// # Ok(()) }
/// ```
pub fn server_config_from_pem(
    cert_chain: &[u8],
    private_key: &[u8],
) -> io::Result<Arc<ServerConfig>> {
    let certs = certificates(cert_chain)?;
    let key = PrivateKeyDer::from_pem_slice(private_key)
        .map_err(|err| invalid("bad PEM private key", err))?;
    #[allow(unused_mut)]
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| invalid("TLS versions", err))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| invalid("certificate or key refused", err))?;
    #[cfg(feature = "http2")]
    {
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    }
    Ok(Arc::new(config))
}

/// A TLS client configuration that trusts only the PEM root certificates given, for
/// [`ConnectOptions::tls`](crate::ConnectOptions::tls).
///
/// # Errors
/// [`io::ErrorKind::InvalidData`] when the PEM data holds no certificate or one that is
/// not a valid trust anchor.
///
/// ```no_run
/// # async fn run() -> Result<(), squall::Error> {
/// let root = std::fs::read("ca.pem")?;
/// let options = squall::ConnectOptions::new().tls(squall::tls::client_config_with_roots(&root)?);
/// let conn = squall::websocket_connect("wss://localhost:8443/ws", options).await?;
/// # Ok(()) }
/// ```
pub fn client_config_with_roots(root_certs: &[u8]) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(root_certs)? {
        roots
            .add(cert)
            .map_err(|err| invalid("bad root certificate", err))?;
    }
    client_config(roots)
}

fn client_config(roots: RootCertStore) -> io::Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| invalid("TLS versions", err))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The configuration `wss://` uses without [`ConnectOptions::tls`](crate::ConnectOptions::tls):
/// the `webpki-roots` trust anchors, built once.
#[cfg(feature = "client")]
pub(crate) fn default_client_config() -> io::Result<Arc<ClientConfig>> {
    use std::sync::OnceLock;

    static DEFAULT: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            client_config(roots).map_err(|err| err.to_string())
        })
        .clone()
        .map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_garbage_pem_is_invalid_data() {
        for pem in [&b""[..], b"not pem at all"] {
            let err = client_config_with_roots(pem).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            let err = server_config_from_pem(pem, pem).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        }
    }

    #[cfg(feature = "client")]
    #[test]
    fn default_client_config_trusts_webpki_roots() {
        let config = default_client_config().unwrap();
        assert!(Arc::ptr_eq(&config, &default_client_config().unwrap()));
    }
}
