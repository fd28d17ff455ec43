//! One accepted connection: read the upgrade request, answer it, run the handler.

use std::future::{pending, Future};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, UnwindSafe};
use std::pin::pin;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::handler::{PathArgs, WebSocketHandler};
use super::request::Request;
use super::router::Router;
use super::shutdown::{going_away, Shutdown};
use super::websocket::WebSocket;
use super::Settings;
use crate::native::driver::{self, DriverConfig};
use crate::native::transport::AnyStream;
use crate::native::Transport;
use crate::protocol::handshake::{self, Agreement, HeadLimits, Rejection, UpgradeRequest};
use crate::protocol::{Config, Connection, Event, Role};
use crate::{CloseCode, CloseFrame};

/// A request that passed the protocol checks and matched a route.
pub(crate) struct Upgrade {
    pub(crate) channel: Channel,
    pub(crate) request: Request,
    pub(crate) offer: UpgradeRequest,
    pub(crate) args: PathArgs,
    pub(crate) settings: Arc<Settings>,
    pub(crate) shutdown: Shutdown,
}

/// Where an upgrade request came from, and so how it is answered.
pub(crate) enum Channel {
    /// An HTTP/1.1 connection: a 101 on the stream, then frames; `leftover` holds the bytes
    /// read after the request head.
    Http1 {
        stream: AnyStream,
        leftover: Vec<u8>,
    },
    /// An extended CONNECT on an HTTP/2 stream: a 200, then frames in DATA.
    #[cfg(feature = "http2")]
    Http2(crate::native::http2::Respond),
}

impl Channel {
    /// Sends `rejection` and ends the connection or stream.
    async fn reject(self, rejection: &Rejection) {
        match self {
            Self::Http1 { mut stream, .. } => respond(&mut stream, rejection).await,
            #[cfg(feature = "http2")]
            Self::Http2(respond) => respond.reject(rejection.clone()),
        }
    }

    /// Sends the agreement's answer; the transport and the bytes already read from it.
    async fn accept(self, agreement: &Agreement) -> Option<(AnyStream, Vec<u8>)> {
        match self {
            Self::Http1 {
                mut stream,
                leftover,
            } => {
                let response = agreement.response(&http::HeaderMap::new());
                stream.write_all(&response).await.ok()?;
                Some((stream, leftover))
            }
            #[cfg(feature = "http2")]
            Self::Http2(respond) => Some((respond.accept(agreement)?, Vec::new())),
        }
    }
}

/// A running connection, type-erased: what is left once the handshake is done.
pub(crate) type ConnectionFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs an upgrade's handshake with a concrete handler type and returns the connection to
/// run; stored type-erased in the router. The two are separate boxes so the handshake's
/// state (request, offer, response) is freed once the connection is up.
pub(crate) type ServeFn =
    dyn Fn(Upgrade) -> Pin<Box<dyn Future<Output = Option<ConnectionFuture>> + Send>> + Send + Sync;

