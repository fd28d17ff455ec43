//! `Application`: routes and settings, and the accept loop that serves them.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::handler::WebSocketHandler;
use super::router::Router;
use super::shutdown::{Connections, Shutdown};
use super::upgrade::{self, ConnectionFuture, ServeFn};
use super::Settings;
use crate::native::transport::{AnyStream, Transport};
use crate::protocol::handshake::Rejection;

/// A set of WebSocket routes with their settings, as Tornado's `Application`.
///
/// ```no_run
/// use squall::{Application, Message, PathArgs, WebSocket, WebSocketHandler};
///
/// struct Room { name: String }
///
/// impl WebSocketHandler for Room {
///     async fn open(&mut self, _ws: &WebSocket, args: PathArgs) {
///         self.name = args.get(0).unwrap_or_default().to_owned();
///     }
///     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
///         let _ = ws.write_message(message).await;
///     }
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let server = Application::new()
///     .route(r"/chat/(\w+)", || Room { name: String::new() })
///     .listen("127.0.0.1:8888")
///     .await?;
/// server.wait().await;
/// # Ok(()) }
/// ```
pub struct Application {
    router: Router,
    static_dir: Option<std::path::PathBuf>,
    /// Shared with every connection.
    settings: Arc<Settings>,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Cleartext HTTP/2 with prior knowledge beside HTTP/1.1.
    #[cfg(feature = "http2")]
    h2c: bool,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("routes", &self.router)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for Application {
    fn default() -> Self {
        Self::new()
    }
}

impl Application {
    /// An application with no routes and default [`Settings`].
    pub fn new() -> Self {
        Self {
            router: Router::default(),
            static_dir: None,
            settings: Arc::new(Settings::default()),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "http2")]
            h2c: false,
        }
    }

    /// Serves `pattern` (a regular expression matched against the whole path) with a
    /// new handler from `factory` per connection. Routes are tried in the order added.
    ///
    /// # Panics
    /// If `pattern` is not a valid regular expression; see [`try_route`](Self::try_route).
    #[allow(clippy::expect_used)]
    pub fn route<H, F>(self, pattern: &str, factory: F) -> Self
    where
        H: WebSocketHandler,
        F: Fn() -> H + Send + Sync + 'static,
    {
        self.try_route(pattern, factory)
            .expect("route pattern must be a valid regular expression")
    }

    /// As [`route`](Self::route), returning the error for an invalid pattern.
    ///
    /// # Errors
    /// The regular expression's syntax error.
    pub fn try_route<H, F>(mut self, pattern: &str, factory: F) -> Result<Self, regex::Error>
    where
        H: WebSocketHandler,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let serve: Arc<ServeFn> = Arc::new(move |up| {
            let handler = factory();
            Box::pin(async move {
                let established = upgrade::serve(handler, up).await?;
                Some(Box::pin(established.run()) as ConnectionFuture)
            })
        });
        self.router.add(pattern, serve)?;
        Ok(self)
    }

    /// Serves the files under `dir` to plain HTTP GET requests whose path matches no
    /// WebSocket route (`/` serves `index.html`), for a browser page and its wasm.
    pub fn static_files(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.static_dir = Some(dir.into());
        self
    }

    /// Replaces the settings.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = Arc::new(settings);
        self
    }

    /// Serves TLS (`wss://`) with this rustls configuration.
    ///
    /// With the `http2` feature, a connection whose ALPN chose `h2` is served over HTTP/2
    /// (RFC 8441 WebSockets and the static files), any other over HTTP/1.1.
    /// [`tls::server_config_from_pem`](crate::tls::server_config_from_pem) offers `h2` and
    /// `http/1.1`; a configuration built otherwise offers what its `alpn_protocols` list.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }

    /// Also serves cleartext HTTP/2 with prior knowledge (h2c): a connection that opens
    /// with the HTTP/2 preface is served over HTTP/2, any other over HTTP/1.1, on the same
    /// port. For tests, and behind a proxy that ends TLS and speaks HTTP/2 to the server.
    /// Off by default. On a [`tls`](Self::tls) listener, ALPN decides instead.
    ///
    /// Over HTTP/2 a WebSocket is an extended CONNECT (RFC 8441) on one stream of the
    /// connection, served by the same route, hooks and [`Settings`] as over HTTP/1.1;
    /// [`Request::version`](crate::Request::version) tells the two apart.
    ///
    /// ```no_run
    /// # use squall::{Application, Message, WebSocket, WebSocketHandler};
    /// # struct Echo;
    /// # impl WebSocketHandler for Echo {
    /// #     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
    /// #         let _ = ws.write_message(message).await;
    /// #     }
    /// # }
    /// # async fn run() -> std::io::Result<()> {
    /// let server = Application::new().route("/echo", || Echo).h2c(true).listen("127.0.0.1:8888").await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "http2")]
    pub fn h2c(mut self, enabled: bool) -> Self {
        self.h2c = enabled;
        self
    }

    /// Binds `addr` and starts serving in a background task.
    ///
    /// # Errors
    /// The bind error.
    pub async fn listen(self, addr: impl ToSocketAddrs) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        self.serve(listener)
    }

    /// Starts serving connections from `listener` in a background task.
    ///
    /// # Errors
    /// If the listener's address cannot be read.
    pub fn serve(self, listener: TcpListener) -> std::io::Result<Server> {
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(None);
        let task = tokio::spawn(accept_loop(Arc::new(self), listener, stopped));
        Ok(Server {
            local_addr,
            stop,
            task,
        })
    }
    /// Serves one connection on a stream the caller accepted: a Unix socket, an in-memory
    /// pipe, a stream from another listener. The HTTP request, the routes, the static
    /// files, [`tls`](Self::tls) if set, the settings and the handler all work as for a
    /// connection [`listen`](Self::listen) accepted; resolves when the connection is over.
    ///
    /// Any `AsyncRead + AsyncWrite` stream works: give it a [`Transport`] impl (one line,
    /// when it has no `TCP_NODELAY`). `peer` is what [`Request::peer_addr`] reports.
    /// Connections served this way are not part of any [`Server`]'s graceful shutdown.
    ///
    /// [`Request::peer_addr`]: crate::Request::peer_addr
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use squall::{Application, Message, WebSocket, WebSocketHandler};
    ///
    /// struct Echo;
    ///
    /// impl WebSocketHandler for Echo {
    ///     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
    ///         let _ = ws.write_message(message).await;
    ///     }
    /// }
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let app = Arc::new(Application::new().route("/echo", || Echo));
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// loop {
    ///     let (stream, peer) = listener.accept().await?;
    ///     let app = Arc::clone(&app);
    ///     tokio::spawn(async move { app.accept(stream, Some(peer)).await });
    /// }
    /// # }
    /// ```
    pub async fn accept(&self, stream: impl Transport, peer: Option<SocketAddr>) {
        let shutdown = Shutdown::Registry(Arc::new(Connections::default()));
        let span = tracing::debug_span!("connection", peer = ?peer);
        let handshake = handle_connection(self, stream, peer, shutdown, false);
        let connection = Box::pin(handshake.instrument(span.clone())).await;
        if let Some(connection) = connection {
            connection.instrument(span).await;
        }
    }
}

