//! The HTTP/2 cells' client: WebSockets opened by extended CONNECT (RFC 8441) on cleartext
//! HTTP/2 with prior knowledge, through the `h2` crate.
//!
//! Each WebSocket is a byte stream ([`WebSocket`], `AsyncRead` + `AsyncWrite` over one
//! HTTP/2 stream), so the echo cells drive it with the same masked frames and frame counter
//! as a TCP connection ([`crate::echo`]).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use h2::client::SendRequest;
use h2::{RecvStream, SendStream};
use http::{Request, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::AbortHandle;

/// The client's receive windows: Chrome's (6 MiB per stream, 15 MiB per connection), so
/// the server's echoes are never held back by the generator's flow control.
const STREAM_WINDOW: u32 = 6 << 20;
const CONNECTION_WINDOW: u32 = 15 << 20;
/// How long to wait for the server's SETTINGS to allow extended CONNECT.
const SETTINGS_TIMEOUT: Duration = Duration::from_secs(5);

/// One cleartext HTTP/2 connection whose server allows extended CONNECT.
#[derive(Clone)]
pub struct Connection {
    send: SendRequest<Bytes>,
    uri: Arc<str>,
    /// Ends the connection's task when the last handle to it (this or a WebSocket) goes.
    task: Arc<Task>,
}

/// The `h2` connection task, aborted on drop.
struct Task(AbortHandle);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn h2_error(e: h2::Error) -> io::Error {
    if e.is_io() {
        e.into_io()
            .unwrap_or_else(|| io::Error::other("h2 I/O error"))
    } else {
        io::Error::other(e)
    }
}

impl Connection {
    /// Connects to `addr` (TCP_NODELAY, as every generator connection), sends the HTTP/2
    /// preface, and waits for the server's SETTINGS to enable extended CONNECT.
    ///
    /// # Errors
    /// Connection errors, or a server that does not allow extended CONNECT.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake::<_, Bytes>(tcp)
            .await
            .map_err(h2_error)?;
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut this = Self {
            send,
            uri: format!("http://{addr}/").into(),
            task: Arc::new(Task(task.abort_handle())),
        };
        // The server's first SETTINGS say whether extended CONNECT is on; they arrive with
        // its preface, just after the handshake.
        let deadline = Instant::now() + SETTINGS_TIMEOUT;
        loop {
            this.send = this.send.ready().await.map_err(h2_error)?;
            if this.send.is_extended_connect_protocol_enabled() {
                return Ok(this);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::other(
                    "the server does not allow extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)",
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Opens a WebSocket on `/`: an extended CONNECT, answered by `200`.
    ///
    /// # Errors
    /// Stream or connection errors, or another status.
    pub async fn open(&self) -> io::Result<WebSocket> {
        let request = Request::connect(&*self.uri)
            .extension(h2::ext::Protocol::from_static("websocket"))
            .header("sec-websocket-version", "13")
            .body(())
            .map_err(io::Error::other)?;
        let mut send = self.send.clone().ready().await.map_err(h2_error)?;
        let (response, stream) = send.send_request(request, false).map_err(h2_error)?;
        let response = response.await.map_err(h2_error)?;
        if response.status() != StatusCode::OK {
            return Err(io::Error::other(format!(
                "extended CONNECT refused: {}",
                response.status()
            )));
        }
        Ok(WebSocket {
            send: stream,
            recv: response.into_body(),
            pending: Bytes::new(),
            _connection: Arc::clone(&self.task),
        })
    }
}

/// Opens `websockets` WebSockets to `addr`, `per_conn` on each HTTP/2 connection (the last
/// connection takes the rest), every connection's in turn.
///
/// # Errors
/// When a connection or an extended CONNECT fails.
pub async fn open_many(
    addr: SocketAddr,
    websockets: usize,
    per_conn: usize,
) -> io::Result<Vec<WebSocket>> {
    let per_conn = per_conn.max(1);
    let mut opened = Vec::with_capacity(websockets);
    let mut connection = None;
    for i in 0..websockets {
        if i % per_conn == 0 {
            connection = Some(Connection::connect(addr).await?);
        }
        if let Some(connection) = &connection {
            opened.push(connection.open().await?);
        }
    }
    Ok(opened)
}

/// One WebSocket on an HTTP/2 stream, as a byte stream: writes go out as DATA frames within
/// the stream's send window (HTTP/2 flow control is the back-pressure), reads return DATA
/// frames' bytes and give their window back; END_STREAM reads as EOF.
pub struct WebSocket {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// The rest of a DATA frame the last read had no room for.
    pending: Bytes,
    _connection: Arc<Task>,
}

impl AsyncRead for WebSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.pending.is_empty() {
            match ready!(self.recv.poll_data(cx)) {
                None => return Poll::Ready(Ok(())),
                Some(Ok(data)) => {
                    if !data.is_empty() {
                        let _ = self.recv.flow_control().release_capacity(data.len());
                    }
                    self.pending = data;
                }
                Some(Err(e)) => return Poll::Ready(Err(h2_error(e))),
            }
        }
        let n = self.pending.len().min(buf.remaining());
        buf.put_slice(&self.pending[..n]);
        self.pending.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for WebSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // As hyper's CONNECT tunnels write: ask for the window, send what was granted.
        self.send.reserve_capacity(buf.len());
        let granted = loop {
            match ready!(self.send.poll_capacity(cx)) {
                // Granted and taken back: wait for the next grant.
                Some(Ok(0)) => {}
                Some(Ok(granted)) => break granted.min(buf.len()),
                Some(Err(e)) => return Poll::Ready(Err(h2_error(e))),
                None => return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            }
        };
        self.send
            .send_data(Bytes::copy_from_slice(&buf[..granted]), false)
            .map_err(h2_error)?;
        Poll::Ready(Ok(granted))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection task writes what the streams send.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.send.send_data(Bytes::new(), true).map_err(h2_error))
    }
}
