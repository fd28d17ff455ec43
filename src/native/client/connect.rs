//! `websocket_connect`: DNS, TCP (directly or through a proxy), TLS, the handshake and any
//! redirects under one timeout, then the driver.

use std::time::Instant;

use http::HeaderMap;
use tokio::net::TcpStream;

use super::handshake::{handshake, Offer, Upgraded};
use super::redirect;
use super::request::{merge_headers, Address, Target};
use super::shim::Reader;
use crate::client::{Info, WebSocketClientConnection};
use crate::methods::Negotiated;
use crate::native::driver::{self, DriverConfig, Hooks};
use crate::native::transport::AnyStream;
use crate::protocol::handshake::HandshakeError;
use crate::protocol::{Config, Connection, Role};
use crate::IntoClientRequest;
use crate::{CompressionOptions, ConnectOptions, Error, HttpVersion, Proxy};

/// Unwritten bytes above which writes wait, as the server's default.
const WRITE_HIGH_WATER: usize = crate::defaults::WRITE_BUFFER_HIGH_WATER;
/// Messages buffered for the reader before the connection stops reading from the server.
const EVENT_CAPACITY: usize = 16;

/// Opens a WebSocket connection, as Tornado's `websocket_connect`.
///
/// `request` is a `ws://` or `wss://` URL, or an [`http::Request`] whose headers are sent
/// too (see [`IntoClientRequest`]); `options` holds the rest of Tornado's arguments. The
/// connection's task is spawned on the current tokio runtime, so this must run inside one.
///
/// The callbacks of the options (`on_message_callback`, `on_ping`, `on_pong`) run on that
/// task, in order, as frames arrive (pings and pongs also while nobody reads): keep them
/// short and non-blocking, and hand longer work to a channel. `on_message_callback` gets
/// `None` once, when the connection closes.
///
/// # Errors
/// - [`Error::InvalidUrl`] for a URL that is not `ws://` or `wss://` with a host;
/// - [`Error::ConnectTimeout`] when DNS, TCP, the proxy's tunnel, TLS, the handshake and
///   the redirects followed together take longer than [`ConnectOptions::connect_timeout`];
/// - [`Error::Io`] when resolving, connecting (to the server or the proxy), TLS or the
///   socket fails;
/// - [`Error::Proxy`] when the [`proxy`](ConnectOptions::proxy) refuses the tunnel (with
///   its status) or does not answer with HTTP;
/// - [`Error::Handshake`] when the server's answer is not an acceptable upgrade: a status
///   other than 101 (with the start of its body), a missing or wrong
///   `Sec-WebSocket-Accept`, a subprotocol that was not offered, ...; a redirect is one too
///   unless [`ConnectOptions::follow_redirects`] allows following it;
/// - [`Error::TooManyRedirects`] when the server redirects more times in a row than
///   `follow_redirects` allows;
/// - [`Error::Unsupported`] for `wss://` without the `tls` feature, and with
///   [`HttpVersion::Http2`] when the server cannot carry the WebSocket over HTTP/2 (no ALPN
///   `h2`, or no SETTINGS_ENABLE_CONNECT_PROTOCOL), saying which (or any HTTP/2 choice
///   without the `http2` feature).
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// use squall::{websocket_connect, ConnectOptions, Message};
///
/// # async fn run() -> Result<(), squall::Error> {
/// let options = ConnectOptions::new()
///     .connect_timeout(Duration::from_secs(10))
///     .subprotocol("chat")
///     .header("authorization", "Bearer abc");
/// let mut conn = websocket_connect("wss://example.com/chat", options).await?;
/// assert_eq!(conn.selected_subprotocol(), Some("chat"));
/// conn.write_message("hello").await?;
/// let reply: Option<Message> = conn.read_message().await;
/// conn.close(None, None).await?;
/// # Ok(()) }
/// ```
pub async fn websocket_connect(
    request: impl IntoClientRequest,
    options: ConnectOptions,
) -> Result<WebSocketClientConnection, Error> {
    #[cfg(not(feature = "http2"))]
    if options.http_version != HttpVersion::Http1 || options.http2_pool.is_some() {
        return Err(Error::Unsupported(
            "http_version: HTTP/2 needs the `http2` feature".into(),
        ));
    }
    if options.http2_pool.is_some() && options.http_version == HttpVersion::Http1 {
        return Err(Error::Unsupported(
            "http2_pool: shares HTTP/2 connections, so http_version must allow HTTP/2 \
             (Auto or Http2)"
                .into(),
        ));
    }
    let request = request.into_client_request()?;
    let target = Target::parse(request.uri())?;
    let headers = merge_headers(request.headers(), &options.headers);
    let opening = follow(target, headers, Dial::new(&options));
    let (stream, upgraded) = match options.connect_timeout {
        Some(limit) => tokio::time::timeout(limit, opening)
            .await
            .map_err(|_| Error::ConnectTimeout(limit))??,
        None => opening.await?,
    };
    Ok(start(stream, upgraded, options))
}

