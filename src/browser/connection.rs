//! `WebSocketClientConnection` and its two halves, on a browser `WebSocket`.

use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_channel::mpsc::UnboundedReceiver;
use futures_core::Stream;
use http::HeaderMap;

use super::sink::SinkState;
use super::socket::{live_sockets, Socket, WRITE_HIGH_WATER};
use super::timer::{sleep, timeout};
use crate::protocol::Closed;
use crate::{CloseCode, CloseFrame, Error, Message};

/// What the opening settled, shared by both halves.
#[derive(Debug)]
pub(super) struct Info {
    pub(super) subprotocol: Option<String>,
    pub(super) extensions: Option<String>,
    /// Always empty: browsers hide the response headers.
    pub(super) response_headers: HeaderMap,
    pub(super) close_timeout: Duration,
}

/// An open client connection, as Tornado's `WebSocketClientConnection`; made by
/// [`websocket_connect`](crate::websocket_connect).
///
/// The same methods as the native client. Read with [`read_message`](Self::read_message) (or
/// as a [`Stream`] of messages), write with [`write_message`](Self::write_message) (or as a
/// [`Sink`](futures_sink::Sink)); [`split`](Self::split) gives a reader and a writer. Not
/// `Send`: browser objects stay on the page's thread.
///
/// Browsers offer no read back-pressure: messages the page does not read wait in memory.
/// Dropping the connection (every writer, after a split) closes it with 1000; dropping
/// every half removes the socket's event handlers and frees their JS closures.
///
/// ```ignore
/// use squall::{websocket_connect, ConnectOptions};
///
/// # async fn run() -> Result<(), squall::Error> {
/// let mut conn = websocket_connect("ws://127.0.0.1:8888/echo", ConnectOptions::new()).await?;
/// conn.write_message("hello").await?;
/// while let Some(message) = conn.read_message().await {
///     web_sys::console::log_1(&format!("{message:?}").into());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct WebSocketClientConnection {
    reader: ClientReader,
    writer: ClientWriter,
}

impl WebSocketClientConnection {
    pub(super) fn new(
        socket: Rc<Socket>,
        messages: Option<UnboundedReceiver<Message>>,
        info: Info,
    ) -> Self {
        let info = Rc::new(info);
        Self {
            reader: ClientReader {
                messages,
                socket: Rc::clone(&socket),
                info: Rc::clone(&info),
            },
            writer: ClientWriter {
                guard: Rc::new(WriterGuard(socket)),
                info,
                sink: SinkState::default(),
            },
        }
    }

    /// Sends a text or binary message; see [`ClientWriter::write_message`].
    ///
    /// # Errors
    /// [`Error::Closed`] once the connection is closing or closed.
    pub async fn write_message(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.writer.write_message(message).await
    }

    /// Not available in a browser: see [`ClientWriter::write_message_uncompressed`].
    ///
    /// # Errors
    /// Always [`Error::Unsupported`]`("write_message_uncompressed: …")`; nothing is sent.
    pub async fn write_message_uncompressed(
        &self,
        message: impl Into<Message>,
    ) -> Result<(), Error> {
        self.writer.write_message_uncompressed(message).await
    }

    /// Sends `value` as a JSON text message.
    ///
    /// # Errors
    /// [`Error::Json`] if it cannot be encoded, or as [`write_message`](Self::write_message).
    #[cfg(feature = "json")]
    pub async fn write_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.writer.write_json(value).await
    }

    /// The next message; `None` once the connection is closed. See
    /// [`ClientReader::read_message`].
    pub async fn read_message(&mut self) -> Option<Message> {
        self.reader.read_message().await
    }

    /// Not available in a browser: see [`ClientWriter::ping`].
    ///
    /// # Errors
    /// Always [`Error::Unsupported`]`("ping: …")`.
    pub async fn ping(&self, data: impl Into<Bytes>) -> Result<Duration, Error> {
        self.writer.ping(data).await
    }

    /// Starts the close handshake and waits for it to end; see [`ClientWriter::close`].
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] for a code other than 1000 or 3000-4999,
    /// [`Error::CloseReasonTooLong`], or [`Error::Closed`] if already closing.
    pub async fn close<'a>(
        &self,
        code: impl Into<Option<CloseCode>>,
        reason: impl Into<Option<&'a str>>,
    ) -> Result<(), Error> {
        self.writer.close(code, reason).await
    }

    /// Not available in a browser: see [`ClientWriter::set_nodelay`].
    ///
    /// # Errors
    /// Always [`Error::Unsupported`]`("set_nodelay: …")`.
    pub async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        self.writer.set_nodelay(nodelay).await
    }

    /// The code of the close that ended the connection (from the browser's `CloseEvent`;
    /// 1006 when it was not clean, 1009 after a too-big message); `None` while open.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.writer.close_code()
    }

    /// The reason that came with [`close_code`](Self::close_code).
    pub fn close_reason(&self) -> Option<String> {
        self.writer.close_reason()
    }

    /// How the connection closed, including the limit that made this side close it
    /// ([`ProtocolError::MessageTooBig`](crate::ProtocolError::MessageTooBig)).
    pub fn closed(&self) -> Option<Closed> {
        self.writer.closed()
    }

    /// Whether this side asked to close or the socket is closing (writes fail from then on).
    pub fn is_closing(&self) -> bool {
        self.writer.is_closing()
    }

    /// The subprotocol the server selected (`WebSocket.protocol`).
    pub fn selected_subprotocol(&self) -> Option<&str> {
        self.writer.selected_subprotocol()
    }

    /// The extensions the browser and the server agreed to (`WebSocket.extensions`), for
    /// example `permessage-deflate; client_max_window_bits=15`.
    pub fn extensions(&self) -> Option<&str> {
        self.writer.extensions()
    }

    /// Always empty in a browser: pages cannot read the server's 101 response headers.
    pub fn response_headers(&self) -> &HeaderMap {
        self.writer.response_headers()
    }

    /// Splits the connection into a reader and a writer. The writer can be cloned; the
    /// connection closes (with 1000) once every writer is dropped.
    pub fn split(self) -> (ClientReader, ClientWriter) {
        (self.reader, self.writer)
    }

    /// How many connections currently hold a browser `WebSocket` and its JS closures on
    /// this thread (for leak tests).
    #[doc(hidden)]
    pub fn live_sockets() -> usize {
        live_sockets()
    }
}

