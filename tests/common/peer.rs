//! An independent client for the server suites, over every transport the server speaks:
//! HTTP/1.1 (tokio-tungstenite's own upgrade), h2c, and HTTP/2 over TLS (an extended
//! CONNECT opened with the `h2` crate, RFC 8441). Above the transport the WebSocket is
//! always tokio-tungstenite's (or a [`RawPeer`]'s hand-written frames), so nothing of
//! squall's client is in the way.
//!
//! A behaviour test is written once as `async fn name(transport: Transport)` and run as
//! one test per transport by [`transport_tests!`] (`name::http1`, `name::h2c`,
//! `name::h2_tls`), or over HTTP/2 only by [`http2_tests!`].
#![allow(dead_code, unreachable_pub, unused_macros, clippy::unwrap_used)]

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use http::{Request, Response, StatusCode};
use squall::{Application, Server};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Error as TError;
use tokio_tungstenite::WebSocketStream;

use super::client::{test_certs, TestCerts};
use super::raw_h2::{StreamIo, Tap, Windows, H2};
use super::RawPeer;

/// How the client reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// An HTTP/1.1 upgrade on a TCP connection of its own.
    Http1,
    /// An extended CONNECT on cleartext HTTP/2 with prior knowledge.
    H2c,
    /// An extended CONNECT on HTTP/2 over TLS (ALPN `h2`).
    H2Tls,
    /// An HTTP/1.1 upgrade over TLS (ALPN `http/1.1`). Not among the suites' transports
    /// ([`transport_tests!`]): for servers that serve both versions on one TLS port.
    Http1Tls,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Http1 => "HTTP/1.1",
            Self::H2c => "h2c",
            Self::H2Tls => "HTTP/2 over TLS",
            Self::Http1Tls => "HTTP/1.1 over TLS",
        })
    }
}

/// One test per transport for each `async fn name(transport: Transport)` named:
/// `name::http1`, `name::h2c` and `name::h2_tls`. A leading `#[tokio::test(..)]` replaces
/// the default `#[tokio::test]`.
macro_rules! transport_tests {
    (#[$test:meta] $($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::common::peer::Transport;

            #[$test]
            async fn http1() {
                super::$name(Transport::Http1).await;
            }

            #[$test]
            async fn h2c() {
                super::$name(Transport::H2c).await;
            }

            #[$test]
            async fn h2_tls() {
                super::$name(Transport::H2Tls).await;
            }
        }
    )+};
    ($($name:ident),+ $(,)?) => {
        $crate::common::peer::transport_tests!(#[tokio::test] $($name),+);
    };
}

/// As [`transport_tests!`], over the HTTP/2 transports only: `name::h2c`, `name::h2_tls`.
macro_rules! http2_tests {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::common::peer::Transport;

            #[tokio::test]
            async fn h2c() {
                super::$name(Transport::H2c).await;
            }

            #[tokio::test]
            async fn h2_tls() {
                super::$name(Transport::H2Tls).await;
            }
        }
    )+};
}

#[allow(unused_imports)] // not every suite has tests over HTTP/2 only
pub(crate) use {http2_tests, transport_tests};

/// The certificates of this test process's TLS servers, made once.
pub fn certs() -> &'static TestCerts {
    static CERTS: OnceLock<TestCerts> = OnceLock::new();
    CERTS.get_or_init(test_certs)
}

impl Transport {
    pub const ALL: [Self; 3] = [Self::Http1, Self::H2c, Self::H2Tls];

    pub fn is_http2(self) -> bool {
        matches!(self, Self::H2c | Self::H2Tls)
    }

    pub fn is_tls(self) -> bool {
        matches!(self, Self::H2Tls | Self::Http1Tls)
    }

    /// `app` on 127.0.0.1 as this transport needs it: as it is for HTTP/1.1, with h2c
    /// beside HTTP/1.1, or with TLS (ALPN `h2` and `http/1.1`, [`certs`]).
    pub async fn listen(self, app: Application) -> Server {
        let app = match self {
            Self::Http1 => app,
            Self::H2c => app.h2c(true),
            Self::H2Tls | Self::Http1Tls => {
                let certs = certs();
                let config = squall::tls::server_config_from_pem(
                    certs.cert_pem.as_bytes(),
                    certs.key_pem.as_bytes(),
                )
                .unwrap();
                app.tls(config)
            }
        };
        app.listen("127.0.0.1:0").await.expect("bind 127.0.0.1")
    }

    /// The status of an accepted WebSocket: 101 over HTTP/1.1, 200 over HTTP/2.
    pub fn accepted(self) -> StatusCode {
        if self.is_http2() {
            StatusCode::OK
        } else {
            StatusCode::SWITCHING_PROTOCOLS
        }
    }

    /// A raw HTTP/2 connection to `addr` (h2c or TLS) offering `windows`, its received
    /// bytes recorded in `tap` if given.
    pub async fn h2(self, addr: SocketAddr, tap: Option<Tap>, windows: Windows) -> H2 {
        match self {
            Self::Http1 | Self::Http1Tls => panic!("HTTP/1.1 has no HTTP/2 connection"),
            Self::H2c => H2::connect(addr, None, tap, windows).await,
            Self::H2Tls => H2::connect(addr, Some(&certs().root_pem), tap, windows).await,
        }
    }
}

/// A byte stream under a WebSocket: a TCP connection or an HTTP/2 stream.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

pub type BoxIo = Box<dyn Io>;
/// tokio-tungstenite's client on any transport.
pub type Ws = WebSocketStream<BoxIo>;