/// What connecting needs from the options. Only their `Sync` parts are borrowed, so the
/// future of `websocket_connect` is `Send` (the callbacks are `Send` but not `Sync`).
#[derive(Clone, Copy, Debug)]
struct Dial<'a> {
    subprotocols: &'a [String],
    compression: Option<&'a CompressionOptions>,
    proxy: Option<&'a Proxy>,
    follow_redirects: usize,
    #[cfg(feature = "tls")]
    tls: Option<&'a std::sync::Arc<rustls::ClientConfig>>,
    http_version: HttpVersion,
    #[cfg(feature = "http2")]
    http2_pool: Option<&'a crate::Http2Pool>,
}

impl<'a> Dial<'a> {
    fn new(options: &'a ConnectOptions) -> Self {
        Self {
            subprotocols: &options.subprotocols,
            compression: options.compression_options.as_ref(),
            proxy: options.proxy.as_ref(),
            follow_redirects: options.follow_redirects,
            #[cfg(feature = "tls")]
            tls: options.tls.as_ref(),
            http_version: options.http_version,
            #[cfg(feature = "http2")]
            http2_pool: options.http2_pool.as_ref(),
        }
    }
}

/// Opens `target`, then each URL it redirects to, up to `follow_redirects` times.
async fn follow(
    mut target: Target,
    mut headers: HeaderMap,
    options: Dial<'_>,
) -> Result<(AnyStream, Upgraded), Error> {
    let origin = target.url.clone();
    let mut redirects = 0;
    loop {
        let offer = Offer {
            subprotocols: options.subprotocols,
            headers: &headers,
            compression: options.compression,
        };
        let err = match open(&target, &offer, options).await {
            Err(Error::Handshake(err)) if options.follow_redirects > 0 => err,
            other => return other,
        };
        let Some(next) = redirect::location(&target.url, &err)? else {
            return Err(Error::Handshake(err));
        };
        if redirects == options.follow_redirects {
            return Err(Error::TooManyRedirects(options.follow_redirects));
        }
        redirects += 1;
        tracing::debug!(status = %redirect_status(&err), to = %next, "following a redirect");
        if !redirect::same_origin(&origin, &next) {
            redirect::strip_credentials(&mut headers);
        }
        target = Target::from_url(next)?;
    }
}

fn redirect_status(err: &HandshakeError) -> u16 {
    match err {
        HandshakeError::UnexpectedStatus { status, .. } => status.as_u16(),
        _ => 0,
    }
}

/// A connection error that names what it tried to reach ("connection refused" alone does
/// not say where); the kind is kept for callers that match on it.
fn naming(error: std::io::Error, address: &str) -> std::io::Error {
    std::io::Error::new(
        error.kind(),
        format!("cannot connect to {address}: {error}"),
    )
}

/// DNS, TCP (directly or through the proxy's tunnel), TLS and the handshake: over HTTP/2
/// when [`ConnectOptions::http_version`] asks for it and the server agrees.
// Only HTTP/2's fall-back to HTTP/1.1 goes round the loop again.
#[cfg_attr(not(feature = "http2"), allow(clippy::never_loop))]
async fn open(
    target: &Target,
    offer: &Offer<'_>,
    options: Dial<'_>,
) -> Result<(AnyStream, Upgraded), Error> {
    let mut version = options.http_version;
    #[cfg(feature = "http2")]
    if let Some(pool) = options.http2_pool.filter(|_| version != HttpVersion::Http1) {
        if let Some(super::http2::Opened::WebSocket(stream, upgraded)) =
            super::http2::open_pooled(pool, target, offer).await?
        {
            return Ok((stream, upgraded));
        }
    }
    loop {
        let tcp = dial(target, options).await?;
        let (mut stream, alpn_h2) = if target.secure {
            secure(tcp, target, options, version).await?
        } else {
            (AnyStream::new(tcp), false)
        };
        #[cfg(feature = "http2")]
        {
            use super::http2::Opened;
            let http2 = match version {
                HttpVersion::Http2 if target.secure && !alpn_h2 => {
                    return Err(Error::Unsupported(
                        "http_version: the server did not choose HTTP/2 (ALPN h2)".into(),
                    ));
                }
                HttpVersion::Http2 => true,
                _ => alpn_h2,
            };
            if http2 {
                match super::http2::open(stream, target, offer, options.http2_pool).await? {
                    Opened::WebSocket(stream, upgraded) => return Ok((stream, upgraded)),
                    Opened::NoExtendedConnect if version == HttpVersion::Auto => {
                        // As browsers do: a new connection, HTTP/1.1 only.
                        tracing::debug!("no extended CONNECT over HTTP/2; HTTP/1.1 instead");
                        version = HttpVersion::Http1;
                        continue;
                    }
                    Opened::NoExtendedConnect => {
                        return Err(Error::Unsupported(
                            "http_version: the server speaks HTTP/2 but does not advertise \
                             SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441)"
                                .into(),
                        ));
                    }
                }
            }
        }
        #[cfg(not(feature = "http2"))]
        let _ = (alpn_h2, &mut version);
        let upgraded = handshake(&mut stream, target, offer).await?;
        return Ok((stream, upgraded));
    }
}