/// The reading half of a [`WebSocketClientConnection`]: messages in order, as
/// [`read_message`](Self::read_message) or as a [`Stream`].
#[derive(Debug)]
pub struct ClientReader {
    /// `None` in `on_message_callback` style, or once the stream ended.
    messages: Option<UnboundedReceiver<Message>>,
    socket: Rc<Socket>,
    info: Rc<Info>,
}

impl ClientReader {
    /// The next message; `None` once the connection is closed (then see
    /// [`close_code`](Self::close_code) and [`closed`](Self::closed)).
    ///
    /// With [`ConnectOptions::on_message_callback`](crate::ConnectOptions::on_message_callback)
    /// the callback gets every message and this returns `None` at once, always.
    ///
    /// Cancel-safe: a message is never lost when this future is dropped.
    pub async fn read_message(&mut self) -> Option<Message> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The code of the close that ended the connection; `None` while open.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.socket.closed().map(|c| c.code)
    }

    /// The reason that came with [`close_code`](Self::close_code).
    pub fn close_reason(&self) -> Option<String> {
        self.socket.closed().map(|c| c.reason)
    }

    /// How the connection closed; see [`WebSocketClientConnection::closed`].
    pub fn closed(&self) -> Option<Closed> {
        self.socket.closed()
    }

    /// The subprotocol the server selected.
    pub fn selected_subprotocol(&self) -> Option<&str> {
        self.info.subprotocol.as_deref()
    }
}

impl Stream for ClientReader {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        let Some(messages) = this.messages.as_mut() else {
            return Poll::Ready(None);
        };
        let next = std::task::ready!(Pin::new(messages).poll_next(cx));
        if next.is_none() {
            this.messages = None;
        }
        Poll::Ready(next)
    }
}

/// Closes the socket with 1000 once the last writer is dropped.
#[derive(Debug)]
struct WriterGuard(Rc<Socket>);

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.0.close_on_drop();
    }
}

/// The writing half of a [`WebSocketClientConnection`]; cheap to clone, and a
/// [`Sink`](futures_sink::Sink) of messages (each clone has its own sink state; closing the
/// sink runs the close handshake with 1000).
#[derive(Debug)]
pub struct ClientWriter {
    guard: Rc<WriterGuard>,
    info: Rc<Info>,
    pub(super) sink: SinkState,
}

impl Clone for ClientWriter {
    fn clone(&self) -> Self {
        Self {
            guard: Rc::clone(&self.guard),
            info: Rc::clone(&self.info),
            sink: SinkState::default(),
        }
    }
}

impl ClientWriter {
    pub(super) fn socket(&self) -> &Rc<Socket> {
        &self.guard.0
    }

    pub(super) fn close_timeout(&self) -> Duration {
        self.info.close_timeout
    }

    /// Sends a text or binary message: hands it to the browser (`WebSocket.send`), then
    /// waits while more than 1 MiB is unsent
    /// (`bufferedAmount`, polled with timers), so a fast producer cannot grow the page's
    /// memory without limit. If this future is dropped while it waits, the message is still
    /// sent.
    ///
    /// # Errors
    /// [`Error::Closed`] once the connection is closing or closed (checked first: a browser
    /// silently drops what is sent on a closing socket), also while waiting.
    pub async fn write_message(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.socket().send(&message.into())?;
        drained_below(self.socket(), WRITE_HIGH_WATER).await
    }