/// A running server: its address, and the way to stop it.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    stop: watch::Sender<Option<Duration>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Graceful shutdown: stops accepting, sends 1001 to every connection, keeps reading
    /// until each peer's close arrives (closing a socket with unread input would reset it and
    /// could lose data the peer has not read), and drops what is left after `grace`.
    pub async fn shutdown(self, grace: Duration) {
        self.stop.send_replace(Some(grace));
        let _ = self.task.await;
    }

    /// Runs until the server task ends (it ends only through [`shutdown`](Self::shutdown)
    /// from a clone-free context, or a fatal listener error).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// Serves until `signal` resolves, then shuts down gracefully as
    /// [`shutdown`](Self::shutdown) does, with `grace`: the "serve until Ctrl-C or
    /// SIGTERM" of a server process. Also returns if the server ends by itself (a fatal
    /// listener error).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use squall::{Application, Message, WebSocket, WebSocketHandler};
    /// # struct Echo;
    /// # impl WebSocketHandler for Echo {
    /// #     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
    /// #         let _ = ws.write_message(message).await;
    /// #     }
    /// # }
    /// # async fn run() -> std::io::Result<()> {
    /// let server = Application::new().route("/echo", || Echo).listen("127.0.0.1:8888").await?;
    /// let ctrl_c = async {
    ///     let _ = tokio::signal::ctrl_c().await;
    /// };
    /// // Clients get 1001 (going away) and 5 s to answer; then the process can exit.
    /// server.shutdown_on(ctrl_c, Duration::from_secs(5)).await;
    /// # Ok(()) }
    /// ```
    pub async fn shutdown_on(self, signal: impl Future<Output = ()>, grace: Duration) {
        let Self { stop, mut task, .. } = self;
        tokio::select! {
            _ = &mut task => {}
            () = signal => {
                stop.send_replace(Some(grace));
                let _ = task.await;
            }
        }
    }
}