/// TCP to the server, directly or through the proxy's tunnel.
async fn dial(target: &Target, options: Dial<'_>) -> Result<TcpStream, Error> {
    let host = target.host.to_string();
    let proxy = options
        .proxy
        .and_then(|proxy| proxy.select(target.secure, &host, target.port));
    Ok(match (proxy, target.address()) {
        (Some(proxy), _) => super::proxy::tunnel(proxy, target).await?,
        (None, Address::Name(name, port)) => TcpStream::connect((name.as_str(), port))
            .await
            .map_err(|error| naming(error, &format!("{name}:{port}")))?,
        (None, Address::Ip(addr)) => TcpStream::connect(addr)
            .await
            .map_err(|error| naming(error, &addr.to_string()))?,
    })
}

/// TLS for `wss://`, offering ALPN `h2` as `version` asks; the stream and whether the
/// server chose `h2`.
#[cfg(feature = "tls")]
async fn secure(
    tcp: TcpStream,
    target: &Target,
    options: Dial<'_>,
    version: HttpVersion,
) -> Result<(AnyStream, bool), Error> {
    let mut config = match options.tls {
        Some(config) => std::sync::Arc::clone(config),
        None => crate::native::tls::default_client_config()?,
    };
    let alpn: &[&[u8]] = match version {
        // `http/1.1` with HTTP/2 only too: a server without `h2` then completes TLS, and the
        // error can say what it chose instead of being a TLS alert.
        HttpVersion::Auto | HttpVersion::Http2 => &[b"h2", b"http/1.1"],
        // The caller's configuration as it is.
        _ => &[],
    };
    if !alpn.is_empty() {
        let mut with_alpn = std::sync::Arc::unwrap_or_clone(config);
        with_alpn.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config = std::sync::Arc::new(with_alpn);
    }
    Ok(super::tls::connect(tcp, target, config).await?)
}

#[cfg(not(feature = "tls"))]
async fn secure(
    _: TcpStream,
    _: &Target,
    _: Dial<'_>,
    _: HttpVersion,
) -> Result<(AnyStream, bool), Error> {
    Err(Error::Unsupported("wss:// needs the `tls` feature".into()))
}

/// Builds the protocol core and the driver, spawns the driver, and wraps the handle.
pub(super) fn start(
    stream: AnyStream,
    upgraded: Upgraded,
    options: ConnectOptions,
) -> WebSocketClientConnection {
    let ConnectOptions {
        ping_interval,
        ping_timeout,
        max_message_size,
        close_timeout,
        on_message,
        on_ping,
        on_pong,
        ..
    } = options;
    let now = Instant::now();
    let config = Config {
        max_message_size,
        ping_interval,
        ping_timeout,
        close_timeout,
        // Masks from OS entropy.
        mask_seed: None,
        #[cfg(feature = "deflate")]
        deflate: upgraded.deflate,
        ..Config::default()
    };
    let mut core = Connection::new(Role::Client, config, now);
    if !upgraded.leftover.is_empty() {
        core.receive(&upgraded.leftover, now);
    }
    let driver_config = DriverConfig {
        write_high_water: WRITE_HIGH_WATER,
        linger: close_timeout,
        event_capacity: EVENT_CAPACITY,
        // As Tornado's client: no limit (keepalive pings catch a server that stopped reading).
        write_timeout: None,
    };
    let (driver, handle, events) = driver::connect(stream, core, driver_config);
    let callback_style = on_message.is_some();
    // Pings and pongs always go to the hooks (even when there are none), so unread control
    // frames never hold up the reader's queue.
    let driver = driver.with_hooks(Hooks {
        on_message,
        on_ping,
        on_pong,
    });
    tokio::spawn(driver);
    let accepted = upgraded.accepted;
    let info = Info {
        negotiated: Negotiated {
            subprotocol: accepted.subprotocol,
            extensions: (!accepted.extensions.is_empty()).then(|| accepted.extensions.join(", ")),
        },
        response_headers: accepted.headers,
    };
    let events = (!callback_style).then_some(events);
    let reader = Reader::new(events, std::sync::Arc::clone(&handle.shared));
    WebSocketClientConnection::new(handle, reader, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn the_connect_future_is_send_even_with_callbacks() {
        let options = ConnectOptions::new()
            .on_message_callback(|_| {})
            .on_ping(|_| {})
            .proxy(Proxy::http("proxy:1").unwrap())
            .follow_redirects(2);
        let future = websocket_connect("ws://127.0.0.1:1/", options);
        assert_send(&future);
    }

    #[test]
    fn the_reconnecting_client_and_its_handle_are_send() {
        let client =
            crate::ReconnectingClient::new("ws://127.0.0.1:1/", crate::reconnect::Backoff::new())
                .unwrap();
        assert_send(&client.handle());
        assert_send(&client);
    }
}