/// A client of one server: over HTTP/1.1 each WebSocket gets a TCP connection of its own;
/// over HTTP/2 every WebSocket it opens is a stream of one connection.
pub struct Client {
    pub transport: Transport,
    pub addr: SocketAddr,
    pub h2: Option<H2>,
}

impl Client {
    /// A client of `server` (an HTTP/2 connection is opened now).
    pub async fn new(transport: Transport, server: &Server) -> Self {
        Self::to(transport, server.local_addr()).await
    }

    /// A client of the server at `addr`.
    pub async fn to(transport: Transport, addr: SocketAddr) -> Self {
        // A browser's windows: a client that reads keeps up with the server as it does
        // over a TCP connection of its own.
        let h2 = if transport.is_http2() {
            Some(transport.h2(addr, None, Windows::BROWSER).await)
        } else {
            None
        };
        Self {
            transport,
            addr,
            h2,
        }
    }

    /// An upgrade request for `path` (with its query) to add headers to: tokio-tungstenite's
    /// for HTTP/1.1; over HTTP/2 its path and headers go into an extended CONNECT.
    pub fn request(&self, path: &str) -> Request<()> {
        format!("ws://{}{path}", self.addr)
            .into_client_request()
            .unwrap()
    }

    /// The `Origin` of a page on the server's own host.
    pub fn same_origin(&self) -> String {
        let scheme = if self.transport.is_tls() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// A tokio-tungstenite WebSocket on `path`; panics unless accepted.
    pub async fn connect(&self, path: &str) -> Ws {
        self.connect_with(self.request(path)).await.unwrap().0
    }

    /// Opens a WebSocket with `request`: the client and the server's answer, or the
    /// answer when it refused.
    pub async fn connect_with(
        &self,
        request: Request<()>,
    ) -> Result<(Ws, Response<()>), Response<()>> {
        let transport = self.transport;
        if let Some(h2) = &self.h2 {
            let (io, response) = open_stream(h2, request).await?;
            let ws = WebSocketStream::from_raw_socket(io, Role::Client, None).await;
            return Ok((ws, response));
        }
        let stream = self.http1_stream().await.unwrap();
        match tokio_tungstenite::client_async(request, stream).await {
            Ok((ws, response)) => Ok((ws, response.map(|_| ()))),
            Err(TError::Http(response)) => Err(response.map(|_| ())),
            Err(error) => panic!("{transport}: the handshake failed: {error}"),
        }
    }

    /// The status the server answers `request` with.
    pub async fn status_of(&self, request: Request<()>) -> StatusCode {
        match self.connect_with(request).await {
            Ok((_, response)) | Err(response) => response.status(),
        }
    }

    /// Whether a WebSocket can open at all: `false` when the server no longer listens or
    /// (over HTTP/2) the connection no longer takes streams.
    pub async fn can_open(&self, path: &str) -> bool {
        let request = self.request(path);
        if let Some(h2) = &self.h2 {
            return match h2.send.clone().ready().await {
                Ok(mut send) => {
                    let request = extended_connect(h2, request);
                    match send.send_request(request, false) {
                        Ok((response, _stream)) => {
                            matches!(response.await, Ok(r) if r.status() == StatusCode::OK)
                        }
                        Err(_) => false,
                    }
                }
                Err(_) => false,
            };
        }
        match self.http1_stream().await {
            Ok(stream) => tokio_tungstenite::client_async(request, stream)
                .await
                .is_ok(),
            Err(_) => false,
        }
    }

    /// A connection of its own for an HTTP/1.1 upgrade: TCP, or TLS with ALPN `http/1.1`.
    async fn http1_stream(&self) -> std::io::Result<BoxIo> {
        let tcp = TcpStream::connect(self.addr).await?;
        if !self.transport.is_tls() {
            return Ok(Box::new(tcp));
        }
        let config = squall::tls::client_config_with_roots(certs().root_pem.as_bytes()).unwrap();
        let mut config = Arc::unwrap_or_clone(config);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = rustls_pki_types::ServerName::from(self.addr.ip());
        let tls = connector.connect(name, tcp).await?;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        Ok(Box::new(tls))
    }

    /// A peer that exchanges hand-written frames on `path`.
    pub async fn raw(&self, path: &str) -> RawPeer<BoxIo> {
        if let Some(h2) = &self.h2 {
            let (io, _) = open_stream(h2, self.request(path)).await.unwrap();
            return RawPeer::over(io);
        }
        let stream = self.http1_stream().await.unwrap();
        RawPeer::upgrade(stream, path, "").await
    }
}

/// The extended CONNECT that carries `request` (an HTTP/1.1 upgrade request) over HTTP/2:
/// its path, query and headers, without those HTTP/2 has no use for.
fn extended_connect(h2: &H2, request: Request<()>) -> Request<()> {
    let (parts, ()) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut connect = h2.connect_request(path, &[]);
    let hop_by_hop = ["host", "connection", "upgrade", "sec-websocket-key"];
    let headers = connect.headers_mut();
    for name in parts.headers.keys() {
        headers.remove(name);
    }
    for (name, value) in &parts.headers {
        if !hop_by_hop.contains(&name.as_str()) {
            headers.append(name, value.clone());
        }
    }
    connect
}

/// Opens an extended CONNECT for `request` on `h2`: the stream and the answer, or the
/// answer when it is not 200.
async fn open_stream(h2: &H2, request: Request<()>) -> Result<(BoxIo, Response<()>), Response<()>> {
    let (parts, recv, send) = h2
        .request(extended_connect(h2, request))
        .await
        .unwrap_or_else(|error| panic!("the extended CONNECT failed: {error}"));
    let response = Response::from_parts(parts, ());
    if response.status() != StatusCode::OK {
        return Err(response);
    }
    Ok((Box::new(StreamIo::new(send, recv)), response))
}
