//! The TLS layer of `wss://`: rustls over the TCP stream, with SNI from the URL's host.

use std::io;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::Host;

use super::request::Target;
use crate::native::transport::AnyStream;

/// Runs the TLS handshake with `config`, checking the certificate against the URL's host
/// (a DNS name, also sent as SNI, or an IP address); the stream, and whether ALPN chose
/// `h2`.
pub(super) async fn connect(
    tcp: TcpStream,
    target: &Target,
    config: Arc<ClientConfig>,
) -> io::Result<(AnyStream, bool)> {
    let name = match &target.host {
        Host::Domain(name) => ServerName::try_from(name.clone())
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))?,
        Host::Ipv4(ip) => ServerName::IpAddress(std::net::IpAddr::from(*ip).into()),
        Host::Ipv6(ip) => ServerName::IpAddress(std::net::IpAddr::from(*ip).into()),
    };
    let tls = TlsConnector::from(config).connect(name, tcp).await?;
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok((AnyStream::new(tls), h2))
}
