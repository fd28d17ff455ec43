//! `websocket_connect_on`: the opening handshake and the driver over a stream the caller
//! opened.

use super::connect::start;
use super::handshake::{handshake, Offer};
use super::request::{merge_headers, Target};
use crate::native::transport::{AnyStream, Transport};
use crate::WebSocketClientConnection;
use crate::{ConnectOptions, Error, IntoClientRequest};

/// Opens a WebSocket connection over `stream`, a byte stream the caller already connected
/// (and secured, for `wss://`): a Unix socket, an in-memory pipe, a tunnel of its own.
///
/// `request` gives the path, the `Host` header and the extra headers, as for
/// [`websocket_connect`](crate::websocket_connect); its scheme only says whether the
/// stream is secure (no TLS is run here). The options apply as there, with
/// `connect_timeout` covering the handshake alone. A redirect is returned as
/// [`Error::Handshake`]: following it would need another stream.
///
/// Any `AsyncRead + AsyncWrite` stream works: give it a [`Transport`] impl (one line,
/// when it has no `TCP_NODELAY`).
///
/// # Errors
/// As [`websocket_connect`](crate::websocket_connect) for the handshake; and
/// [`Error::Unsupported`] for options that open connections of their own
/// ([`proxy`](ConnectOptions::proxy), [`tls`](ConnectOptions::tls),
/// [`follow_redirects`](ConnectOptions::follow_redirects)), and for an
/// [`http_version`](ConnectOptions::http_version) other than HTTP/1.1 and an
/// [`http2_pool`](ConnectOptions::http2_pool).
///
/// # Examples
/// ```no_run
/// use squall::{websocket_connect_on, ConnectOptions};
///
/// # async fn run() -> Result<(), squall::Error> {
/// let stream = tokio::net::UnixStream::connect("/run/chat.sock").await?;
/// let mut conn = websocket_connect_on(stream, "ws://example.com/chat", ConnectOptions::new()).await?;
/// conn.write_message("hello").await?;
/// # Ok(()) }
/// ```
pub async fn websocket_connect_on(
    stream: impl Transport,
    request: impl IntoClientRequest,
    options: ConnectOptions,
) -> Result<WebSocketClientConnection, Error> {
    let unsupported = [
        (options.proxy.is_some(), "proxy"),
        (options.follow_redirects > 0, "follow_redirects"),
        (
            options.http_version != crate::HttpVersion::Http1,
            "http_version",
        ),
        (options.http2_pool.is_some(), "http2_pool"),
        #[cfg(feature = "tls")]
        (options.tls.is_some(), "tls"),
    ];
    if let Some((_, name)) = unsupported.iter().find(|(set, _)| *set) {
        return Err(Error::Unsupported(
            format!("{name}: websocket_connect_on runs over the caller's stream").into(),
        ));
    }
    let request = request.into_client_request()?;
    let target = Target::parse(request.uri())?;
    let headers = merge_headers(request.headers(), &options.headers);
    let offer = Offer {
        subprotocols: &options.subprotocols,
        headers: &headers,
        compression: options.compression_options.as_ref(),
    };
    let mut stream = AnyStream::new(stream);
    let opening = handshake(&mut stream, &target, &offer);
    let upgraded = match options.connect_timeout {
        Some(limit) => tokio::time::timeout(limit, opening)
            .await
            .map_err(|_| Error::ConnectTimeout(limit))??,
        None => opening.await?,
    };
    Ok(start(stream, upgraded, options))
}
