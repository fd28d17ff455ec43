//! `websocket_connect` in the browser: option checks, the `WebSocket` object, and the wait
//! for `open` under `connect_timeout`.

use std::future::poll_fn;

use super::request::browser_url;
use super::shim::{Reader, Writer};
use super::socket::Socket;
use super::timer::timeout;
use crate::client::{Info, WebSocketClientConnection};
use crate::methods::Negotiated;
use crate::IntoClientRequest;
use crate::{ConnectOptions, Error};

/// Opens a WebSocket connection from the page, as Tornado's `websocket_connect`.
///
/// `request` is a `ws://` or `wss://` URL (see [`IntoClientRequest`]); `options` holds the
/// rest of Tornado's arguments, of which a browser can honour `connect_timeout`,
/// `max_message_size`, `close_timeout`, `subprotocols` and `on_message_callback`. The
/// browser sends the page's `Origin` and cookies, and always offers permessage-deflate.
///
/// The returned future needs no runtime of its own: any executor on the page does
/// (`wasm_bindgen_futures::spawn_local`, or `.await` in an `async` `#[wasm_bindgen]`
/// function). Dropping it before it resolves closes the socket.
///
/// # Errors
/// - [`Error::InvalidUrl`] for a URL that is not `ws://` or `wss://` with a host, or that
///   the browser's `WebSocket` constructor refuses (for example `ws://` from an `https://`
///   page, or invalid subprotocol names);
/// - [`Error::Unsupported`], naming the option, for what a page cannot do: request headers,
///   `compression_options`, `ping_interval`, `ping_timeout`, `on_ping`, `on_pong`, `proxy`
///   (the browser's own proxy settings apply), `follow_redirects` above 0 (browsers
///   fail the handshake on a redirect, as the WHATWG WebSockets standard requires) and an
///   `http_version` other than `Http1` and `http2_pool` (the browser chooses HTTP/2, and
///   shares its connections, by itself);
/// - [`Error::ConnectTimeout`] when the socket is not open after `connect_timeout`;
/// - [`Error::Io`] with kind [`ConnectionRefused`](std::io::ErrorKind::ConnectionRefused)
///   when the socket closes before it opens. Browsers report a refused TCP connection, a
///   failed TLS handshake and an HTTP answer other than 101 (a 403 for a foreign origin, a
///   404 for an unknown path) alike, as an error event and close code 1006, and never tell
///   the page the HTTP status, so the native client's
///   [`HandshakeError::UnexpectedStatus`](crate::HandshakeError::UnexpectedStatus) cannot
///   be produced here.
///
/// # Examples
/// ```ignore
/// use std::time::Duration;
/// use squall::{websocket_connect, ConnectOptions};
///
/// # async fn run() -> Result<(), squall::Error> {
/// let options = ConnectOptions::new()
///     .connect_timeout(Duration::from_secs(10))
///     .subprotocol("chat");
/// let mut conn = websocket_connect("wss://example.com/chat", options).await?;
/// conn.write_message("hello").await?;
/// let reply = conn.read_message().await;
/// conn.close(None, None).await?;
/// # Ok(()) }
/// ```
pub async fn websocket_connect(
    request: impl IntoClientRequest,
    options: ConnectOptions,
) -> Result<WebSocketClientConnection, Error> {
    let request = request.into_client_request()?;
    let url = browser_url(&request)?;
    refuse_native_options(&options)?;
    let ConnectOptions {
        connect_timeout,
        max_message_size,
        close_timeout,
        subprotocols,
        on_message,
        ..
    } = options;
    let (socket, messages) = Socket::open(&url, &subprotocols, max_message_size, on_message)?;
    // On timeout (or if this future is dropped) the last `Rc<Socket>` goes, which closes
    // the connecting socket and frees its handlers.
    match timeout(connect_timeout, poll_fn(|cx| socket.poll_open(cx))).await {
        Some(Ok(())) => {}
        Some(Err(err)) => return Err(err),
        None => return Err(Error::ConnectTimeout(connect_timeout.unwrap_or_default())),
    }
    let info = Info {
        negotiated: Negotiated {
            subprotocol: socket.protocol(),
            extensions: socket.extensions(),
        },
        response_headers: http::HeaderMap::new(),
    };
    let reader = Reader::new(messages, std::rc::Rc::clone(&socket));
    let writer = Writer::new(socket, close_timeout);
    Ok(WebSocketClientConnection::new(writer, reader, info))
}

/// Refuses, by name, every option a page cannot honour, rather than ignore it.
fn refuse_native_options(options: &ConnectOptions) -> Result<(), Error> {
    let refused = [
        (
            !options.headers.is_empty(),
            "custom headers: a browser sends only the URL, its cookies and the subprotocols",
        ),
        (
            options.compression_options.is_some(),
            "compression_options: the browser negotiates permessage-deflate itself",
        ),
        (
            options.ping_interval.is_some(),
            "ping_interval: browsers cannot send pings",
        ),
        (
            options.ping_timeout.is_some(),
            "ping_timeout: browsers cannot send pings",
        ),
        (
            options.on_ping.is_some(),
            "on_ping: browsers answer pings themselves and never show them",
        ),
        (
            options.on_pong.is_some(),
            "on_pong: browsers never show pongs",
        ),
        (
            options.proxy.is_some(),
            "proxy: the browser connects through its own proxy settings",
        ),
        (
            options.follow_redirects > 0,
            "follow_redirects: browsers fail a WebSocket handshake answered with a redirect",
        ),
        (
            options.http_version != crate::HttpVersion::Http1,
            "http_version: the browser chooses HTTP/2 or HTTP/1.1 by itself",
        ),
        (
            options.http2_pool.is_some(),
            "http2_pool: the browser shares its HTTP/2 connections by itself",
        ),
    ];
    let refused: Vec<&str> = refused
        .into_iter()
        .filter_map(|(set, what)| set.then_some(what))
        .collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Error::Unsupported(refused.join("; ").into()))
    }
}