/// Reads the request head within the settings' limits: the parsed request, the head's
/// bytes and the bytes read after it; `None` if the peer went away or sent garbage (already
/// answered).
/// `buf` holds bytes already read, if any.
pub(crate) async fn read_request(
    stream: &mut AnyStream,
    settings: &Settings,
    mut buf: Vec<u8>,
) -> Option<(http::Request<()>, Box<[u8]>, Vec<u8>)> {
    let limits = HeadLimits {
        max_head_bytes: settings.max_head_bytes,
        max_headers: settings.max_headers,
    };
    buf.reserve(1024);
    loop {
        match handshake::parse_request(&buf, &limits) {
            Ok(Some((request, consumed))) => {
                let leftover = buf.split_off(consumed);
                return Some((request, buf.into_boxed_slice(), leftover));
            }
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(%error, "bad upgrade request");
                respond(stream, &Rejection::from(&error)).await;
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
#[allow(clippy::too_many_arguments)]
pub(crate) async fn dispatch(
    router: &Router,
    mut stream: AnyStream,
    request: http::Request<()>,
    head: Box<[u8]>,
    peer_addr: Option<SocketAddr>,
    leftover: Vec<u8>,
    settings: Arc<Settings>,
    shutdown: Shutdown,
) -> Option<ConnectionFuture> {
    let Some((serve, args)) = router.find(request.uri().path()) else {
        respond(
            &mut stream,
            &Rejection::new(http::StatusCode::NOT_FOUND, "Not Found"),
        )
        .await;
        return None;
    };
    let offer = match handshake::validate_request(&request) {
        Ok(offer) => offer,
        Err(rejection) => {
            respond(&mut stream, &rejection).await;
            return None;
        }
    };
    // The parsed headers go: the handler's request parses them again from the head's bytes
    // if it is asked for them, which is cheaper to keep for a connection's whole life.
    let (parts, ()) = request.into_parts();
    let request = Request::from_head(parts.method, parts.uri, head, peer_addr);
    serve(Upgrade {
        channel: Channel::Http1 { stream, leftover },
        request,
        offer,
        args,
        settings,
        shutdown,
    })
    .await
}

/// Runs the hooks that decide the upgrade, in Tornado's order: `check_origin` (403),
/// `prepare` (any status), then `select_subprotocol` and `get_compression_options`.
pub(crate) async fn negotiate<H: WebSocketHandler>(
    handler: &mut H,
    request: &Request,
    offer: &UpgradeRequest,
) -> Result<Agreement, Rejection> {
    if let Some(origin) = &offer.origin {
        if !handler.check_origin(origin, request) {
            return Err(Rejection::cross_origin());
        }
    }
    handler.prepare(request).await?;
    let subprotocol = handler.select_subprotocol(&offer.subprotocols);
    Ok(offer.accept(subprotocol, handler.get_compression_options()))
}

/// The handshake of one connection with handler `H`: the hooks, then the 101. Returns
/// the connection to run, or `None` when it was refused (already answered) or the peer left.
pub(crate) async fn serve<H: WebSocketHandler>(
    mut handler: H,
    upgrade: Upgrade,
) -> Option<Established<H, AnyStream>> {
    let Upgrade {
        channel,
        request,
        offer,
        args,
        settings,
        shutdown,
    } = upgrade;
    let agreement = match negotiate(&mut handler, &request, &offer).await {
        Ok(agreement) => agreement,
        Err(rejection) => {
            channel.reject(&rejection).await;
            return None;
        }
    };
    let (stream, leftover) = channel.accept(&agreement).await?;
    Some(establish(
        handler, stream, &leftover, request, agreement, args, &settings, shutdown,
    ))
}

/// An upgraded connection (the 101 has been sent), ready to run.
pub(crate) struct Established<H, S> {
    driver: Box<driver::Driver<S>>,
    handler: H,
    ws: WebSocket,
    args: PathArgs,
    shutdown: Shutdown,
}

/// Builds the protocol core, the driver and the handle of an upgraded connection.
/// `leftover` holds bytes read after the request head.
#[allow(clippy::too_many_arguments)]
pub(crate) fn establish<H: WebSocketHandler, S: Transport>(
    handler: H,
    stream: S,
    leftover: &[u8],
    request: Request,
    agreement: Agreement,
    args: PathArgs,
    settings: &Settings,
    shutdown: Shutdown,
) -> Established<H, S> {
    let now = Instant::now();
    let config = Config {
        max_message_size: settings.max_message_size,
        ping_interval: settings.ping_interval,
        ping_timeout: settings.ping_timeout,
        close_timeout: settings.close_timeout,
        idle_timeout: settings.idle_timeout,
        #[cfg(feature = "deflate")]
        deflate: agreement.deflate,
        ..Config::default()
    };
    let mut core = Connection::new(Role::Server, config, now);
    if !leftover.is_empty() {
        core.receive(leftover, now);
    }
    let driver_config = DriverConfig {
        write_high_water: settings.write_buffer_high_water,
        linger: settings.close_timeout,
        event_capacity: 16,
        write_timeout: settings.write_timeout,
    };
    let (driver, handle) = driver::connect_inline(stream, core, driver_config);
    let ws = WebSocket::new(handle, request, agreement.subprotocol, agreement.extensions);
    Established {
        driver,
        handler,
        ws,
        args,
        shutdown,
    }
}

impl<H: WebSocketHandler, S: Transport> Established<H, S> {
    /// Runs the connection until it is closed: the driver, and the handler's hooks from
    /// `open` to `on_close`, in one future.
    pub(crate) async fn run(mut self) {
        // Fields are used in place, not destructured: each copy would stay reserved in
        // this future's state for the connection's whole life.
        let (handler, ws, args) = (&mut self.handler, &self.ws, &mut self.args);
        let handler_loop = async {
            // A hook that panics is logged and the connection closed with 1011; the events
            // left are dropped, and on_close still runs, as Tornado does. One guard around
            // the whole loop: nothing is added per message.
            let hooks = AssertUnwindSafe(async {
                handler.open(ws, std::mem::take(args)).await;
                while let Some(incoming) = driver::next_inline().await {
                    match incoming {
                        Event::Message(message) => handler.on_message(ws, message).await,
                        Event::Ping(data) => handler.on_ping(ws, data),
                        Event::Pong { payload, .. } => handler.on_pong(ws, payload),
                        // The end of the events is the close; it is never delivered.
                        Event::Closed(_) => {}
                    }
                }
            });
            if contain(ws, hooks).await.is_err() {
                while driver::next_inline().await.is_some() {}
            }
            let _ = contain(ws, AssertUnwindSafe(handler.on_close(ws))).await;
        };
        // Registered with the server, which closes it on shutdown; or, behind hyper and
        // axum, a boxed future waiting on the signal.
        let mut registration = None;
        let mut stop: Option<Pin<Box<dyn Future<Output = ()> + Send + '_>>> = None;
        match &mut self.shutdown {
            Shutdown::Registry(connections) => {
                registration = connections.register(&ws.handle().shared);
            }
            Shutdown::Watch(signal) => {
                stop = Some(Box::pin(async move {
                    if signal.wait_for(|stop| *stop).await.is_ok() {
                        going_away(&ws.handle().shared);
                    }
                    pending::<()>().await;
                }));
            }
        }
        let span = tracing::info_span!(
            "websocket",
            path = ws.request().path(),
            subprotocol = ws.selected_subprotocol(),
            extensions = ws.extensions(),
        );
        span.in_scope(|| tracing::debug!("open"));
        // Pinned in place and polled by reference: every move of a future into another
        // would reserve another copy of it in this (long-lived) state.
        driver::run_with(self.driver, pin!(handler_loop), stop, &span).await;
        span.in_scope(|| tracing::debug!(code = ?ws.close_code(), "closed"));
        drop(registration);
    }
}

/// Runs handler hooks; if one panics, logs the panic, starts the close with 1011 and returns
/// `Err`. The server goes on serving every other connection either way.
async fn contain(ws: &WebSocket, hooks: impl Future<Output = ()> + UnwindSafe) -> Result<(), ()> {
    let Err(panic) = hooks.catch_unwind().await else {
        return Ok(());
    };
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)");
    tracing::error!(
        panic = message,
        "a WebSocket handler panicked; closing with 1011"
    );
    let frame = CloseFrame::new(CloseCode::INTERNAL_ERROR, "internal error").ok();
    let _ = ws.handle().start_close(frame);
    Err(())
}
