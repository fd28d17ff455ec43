//! HTTP/2 connections that several clients share (`ConnectOptions::http2_pool`).

use std::fmt;

/// HTTP/2 connections that several clients share.
///
/// Give clones of one pool to several [`websocket_connect`](crate::websocket_connect) calls
/// ([`ConnectOptions::http2_pool`](crate::ConnectOptions::http2_pool)) and, over HTTP/2,
/// their WebSockets to one origin (scheme, host and port) open as streams of one HTTP/2
/// connection (RFC 8441): one TCP and TLS handshake for them all. Each WebSocket still
/// closes on its own, without disturbing the others. A connection the server has closed
/// or sent GOAWAY on is replaced by a new one when the next client asks.
///
/// The pool keeps each origin's connection open while it exists, also once its
/// WebSockets are closed: drop every clone of it to let them go. The first client to an
/// origin opens its connection, so its proxy and TLS settings hold for the clients that
/// share it.
///
/// Native only, with the `http2` feature; the pool is used only when
/// [`http_version`](crate::ConnectOptions::http_version) allows HTTP/2 (`Auto` or `Http2`).
/// In a browser, which shares its own connections, the option is
/// [`Error::Unsupported`](crate::Error::Unsupported).
///
/// ```no_run
/// use squall::{websocket_connect, ConnectOptions, Http2Pool, HttpVersion};
///
/// # async fn run() -> Result<(), squall::Error> {
/// let pool = Http2Pool::new();
/// let options = || {
///     ConnectOptions::new()
///         .http_version(HttpVersion::Http2)
///         .http2_pool(pool.clone())
/// };
/// // One HTTP/2 connection, two WebSockets.
/// let mut prices = websocket_connect("wss://example.com/prices", options()).await?;
/// let mut news = websocket_connect("wss://example.com/news", options()).await?;
/// prices.close(None, None).await?; // `news` stays open
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Http2Pool {
    #[cfg(all(not(target_arch = "wasm32"), feature = "client", feature = "http2"))]
    pub(crate) connections: std::sync::Arc<crate::native::client::Http2Connections>,
}

impl Http2Pool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for Http2Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http2Pool").finish_non_exhaustive()
    }
}
