//! Serving a [`WebSocketHandler`] from a hyper 1 server (feature `hyper`).
//!
//! Call [`upgrade`] (or [`Upgrader::upgrade`]) from a hyper service with the request, a
//! handler and its [`PathArgs`]. It answers with the response to send: a 101 when the
//! handshake is agreed, in which case a task takes over the connection once hyper has
//! upgraded it, or the rejection (400, 403, 405, 426, or `prepare`'s status) otherwise.
//!
//! What the host server does, squall does not: reading the request head, so
//! [`Settings::handshake_timeout`], [`Settings::max_head_bytes`], [`Settings::max_headers`]
//! and [`Settings::max_connections`] have no effect here; everything about the
//! connection itself (message size, pings, timeouts, write buffer) applies. The connection
//! must be served over HTTP/1.1 with upgrades enabled (hyper's
//! `http1::Builder::serve_connection(..).with_upgrades()`, or axum's `serve`), or over
//! HTTP/2 with extended CONNECT enabled (RFC 8441: hyper's
//! `http2::Builder::enable_connect_protocol()`, or axum's `serve` with its `http2`
//! feature), where the answer is a 200 and the route must accept the `CONNECT` method.
//!
//! **Shutdown.** An upgraded connection runs in its own task, outside the host server, whose
//! graceful shutdown neither waits for it nor closes it. To close connections with 1001 when
//! the server stops, give [`Upgrader::with_shutdown`] a `watch::Receiver<bool>` and send
//! `true` on it; the handler's `on_close` runs once each connection is closed.
//!
//! **Peer address.** hyper does not tell a service who the peer is. Insert the
//! [`SocketAddr`] from `accept` into the request's extensions
//! (`req.extensions_mut().insert(peer)`) to see it in [`Request::peer_addr`](crate::Request::peer_addr).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::Instrument;

use crate::native::server::shutdown::Shutdown;
use crate::native::server::upgrade::{establish, negotiate};
use crate::native::Transport;
use crate::protocol::handshake::{
    validate_connect_request, validate_request, Agreement, Rejection, UpgradeRequest,
};
use crate::{PathArgs, Request, Settings, WebSocketHandler};

/// Answers an upgrade request from a hyper service with `handler`, as
/// `Upgrader::new(settings).upgrade(req, handler, args)`; see [`Upgrader::upgrade`].
///
/// ```no_run
/// use std::convert::Infallible;
///
/// use hyper::server::conn::http1;
/// use hyper::service::service_fn;
/// use hyper_util::rt::TokioIo;
/// use squall::{Message, PathArgs, Settings, WebSocket, WebSocketHandler};
///
/// struct Echo;
///
/// impl WebSocketHandler for Echo {
///     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
///         let _ = ws.write_message(message).await;
///     }
/// }
///
/// # async fn serve() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8888").await?;
/// loop {
///     let (stream, peer) = listener.accept().await?;
///     let service = service_fn(move |mut req| {
///         req.extensions_mut().insert(peer);
///         async move {
///             let response = squall::hyper::upgrade(req, Echo, PathArgs::default(), Settings::default());
///             Ok::<_, Infallible>(response.await)
///         }
///     });
///     tokio::spawn(
///         http1::Builder::new()
///             .serve_connection(TokioIo::new(stream), service)
///             .with_upgrades(),
///     );
/// }
/// # }
/// ```
pub fn upgrade<B, H: WebSocketHandler>(
    req: http::Request<B>,
    handler: H,
    args: PathArgs,
    settings: Settings,
) -> impl Future<Output = http::Response<Full<Bytes>>> + Send + 'static {
    Upgrader::new(settings).upgrade(req, handler, args)
}

/// What every upgrade of a route shares: the [`Settings`] and an optional shutdown signal.
/// Cheap to clone.
///
/// ```
/// use squall::hyper::Upgrader;
/// use squall::Settings;
///
/// let (stop, stopping) = tokio::sync::watch::channel(false);
/// let upgrader = Upgrader::new(Settings::default()).with_shutdown(stopping);
/// // ... serve with `upgrader.upgrade(req, handler, args)`, then on shutdown:
/// stop.send_replace(true);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Upgrader {
    pub(crate) settings: Arc<Settings>,
    pub(crate) shutdown: Option<watch::Receiver<bool>>,
}

