//! The server's HTTP/2 connections: each extended CONNECT to a route is a WebSocket on its
//! own stream, served by the route's handler as an HTTP/1.1 upgrade is.

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{header, Method, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;

use super::stream::H2Stream;
use crate::native::server::router::Router;
use crate::native::server::shutdown::{Connections, Shutdown};
use crate::native::server::static_files;
use crate::native::server::upgrade::Upgrade;
use crate::native::server::{Request, Settings};
use crate::native::transport::AnyStream;
use crate::protocol::handshake::{validate_connect_request, Agreement, Rejection};

/// The client's first bytes on an HTTP/2 connection (RFC 9113 §3.4).
pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// HTTP/2's initial and largest flow-control windows (RFC 9113 §6.9.1, §6.9.2): the
/// bounds of `Settings::http2_stream_window` and `http2_connection_window`.
const MIN_WINDOW: u32 = 65_535;
const MAX_WINDOW: u32 = (1 << 31) - 1;
/// What h2 buffers per stream for sending before a write waits.
const SEND_BUFFER: usize = 256 * 1024;
/// Most streams a connection may open in one second: a peer that opens and resets streams
/// in bulk (the "rapid reset" attack, CVE-2023-44487) gets GOAWAY(ENHANCE_YOUR_CALM).
const MAX_OPENS_PER_SECOND: u32 = 1000;
/// On shutdown, the longest GOAWAY waits for the WebSockets' 1001 to go out first: a
/// stream whose peer does not read (its window full) cannot take its close until it does.
const MAX_GOAWAY_DELAY: Duration = Duration::from_secs(1);
/// How often a stopping connection looks whether every 1001 went out.
const GOAWAY_CHECK: Duration = Duration::from_millis(2);

/// What an HTTP/2 connection needs of its application.
pub(crate) struct Site<'a> {
    pub(crate) router: &'a Router,
    pub(crate) static_dir: Option<&'a PathBuf>,
    pub(crate) settings: &'a Arc<Settings>,
}