async fn accept_loop(
    app: Arc<Application>,
    listener: TcpListener,
    mut stop: watch::Receiver<Option<Duration>>,
) {
    let open_connections = Arc::new(Connections::default());
    let active = Arc::new(AtomicUsize::new(0));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let app = Arc::clone(&app);
                    let shutdown = Shutdown::Registry(Arc::clone(&open_connections));
                    let active = Arc::clone(&active);
                    connections.spawn(async move {
                        let _guard = ActiveGuard::enter(&active);
                        let over_limit = app.settings.max_connections.is_some_and(|max| active.load(Ordering::Relaxed) > max);
                        let span = tracing::debug_span!("connection", %peer);
                        // The handshake runs boxed: its state is freed once the connection
                        // is up, and only the (smaller) connection stays in this task.
                        let handshake = handle_connection(&app, stream, Some(peer), shutdown, over_limit);
                        let connection = Box::pin(handshake.instrument(span.clone())).await;
                        if let Some(connection) = connection {
                            connection.instrument(span).await;
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(()) = reap(&mut connections) => {}
            _ = stop.changed() => break,
        }
    }
    let grace = stop.borrow().unwrap_or_default();
    drop(listener);
    open_connections.close_all();
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!(
            remaining = connections.len(),
            "grace period over; dropping connections"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Completes when a finished connection task was collected; pending while none are done.
async fn reap(connections: &mut JoinSet<()>) -> Option<()> {
    if connections.is_empty() {
        std::future::pending::<()>().await;
    }
    connections.join_next().await.map(|_| ())
}

struct ActiveGuard(Arc<AtomicUsize>);

impl ActiveGuard {
    fn enter(active: &Arc<AtomicUsize>) -> Self {
        active.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(active))
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Everything before the WebSocket connection runs: TLS, the request, the static files,
/// the route's handshake. Returns the connection to run, if any.
// Without HTTP/2 the matches below have one arm each.
#[cfg_attr(
    not(feature = "http2"),
    allow(clippy::infallible_destructuring_match, clippy::manual_let_else)
)]
async fn handle_connection(
    app: &Application,
    stream: impl Transport,
    peer: Option<SocketAddr>,
    shutdown: Shutdown,
    over_limit: bool,
) -> Option<ConnectionFuture> {
    let settings = &app.settings;
    let accepted = tokio::time::timeout(settings.handshake_timeout, async {
        let (mut stream, opened) = open_transport(app, stream).await?;
        let read = match opened {
            Opened::Http1(read) => read,
            #[cfg(feature = "http2")]
            Opened::Http2(read) => return Some(Err((stream, read))),
        };
        let (request, head, leftover) = upgrade::read_request(&mut stream, settings, read).await?;
        Some(Ok::<_, (AnyStream, Vec<u8>)>((
            stream, request, head, leftover,
        )))
    })
    .await;
    let (mut stream, request, head, leftover) = match accepted {
        Ok(Some(Ok(accepted))) => accepted,
        #[cfg(feature = "http2")]
        Ok(Some(Err((stream, read)))) => {
            serve_http2(app, stream, read, peer, shutdown, over_limit).await;
            return None;
        }
        _ => {
            tracing::debug!(?peer, "handshake failed or timed out");
            return None;
        }
    };
    if over_limit {
        upgrade::respond(&mut stream, &Rejection::overloaded()).await;
        return None;
    }
    if let Some(dir) = &app.static_dir {
        let path = request.uri().path();
        let is_upgrade = request.headers().contains_key(http::header::UPGRADE);
        if !is_upgrade
            && request.method() == http::Method::GET
            && app.router.find(path).is_none()
            && super::static_files::serve_file(&mut stream, dir, path).await
        {
            return None;
        }
    }
    upgrade::dispatch(
        &app.router,
        stream,
        request,
        head,
        peer,
        leftover,
        Arc::clone(&app.settings),
        shutdown,
    )
    .await
}

/// How a connection opened: HTTP/1.1 or HTTP/2, with the bytes already read from it.
enum Opened {
    Http1(Vec<u8>),
    #[cfg(feature = "http2")]
    Http2(Vec<u8>),
}

/// The TLS handshake, if any, and the protocol: ALPN's choice, or with h2c, whether the
/// connection opens with the HTTP/2 preface.
async fn open_transport(app: &Application, stream: impl Transport) -> Option<(AnyStream, Opened)> {
    #[cfg(feature = "tls")]
    if let Some(acceptor) = &app.tls {
        return match acceptor.accept(stream).await {
            Ok(tls) => {
                #[cfg(feature = "http2")]
                if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                    return Some((AnyStream::new(tls), Opened::Http2(Vec::new())));
                }
                Some((AnyStream::new(tls), Opened::Http1(Vec::new())))
            }
            Err(error) => {
                tracing::debug!(%error, "TLS handshake failed");
                None
            }
        };
    }
    #[cfg(feature = "http2")]
    if app.h2c {
        let mut stream = AnyStream::new(stream);
        let read = read_preface(&mut stream).await?;
        let opened = if read.starts_with(crate::native::http2::PREFACE) {
            Opened::Http2(read)
        } else {
            Opened::Http1(read)
        };
        return Some((stream, opened));
    }
    #[cfg(not(any(feature = "tls", feature = "http2")))]
    let _ = app;
    Some((AnyStream::new(stream), Opened::Http1(Vec::new())))
}

/// Reads until the bytes are the HTTP/2 preface or cannot become it.
#[cfg(feature = "http2")]
async fn read_preface(stream: &mut AnyStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;

    let preface = crate::native::http2::PREFACE;
    let mut read = Vec::with_capacity(1024);
    while read.len() < preface.len() && preface.starts_with(&read) {
        match stream.read_buf(&mut read).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
    Some(read)
}

/// Serves an HTTP/2 connection; `read` holds the bytes already read from it. Over the
/// connection limit, it answers every stream 503 and closes.
#[cfg(feature = "http2")]
async fn serve_http2(
    app: &Application,
    stream: AnyStream,
    read: Vec<u8>,
    peer: Option<SocketAddr>,
    shutdown: Shutdown,
    over_limit: bool,
) {
    let Shutdown::Registry(connections) = shutdown else {
        return;
    };
    // h2 writes whole batches of frames; without this a WINDOW_UPDATE or a small DATA frame
    // can wait for the peer's delayed ACK.
    let _ = stream.set_nodelay(true);
    let site = crate::native::http2::server::Site {
        router: &app.router,
        static_dir: app.static_dir.as_ref(),
        settings: &app.settings,
    };
    let io = crate::native::http2::Prefixed::new(read, stream);
    crate::native::http2::server::serve(site, io, peer, &connections, over_limit).await;
}