impl Upgrader {
    /// An upgrader with these settings and no shutdown signal.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings: Arc::new(settings),
            shutdown: None,
        }
    }

    /// Closes every connection this upgrader started with 1001 (going away) once `signal`
    /// turns `true`, as [`Server::shutdown`](crate::Server::shutdown) does. Without it, a
    /// connection runs until either side closes it.
    #[must_use]
    pub fn with_shutdown(mut self, signal: watch::Receiver<bool>) -> Self {
        self.shutdown = Some(signal);
        self
    }

    /// The settings connections run with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Answers the upgrade request `req` with `handler`, whose
    /// [`open`](WebSocketHandler::open) gets `args`.
    ///
    /// The request is checked as by [`Application`](crate::Application): the HTTP checks of
    /// [`validate_request`], then the handler's `check_origin` (403), `prepare` (its
    /// status), `select_subprotocol` and `get_compression_options`. On success the future
    /// gives the 101 response and spawns a task that waits for hyper to hand over the
    /// connection and runs the handler on it; otherwise it gives the rejection (status,
    /// headers and a text body). The request body is not read.
    ///
    /// The future is `Send` and `'static`; the request is taken apart before it is first
    /// polled, so `B` need not be `Send`.
    ///
    /// # Panics
    /// If the future is polled outside a tokio runtime (it spawns the connection's task).
    pub fn upgrade<B, H: WebSocketHandler>(
        &self,
        req: http::Request<B>,
        handler: H,
        args: PathArgs,
    ) -> impl Future<Output = http::Response<Full<Bytes>>> + Send + 'static {
        let (mut parts, _body) = req.into_parts();
        let peer_addr = parts.extensions.get::<SocketAddr>().copied();
        let pending = Pending::from_parts(&mut parts, peer_addr);
        let upgrader = self.clone();
        async move {
            match pending {
                Ok(pending) => response(pending.answer(handler, args, upgrader).await),
                Err(rejection) => reject(rejection),
            }
        }
    }
}

/// An upgrade request that passed the HTTP checks, waiting for the handler's answer.
#[derive(Debug)]
pub(crate) struct Pending {
    request: Request,
    offer: UpgradeRequest,
    on_upgrade: ::hyper::upgrade::OnUpgrade,
}

/// The answer to an agreed upgrade: 101 and the handshake headers over HTTP/1.1; over
/// HTTP/2 (RFC 8441) 200 with only the subprotocol and extensions.
pub(crate) type Accepted = (StatusCode, HeaderMap);

fn accepted(agreement: &Agreement, version: http::Version) -> Accepted {
    if version < http::Version::HTTP_2 {
        return (StatusCode::SWITCHING_PROTOCOLS, agreement.headers());
    }
    (StatusCode::OK, agreement.connect_headers())
}

