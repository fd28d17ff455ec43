//! `websocket_connect`: DNS, TCP, TLS and the handshake under one timeout, then the driver.

use std::time::Instant;

use tokio::net::TcpStream;

use super::connection::{Info, WebSocketClientConnection};
use super::handshake::{handshake, Offer, Upgraded};
use super::request::{merge_headers, Address, IntoClientRequest, Target};
use crate::native::driver::{self, DriverConfig, Hooks};
use crate::native::transport::AnyStream;
use crate::protocol::{Config, Connection, Role};
use crate::{ConnectOptions, Error};

/// Unwritten bytes above which writes wait, as the server's default.
const WRITE_HIGH_WATER: usize = 1024 * 1024;
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
/// - [`Error::ConnectTimeout`] when DNS, TCP, TLS and the handshake together take longer
///   than [`ConnectOptions::connect_timeout`];
/// - [`Error::Io`] when resolving, connecting, TLS or the socket fails;
/// - [`Error::Handshake`] when the server's answer is not an acceptable upgrade: a status
///   other than 101 (with the start of its body), a missing or wrong
///   `Sec-WebSocket-Accept`, a subprotocol that was not offered, ...;
/// - [`Error::Unsupported`] for `wss://` without the `tls` feature.
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
    let request = request.into_client_request()?;
    let target = Target::parse(request.uri())?;
    let headers = merge_headers(request.headers(), &options.headers);
    let offer = Offer {
        subprotocols: &options.subprotocols,
        headers: &headers,
        compression: options.compression_options.as_ref(),
    };
    let opening = open(&target, &offer, &options);
    let (stream, upgraded) = match options.connect_timeout {
        Some(limit) => tokio::time::timeout(limit, opening)
            .await
            .map_err(|_| Error::ConnectTimeout(limit))??,
        None => opening.await?,
    };
    Ok(start(stream, upgraded, options))
}

/// DNS, TCP, TLS and the handshake.
async fn open(
    target: &Target,
    offer: &Offer<'_>,
    options: &ConnectOptions,
) -> Result<(AnyStream, Upgraded), Error> {
    let tcp = match target.address() {
        Address::Name(host, port) => TcpStream::connect((host.as_str(), port)).await?,
        Address::Ip(addr) => TcpStream::connect(addr).await?,
    };
    let mut stream = if target.secure {
        secure(tcp, target, options).await?
    } else {
        AnyStream::new(tcp)
    };
    let upgraded = handshake(&mut stream, target, offer).await?;
    Ok((stream, upgraded))
}

#[cfg(feature = "tls")]
async fn secure(
    tcp: TcpStream,
    target: &Target,
    options: &ConnectOptions,
) -> Result<AnyStream, Error> {
    let config = match &options.tls {
        Some(config) => std::sync::Arc::clone(config),
        None => crate::native::tls::default_client_config()?,
    };
    Ok(super::tls::connect(tcp, target, config).await?)
}

#[cfg(not(feature = "tls"))]
async fn secure(_: TcpStream, _: &Target, _: &ConnectOptions) -> Result<AnyStream, Error> {
    Err(Error::Unsupported("wss:// needs the `tls` feature"))
}

/// Builds the protocol core and the driver, spawns the driver, and wraps the handle.
fn start(
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
        subprotocol: accepted.subprotocol,
        extensions: (!accepted.extensions.is_empty()).then(|| accepted.extensions.join(", ")),
        response_headers: accepted.headers,
    };
    let events = (!callback_style).then_some(events);
    WebSocketClientConnection::new(handle, events, info)
}
