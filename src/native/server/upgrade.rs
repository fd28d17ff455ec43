//! One accepted connection: read the upgrade request, answer it, run the handler.

use std::future::{pending, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::handler::{PathArgs, WebSocketHandler};
use super::request::Request;
use super::router::Router;
use super::websocket::WebSocket;
use super::Settings;
use crate::native::driver::{self, DriverConfig, Incoming};
use crate::native::transport::AnyStream;
use crate::protocol::handshake::{self, HeadLimits, Rejection, UpgradeRequest};
use crate::protocol::{Config, Connection, Role};
use crate::{CloseCode, CloseFrame};

/// A request that passed the protocol checks and matched a route.
pub(crate) struct Upgrade {
    pub(crate) stream: AnyStream,
    pub(crate) request: Request,
    pub(crate) offer: UpgradeRequest,
    pub(crate) leftover: Vec<u8>,
    pub(crate) args: PathArgs,
    pub(crate) settings: Arc<Settings>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// Runs an upgrade with a concrete handler type; stored type-erased in the router.
pub(crate) type ServeFn = dyn Fn(Upgrade) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// Reads the request head within the settings' limits; `None` if the peer went away or
/// sent garbage (already answered).
pub(crate) async fn read_request(
    stream: &mut AnyStream,
    settings: &Settings,
    peer_addr: Option<SocketAddr>,
) -> Option<(Request, http::request::Parts, Vec<u8>)> {
    let limits = HeadLimits {
        max_head_bytes: settings.max_head_bytes,
        max_headers: settings.max_headers,
    };
    let mut buf = Vec::with_capacity(1024);
    loop {
        match handshake::parse_request(&buf, &limits) {
            Ok(Some((request, consumed))) => {
                let leftover = buf.split_off(consumed);
                let (parts, ()) = request.into_parts();
                let info = Request::new(
                    parts.method.clone(),
                    parts.uri.clone(),
                    parts.headers.clone(),
                    peer_addr,
                );
                return Some((info, parts, leftover));
            }
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(%error, "bad upgrade request");
                let status = match error {
                    handshake::HandshakeError::HeadTooLarge { .. }
                    | handshake::HandshakeError::TooManyHeaders { .. } => {
                        http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
                    }
                    _ => http::StatusCode::BAD_REQUEST,
                };
                respond(stream, &Rejection::new(status, error.to_string())).await;
                return None;
            }
        }
        let mut chunk = [0u8; 2048];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Writes an HTTP answer and closes the connection.
pub(crate) async fn respond(stream: &mut AnyStream, rejection: &Rejection) {
    tracing::debug!(status = %rejection.status, "handshake rejected");
    let _ = stream.write_all(&rejection.to_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Routes a parsed request: 404 for unknown paths, protocol checks, then the route's handler.
pub(crate) async fn dispatch(
    router: &Router,
    mut stream: AnyStream,
    request: Request,
    parts: http::request::Parts,
    leftover: Vec<u8>,
    settings: Arc<Settings>,
    shutdown: watch::Receiver<bool>,
) {
    let Some((serve, args)) = router.find(request.path()) else {
        respond(
            &mut stream,
            &Rejection::new(http::StatusCode::NOT_FOUND, "Not Found"),
        )
        .await;
        return;
    };
    let offer = match handshake::validate_request(&http::Request::from_parts(parts, ())) {
        Ok(offer) => offer,
        Err(rejection) => {
            respond(&mut stream, &rejection).await;
            return;
        }
    };
    serve(Upgrade {
        stream,
        request,
        offer,
        leftover,
        args,
        settings,
        shutdown,
    })
    .await;
}

/// The whole life of one connection with handler `H`.
pub(crate) async fn serve<H: WebSocketHandler>(mut handler: H, upgrade: Upgrade) {
    let Upgrade {
        mut stream,
        request,
        offer,
        leftover,
        args,
        settings,
        mut shutdown,
    } = upgrade;
    if let Some(origin) = &offer.origin {
        if !handler.check_origin(origin, &request) {
            let rejection = Rejection::new(
                http::StatusCode::FORBIDDEN,
                "Cross origin websockets not allowed",
            );
            respond(&mut stream, &rejection).await;
            return;
        }
    }
    if let Err(rejection) = handler.prepare(&request).await {
        respond(&mut stream, &rejection).await;
        return;
    }
    let subprotocol = handler
        .select_subprotocol(&offer.subprotocols)
        .filter(|chosen| offer.subprotocols.contains(chosen));
    let (deflate, extensions) = negotiate_compression(&handler, &offer);
    let response = handshake::accept_response(
        &offer.key,
        subprotocol.as_deref(),
        extensions.as_deref(),
        &http::HeaderMap::new(),
    );
    if stream.write_all(&response).await.is_err() {
        return;
    }
    let now = Instant::now();
    let config = Config {
        max_message_size: settings.max_message_size,
        ping_interval: settings.ping_interval,
        ping_timeout: settings.ping_timeout,
        close_timeout: settings.close_timeout,
        #[cfg(feature = "deflate")]
        deflate,
        ..Config::default()
    };
    #[cfg(not(feature = "deflate"))]
    let () = deflate;
    let mut core = Connection::new(Role::Server, config, now);
    if !leftover.is_empty() {
        core.receive(&leftover, now);
    }
    let driver_config = DriverConfig {
        write_high_water: settings.write_buffer_high_water,
        linger: settings.close_timeout,
        event_capacity: 16,
    };
    let (driver, handle, mut events) = driver::connect(stream, core, driver_config);
    let ws = WebSocket::new(handle, request, subprotocol, extensions);
    let handler_loop = async {
        handler.open(&ws, args).await;
        while let Some(incoming) = events.next().await {
            match incoming {
                Incoming::Message(message) => handler.on_message(&ws, message).await,
                Incoming::Ping(data) => handler.on_ping(&ws, data),
                Incoming::Pong(data) => handler.on_pong(&ws, data),
            }
        }
        handler.on_close(&ws).await;
    };
    let going_away = async {
        if shutdown.wait_for(|stop| *stop).await.is_ok() {
            let frame = CloseFrame::new(CloseCode::GOING_AWAY, "server shutting down").ok();
            ws.handle().start_close(frame);
        }
        pending::<()>().await;
    };
    tokio::select! {
        _ = futures_util::future::join(driver, handler_loop) => {}
        () = going_away => {}
    }
}

/// Asks the handler for compression options and, when it gives some, takes the first
/// acceptable permessage-deflate offer (RFC 7692 §7): the parameters for the core and the
/// response header value.
#[cfg(feature = "deflate")]
fn negotiate_compression<H: WebSocketHandler>(
    handler: &H,
    offer: &UpgradeRequest,
) -> (
    Option<(
        crate::protocol::deflate::DeflateParams,
        crate::CompressionOptions,
    )>,
    Option<String>,
) {
    use crate::protocol::{deflate, extensions};
    let Some(options) = handler.get_compression_options() else {
        return (None, None);
    };
    let offers = match extensions::parse_extensions(offer.extensions.iter().map(String::as_str)) {
        Ok(offers) => offers,
        Err(error) => {
            tracing::debug!(%error, "malformed Sec-WebSocket-Extensions; compression declined");
            return (None, None);
        }
    };
    match deflate::server_accept(&offers, &options) {
        Some((params, header)) => (Some((params, options)), Some(header)),
        None => (None, None),
    }
}

/// Without the `deflate` feature, compression is never negotiated.
#[cfg(not(feature = "deflate"))]
fn negotiate_compression<H: WebSocketHandler>(
    _handler: &H,
    _offer: &UpgradeRequest,
) -> ((), Option<String>) {
    ((), None)
}