    /// Not available in a browser: the browser decides which messages it compresses once
    /// permessage-deflate is negotiated, and a page cannot opt a message out. Use
    /// [`write_message`](Self::write_message).
    ///
    /// # Errors
    /// Always [`Error::Unsupported`]`("write_message_uncompressed: …")`; nothing is sent.
    pub async fn write_message_uncompressed(
        &self,
        message: impl Into<Message>,
    ) -> Result<(), Error> {
        let _ = message.into();
        Err(Error::Unsupported(
            "write_message_uncompressed: the browser decides what it compresses".into(),
        ))
    }

    /// Sends `value` as a JSON text message, as Tornado does for a `dict`.
    ///
    /// # Errors
    /// [`Error::Json`] if it cannot be encoded, or as [`write_message`](Self::write_message).
    #[cfg(feature = "json")]
    pub async fn write_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.write_message(Message::json(value)?).await
    }

    /// Not available in a browser: pages cannot send pings (the browser answers the
    /// server's pings itself). Use an application-level message for a heartbeat.
    ///
    /// # Errors
    /// Always [`Error::Unsupported`]`("ping: …")`.
    pub async fn ping(&self, data: impl Into<Bytes>) -> Result<Duration, Error> {
        let _ = data.into();
        Err(Error::Unsupported(
            "ping: browsers cannot send pings".into(),
        ))
    }

    /// Starts the close handshake with Tornado's arguments (a reason without a code is sent
    /// with 1000; neither sends a close frame without a code) and resolves once the
    /// browser reports the connection closed, or after `close_timeout`, when it is recorded
    /// as closed abnormally (1006).
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] for a code other than 1000 or 3000-4999 (the only ones
    /// browsers let scripts send), [`Error::CloseReasonTooLong`] over 123 bytes of UTF-8
    /// (both checked before the browser is called), or [`Error::Closed`] if a close was
    /// already started.
    pub async fn close<'a>(
        &self,
        code: impl Into<Option<CloseCode>>,
        reason: impl Into<Option<&'a str>>,
    ) -> Result<(), Error> {
        let frame = CloseFrame::from_parts(code.into(), reason.into())?;
        self.socket().close(frame.as_ref())?;
        wait_closed(self.socket(), self.close_timeout()).await;
        Ok(())
    }

    /// Not available in a browser: pages have no access to the TCP socket.
    ///
    /// # Errors
    /// Always [`Error::Unsupported`]`("set_nodelay: …")`.
    pub async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        let _ = nodelay;
        Err(Error::Unsupported(
            "set_nodelay: browsers do not expose the TCP socket".into(),
        ))
    }

    /// The code of the close that ended the connection; `None` while open.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.socket().closed().map(|c| c.code)
    }

    /// The reason that came with [`close_code`](Self::close_code).
    pub fn close_reason(&self) -> Option<String> {
        self.socket().closed().map(|c| c.reason)
    }

    /// How the connection closed; see [`WebSocketClientConnection::closed`].
    pub fn closed(&self) -> Option<Closed> {
        self.socket().closed()
    }

    /// Whether this side asked to close or the socket is closing (writes fail from then on).
    pub fn is_closing(&self) -> bool {
        self.socket().is_closing()
    }

    /// The subprotocol the server selected.
    pub fn selected_subprotocol(&self) -> Option<&str> {
        self.info.subprotocol.as_deref()
    }

    /// The extensions the browser and the server agreed to.
    pub fn extensions(&self) -> Option<&str> {
        self.info.extensions.as_deref()
    }

    /// Always empty in a browser: pages cannot read the server's response headers.
    pub fn response_headers(&self) -> &HeaderMap {
        &self.info.response_headers
    }
}

/// Waits until at most `bound` bytes are unsent, polling `bufferedAmount` every 1 to 16 ms.
pub(super) async fn drained_below(socket: &Socket, bound: usize) -> Result<(), Error> {
    let mut delay = 1;
    while socket.buffered_amount() > bound {
        if socket.is_closing() {
            return Err(crate::WebSocketClosedError.into());
        }
        sleep(Duration::from_millis(delay)).await;
        delay = (delay * 2).min(16);
    }
    Ok(())
}

/// Waits for the close event, for at most `limit`; then records the close as abnormal.
pub(super) async fn wait_closed(socket: &Socket, limit: Duration) {
    if timeout(Some(limit), poll_fn(|cx| socket.poll_closed(cx)))
        .await
        .is_none()
    {
        socket.finish();
    }
}

impl Stream for WebSocketClientConnection {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        Pin::new(&mut self.get_mut().reader).poll_next(cx)
    }
}

impl futures_sink::Sink<Message> for WebSocketClientConnection {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().writer).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Pin::new(&mut self.get_mut().writer).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().writer).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().writer).poll_close(cx)
    }
}