/// Serves one HTTP/2 connection until it ends: every stream, then the connection.
///
/// SETTINGS_ENABLE_CONNECT_PROTOCOL is advertised only when there are routes, so that a
/// browser never tries a WebSocket the server would refuse. A connection without streams
/// for the handshake timeout gets GOAWAY. On shutdown (`server` stopping) every WebSocket
/// gets 1001, and once those are on their way (handed to h2 and written out, or after
/// [`MAX_GOAWAY_DELAY`]) the connection a GOAWAY; it ends when its streams have. A
/// connection `over_limit` (the server's `max_connections`) gets 503 on its first stream,
/// as an HTTP/1.1 one gets 503, then GOAWAY.
pub(crate) async fn serve<T>(
    site: Site<'_>,
    io: T,
    peer: Option<SocketAddr>,
    server: &Connections,
    over_limit: bool,
) where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let settings = site.settings;
    let stream_window = settings.http2_stream_window.clamp(MIN_WINDOW, MAX_WINDOW);
    let connection_window = settings
        .http2_connection_window
        .clamp(stream_window, MAX_WINDOW);
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(settings.http2_max_streams)
        .initial_window_size(stream_window)
        .initial_connection_window_size(connection_window)
        .max_send_buffer_size(SEND_BUFFER)
        .max_header_list_size(u32::try_from(settings.max_head_bytes).unwrap_or(u32::MAX));
    if !site.router.is_empty() {
        builder.enable_connect_protocol();
    }
    let handshake = tokio::time::timeout(settings.handshake_timeout, builder.handshake(io));
    let mut connection = match handshake.await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => {
            tracing::debug!(%error, "HTTP/2 handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!("HTTP/2 handshake timed out");
            return;
        }
    };
    let mut streams = JoinSet::new();
    // This connection's WebSockets, for their 1001 on shutdown: the server's stopping
    // signal reaches them through this loop, which sends GOAWAY only after their closes.
    let connections = Arc::new(Connections::default());
    let mut server_stopping = server.stopping();
    let mut stop = Stop::Serving;
    let mut going_away = false;
    let mut opens = (0u32, Instant::now());
    // A connection without streams is idle: as an HTTP/1.1 connection must upgrade within
    // the handshake timeout, it gets GOAWAY once idle that long.
    let idle = tokio::time::sleep(settings.handshake_timeout);
    tokio::pin!(idle);
    let mut goaway_check = tokio::time::interval(GOAWAY_CHECK);
    goaway_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // How often h2 ran, which writes what its streams queued: see `Stop::Closing`.
    let polls = AtomicU64::new(0);
    loop {
        tokio::select! {
            accepted = counted(connection.accept(), &polls) => match accepted {
                Some(Ok((request, mut respond))) => {
                    if over_limit {
                        reject(&mut respond, Rejection::overloaded());
                        if !going_away {
                            going_away = true;
                            connection.graceful_shutdown();
                        }
                        continue;
                    }
                    idle.as_mut().reset(tokio::time::Instant::now() + settings.handshake_timeout);
                    if opens.1.elapsed() >= Duration::from_secs(1) {
                        opens = (0, Instant::now());
                    }
                    opens.0 += 1;
                    if opens.0 > MAX_OPENS_PER_SECOND {
                        tracing::debug!(?peer, "too many HTTP/2 streams opened; GOAWAY");
                        connection.abrupt_shutdown(h2::Reason::ENHANCE_YOUR_CALM);
                        continue;
                    }
                    if let Some(stream) = on_request(&site, request, respond, peer, &connections) {
                        streams.spawn(stream);
                    }
                }
                Some(Err(error)) => {
                    tracing::debug!(%error, "HTTP/2 connection failed");
                    break;
                }
                None => break,
            },
            Some(_) = streams.join_next(), if !streams.is_empty() => {
                if streams.is_empty() {
                    idle.as_mut().reset(tokio::time::Instant::now() + settings.handshake_timeout);
                }
            }
            () = &mut idle, if streams.is_empty() && !going_away => {
                tracing::debug!(?peer, "idle HTTP/2 connection; GOAWAY");
                going_away = true;
                connection.graceful_shutdown();
            }
            stopping = stopped(&mut server_stopping), if stop == Stop::Serving => {
                if stopping {
                    connections.close_all();
                    stop = Stop::Closing { since: Instant::now(), written_at: None };
                } else {
                    stop = Stop::Never;
                }
            }
            _ = goaway_check.tick(), if matches!(stop, Stop::Closing { .. }) && !going_away => {
                if stop.goaway_due(&connections, polls.load(Ordering::Relaxed)) {
                    going_away = true;
                    connection.graceful_shutdown();
                }
            }
        }
    }
    // Dropping the connection ends its streams with an error: each WebSocket left sees
    // 1006 and runs its on_close.
    drop(connection);
    while streams.join_next().await.is_some() {}
}

/// Whether the server is stopping: resolves once it is (`false` if it never can be).
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    stopping.wait_for(|stop| *stop).await.is_ok()
}

/// Where a connection is in the server's shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Serving,
    /// The server is stopping: every WebSocket got its 1001 at `since`; the GOAWAY follows
    /// them. `written_at` is the count of h2 polls when every 1001 had been handed to h2.
    Closing {
        since: Instant,
        written_at: Option<u64>,
    },
    /// The server can no longer stop (it is gone).
    Never,
}

impl Stop {
    /// Whether the GOAWAY may go now, `polls` being the count of h2 polls so far: h2 wrote
    /// out every WebSocket's 1001, or the wait is over.
    ///
    /// A close handed to h2 waits in its stream's queue, which h2 writes after any frame of
    /// its own when it next runs (a GOAWAY first). So the GOAWAY waits for a poll of h2
    /// after the last close was handed over: the closes are written out by then.
    fn goaway_due(&mut self, connections: &Connections, polls: u64) -> bool {
        let Self::Closing { since, written_at } = self else {
            return false;
        };
        if written_at.is_none() && connections.closes_written() {
            *written_at = Some(polls);
        }
        written_at.is_some_and(|at| polls > at) || since.elapsed() >= MAX_GOAWAY_DELAY
    }
}

/// `future`, counting its polls in `polls`.
async fn counted<F: Future>(future: F, polls: &AtomicU64) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        polls.fetch_add(1, Ordering::Relaxed);
        future.as_mut().poll(cx)
    })
    .await
}

type StreamFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Answers a request at once (refusals) or returns the stream's task: a WebSocket's
/// handshake hooks and connection, or a file.
fn on_request(
    site: &Site<'_>,
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    peer: Option<SocketAddr>,
    connections: &Arc<Connections>,
) -> Option<StreamFuture> {
    let (mut parts, recv) = request.into_parts();
    let protocol = parts.extensions.remove::<h2::ext::Protocol>();
    let path = parts.uri.path().to_owned();
    let route = site.router.find(&path);
    if route.is_none() && protocol.is_none() && parts.method == Method::GET {
        if let Some(dir) = site.static_dir {
            return Some(Box::pin(serve_file(respond, dir.clone(), path)));
        }
    }
    if parts.method == Method::CONNECT && protocol.is_none() {
        // A tunnel request: never a tunnel here.
        if let Err(rejection) = validate_connect_request(&http::Request::new(()), None) {
            reject(&mut respond, rejection);
        }
        return None;
    }
    let Some((serve, args)) = route else {
        reject(
            &mut respond,
            Rejection::new(StatusCode::NOT_FOUND, "Not Found"),
        );
        return None;
    };
    let mut head = http::Request::new(());
    *head.method_mut() = parts.method;
    *head.headers_mut() = parts.headers;
    let offer = match validate_connect_request(&head, protocol.as_ref().map(|p| p.as_str())) {
        Ok(offer) => offer,
        Err(rejection) => {
            reject(&mut respond, rejection);
            return None;
        }
    };
    let (head, ()) = head.into_parts();
    let mut headers = head.headers;
    // The same-host origin rule and handlers read `Host`; HTTP/2 carries it as :authority.
    if !headers.contains_key(header::HOST) {
        if let Some(authority) = parts.uri.authority() {
            if let Ok(host) = authority.as_str().parse() {
                headers.insert(header::HOST, host);
            }
        }
    }
    let request = Request::new(head.method, parts.uri, headers, peer);
    let upgrade = Upgrade {
        channel: crate::native::server::upgrade::Channel::Http2(Respond { respond, recv }),
        request,
        offer,
        args,
        settings: Arc::clone(site.settings),
        shutdown: Shutdown::Registry(Arc::clone(connections)),
    };
    Some(Box::pin(async move {
        if let Some(connection) = serve(upgrade).await {
            connection.await;
        }
    }))
}

/// Sends a refusal: its status, headers and text body.
fn reject(respond: &mut SendResponse<Bytes>, rejection: Rejection) {
    tracing::debug!(status = %rejection.status, "HTTP/2 request refused");
    let response: http::Response<Bytes> = rejection.into_http_response();
    send(respond, response);
}

/// Sends a complete response.
fn send(respond: &mut SendResponse<Bytes>, response: http::Response<Bytes>) {
    let (parts, body) = response.into_parts();
    let head = http::Response::from_parts(parts, ());
    if let Ok(mut stream) = respond.send_response(head, body.is_empty()) {
        if !body.is_empty() {
            let _ = stream.send_data(body, true);
        }
    }
}

async fn serve_file(mut respond: SendResponse<Bytes>, root: PathBuf, path: String) {
    let response = match static_files::read_file(&root, &path).await {
        Some((body, content_type)) => {
            let mut response = http::Response::new(Bytes::from(body));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(content_type),
            );
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-cache"),
            );
            response
        }
        None => Rejection::new(StatusCode::NOT_FOUND, "Not Found").into_http_response(),
    };
    send(&mut respond, response);
}

/// An extended CONNECT waiting for the handler's answer.
pub(crate) struct Respond {
    respond: SendResponse<Bytes>,
    recv: RecvStream,
}

impl Respond {
    /// Refuses the WebSocket with `rejection`.
    pub(crate) fn reject(mut self, rejection: Rejection) {
        reject(&mut self.respond, rejection);
    }

    /// Accepts the WebSocket: a `200` with the agreed subprotocol and extensions (RFC 8441
    /// §5: no `Sec-WebSocket-Accept`), and the stream as the connection's transport.
    pub(crate) fn accept(mut self, agreement: &Agreement) -> Option<AnyStream> {
        let mut response = http::Response::new(());
        *response.headers_mut() = agreement.connect_headers();
        let send = self.respond.send_response(response, false).ok()?;
        Some(AnyStream::new(H2Stream::new(send, self.recv)))
    }
}