impl Pending {
    /// Checks the request head with [`validate_request`] and takes hyper's upgrade handle
    /// out of the extensions.
    ///
    /// Without that handle (a request that did not come from a hyper HTTP/1.1 connection,
    /// such as one sent through `tower::ServiceExt::oneshot`) the answer is 500: the
    /// connection cannot be taken over.
    #[allow(
        clippy::result_large_err,
        reason = "the rejection becomes the response at once, once per request"
    )]
    pub(crate) fn from_parts(
        parts: &mut http::request::Parts,
        peer_addr: Option<SocketAddr>,
    ) -> Result<Self, Rejection> {
        let mut head = http::Request::new(());
        *head.method_mut() = parts.method.clone();
        *head.uri_mut() = parts.uri.clone();
        *head.version_mut() = parts.version;
        *head.headers_mut() = parts.headers.clone();
        let offer = if parts.version >= http::Version::HTTP_2 {
            // An extended CONNECT (RFC 8441), from a server with `enable_connect_protocol`.
            let protocol = parts.extensions.get::<::hyper::ext::Protocol>();
            validate_connect_request(&head, protocol.map(::hyper::ext::Protocol::as_str))?
        } else {
            validate_request(&head)?
        };
        let on_upgrade = parts
            .extensions
            .remove::<::hyper::upgrade::OnUpgrade>()
            .ok_or_else(|| {
                Rejection::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "this server cannot upgrade the connection",
                )
            })?;
        let (head, ()) = head.into_parts();
        let mut headers = head.headers;
        // The same-host origin rule reads `Host`; HTTP/2 carries it as :authority.
        if !headers.contains_key(http::header::HOST) {
            if let Some(host) = head.uri.authority().and_then(|a| a.as_str().parse().ok()) {
                headers.insert(http::header::HOST, host);
            }
        }
        let request = Request::new(head.method, head.uri, headers, peer_addr);
        Ok(Self {
            request,
            offer,
            on_upgrade,
        })
    }

    /// The request as the handler's hooks see it.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    /// Runs the handler's handshake hooks. On agreement, spawns the connection's task and
    /// returns the response's status and headers.
    pub(crate) async fn answer<H: WebSocketHandler>(
        self,
        mut handler: H,
        args: PathArgs,
        upgrader: Upgrader,
    ) -> Result<Accepted, Rejection> {
        let Self {
            request,
            offer,
            on_upgrade,
        } = self;
        let agreement = negotiate(&mut handler, &request, &offer).await?;
        let answer = accepted(&agreement, request.version());
        let span = tracing::debug_span!("connection", peer = tracing::field::Empty);
        if let Some(peer) = request.peer_addr() {
            span.record("peer", tracing::field::display(peer));
        }
        let Upgrader { settings, shutdown } = upgrader;
        // A receiver whose sender is gone never fires: `run` then never sends 1001.
        let shutdown = shutdown.unwrap_or_else(|| watch::channel(false).1);
        let connection = async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    tracing::debug!(%error, "the HTTP server did not hand over the connection");
                    return;
                }
            };
            // A plain hyper HTTP/1.1 connection gives back its TCP stream (and the bytes
            // read past the request), which supports `set_nodelay`; others stay wrapped.
            match upgraded.downcast::<TokioIo<TcpStream>>() {
                Ok(parts) => {
                    let stream = parts.io.into_inner();
                    let leftover = parts.read_buf;
                    let shutdown = Shutdown::Watch(shutdown);
                    establish(
                        handler, stream, &leftover, request, agreement, args, &settings, shutdown,
                    )
                    .run()
                    .await;
                }
                Err(upgraded) => {
                    let stream = TokioIo::new(upgraded);
                    let shutdown = Shutdown::Watch(shutdown);
                    establish(
                        handler,
                        stream,
                        &[],
                        request,
                        agreement,
                        args,
                        &settings,
                        shutdown,
                    )
                    .run()
                    .await;
                }
            }
        };
        tokio::spawn(connection.instrument(span));
        Ok(answer)
    }
}

/// The response for the outcome of [`Pending::answer`]: 101 (200 over HTTP/2) with the
/// agreement's headers, or the rejection.
pub(crate) fn response<B: From<Bytes>>(outcome: Result<Accepted, Rejection>) -> http::Response<B> {
    match outcome {
        Ok((status, headers)) => {
            let mut response = http::Response::new(B::from(Bytes::new()));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
        Err(rejection) => reject(rejection),
    }
}

/// A rejection as an HTTP response, by [`Rejection::into_http_response`].
pub(crate) fn reject<B: From<Bytes>>(rejection: Rejection) -> http::Response<B> {
    tracing::debug!(status = %rejection.status, "handshake rejected");
    rejection.into_http_response()
}

/// A connection upgraded by hyper. It has no socket to set options on, so
/// [`set_nodelay`](Transport::set_nodelay) returns [`io::ErrorKind::Unsupported`] (the
/// host server may set `TCP_NODELAY` when it accepts the connection).
impl Transport for TokioIo<::hyper::upgrade::Upgraded> {
    fn set_nodelay(&self, _nodelay: bool) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a connection upgraded by hyper does not expose its socket",
        ))
    }
}
