//! `WebSocketClientConnection` and its two halves.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use futures_util::StreamExt;
use http::HeaderMap;

use super::sink::SinkState;
use crate::native::driver::{Events, Handle, Incoming, Shared};
use crate::protocol::Closed;
use crate::{CloseCode, CloseFrame, Error, Message};

/// What the handshake settled, shared by both halves.
#[derive(Debug)]
pub(super) struct Info {
    pub(super) subprotocol: Option<String>,
    pub(super) extensions: Option<String>,
    pub(super) response_headers: HeaderMap,
}

/// An open client connection, as Tornado's `WebSocketClientConnection`; made by
/// [`websocket_connect`](crate::websocket_connect).
///
/// Read with [`read_message`](Self::read_message) (or as a [`Stream`] of messages), write
/// with [`write_message`](Self::write_message) (or as a [`Sink`]). [`split`](Self::split)
/// gives a reader and a writer for two tasks. The connection runs in a task of its own:
/// keepalive pings, pongs and the close handshake go on while nobody reads, but unread
/// messages make it stop reading from the server after a few (back-pressure, as Tornado).
///
/// Dropping the connection (the writer, after a split) closes it with 1000.
///
/// ```no_run
/// use squall::{websocket_connect, ConnectOptions};
///
/// # async fn run() -> Result<(), squall::Error> {
/// let mut conn = websocket_connect("ws://127.0.0.1:8888/echo", ConnectOptions::new()).await?;
/// conn.write_message("hello").await?;
/// while let Some(message) = conn.read_message().await {
///     println!("{message:?}");
/// }
/// println!("closed with {:?}", conn.close_code());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct WebSocketClientConnection {
    reader: ClientReader,
    writer: ClientWriter,
}

impl WebSocketClientConnection {
    pub(super) fn new(handle: Handle, events: Option<Events>, info: Info) -> Self {
        let info = Arc::new(info);
        Self {
            reader: ClientReader {
                events,
                shared: Arc::clone(&handle.shared),
                info: Arc::clone(&info),
            },
            writer: ClientWriter {
                handle,
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

    /// As [`write_message`](Self::write_message), but never compressed, even with
    /// permessage-deflate on (for data that is already compressed).
    ///
    /// # Errors
    /// As [`write_message`](Self::write_message).
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

    /// Sends a ping and resolves with the round-trip time; see [`ClientWriter::ping`].
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] over 125 bytes; [`Error::Closed`] if the connection
    /// closes first.
    pub async fn ping(&self, data: impl Into<Bytes>) -> Result<Duration, Error> {
        self.writer.ping(data).await
    }

    /// Starts the close handshake and waits for it to end; see [`ClientWriter::close`].
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`], [`Error::CloseReasonTooLong`], or [`Error::Closed`] if a
    /// close was already sent or received.
    pub async fn close<'a>(
        &self,
        code: impl Into<Option<CloseCode>>,
        reason: impl Into<Option<&'a str>>,
    ) -> Result<(), Error> {
        self.writer.close(code, reason).await
    }

    /// Sets `TCP_NODELAY` on the socket, as Tornado's `set_nodelay`.
    ///
    /// # Errors
    /// The socket's error, or [`Error::Closed`] once the connection is gone.
    pub async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        self.writer.set_nodelay(nodelay).await
    }

    /// The code of the close that ended the connection, whichever side sent it first;
    /// `None` while open.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.writer.close_code()
    }

    /// The reason that came with [`close_code`](Self::close_code).
    pub fn close_reason(&self) -> Option<String> {
        self.writer.close_reason()
    }

    /// How the connection closed, including the protocol error or timeout that made this
    /// side close it (for example [`Timeout::Ping`](crate::Timeout::Ping)).
    pub fn closed(&self) -> Option<Closed> {
        self.writer.closed()
    }

    /// Whether a close frame was sent or received (writes fail from then on).
    pub fn is_closing(&self) -> bool {
        self.writer.is_closing()
    }

    /// The subprotocol the server selected, one of
    /// [`ConnectOptions::subprotocols`](crate::ConnectOptions::subprotocols).
    pub fn selected_subprotocol(&self) -> Option<&str> {
        self.writer.selected_subprotocol()
    }

    /// The `Sec-WebSocket-Extensions` the server agreed to, if any.
    pub fn extensions(&self) -> Option<&str> {
        self.writer.extensions()
    }

    /// The headers of the server's 101 response (for example `Set-Cookie`).
    pub fn response_headers(&self) -> &HeaderMap {
        self.writer.response_headers()
    }

    /// Splits the connection into a reader and a writer, for two tasks. The writer can be
    /// cloned; the connection closes (with 1000) once every writer is dropped.
    pub fn split(self) -> (ClientReader, ClientWriter) {
        (self.reader, self.writer)
    }
}

/// The reading half of a [`WebSocketClientConnection`]: messages in order, as
/// [`read_message`](Self::read_message) or as a [`Stream`].
#[derive(Debug)]
pub struct ClientReader {
    /// `None` in `on_message_callback` style, or once the stream ended.
    events: Option<Events>,
    shared: Arc<Shared>,
    info: Arc<Info>,
}

impl ClientReader {
    /// The next message; `None` once the connection is closed (then see
    /// [`close_code`](Self::close_code) and [`closed`](Self::closed)).
    ///
    /// With [`ConnectOptions::on_message_callback`](crate::ConnectOptions::on_message_callback)
    /// the callback gets every message and this returns `None` at once, always (Tornado's
    /// `read_message` never returns messages in that style either).
    ///
    /// Cancel-safe: a message is never lost when this future is dropped.
    pub async fn read_message(&mut self) -> Option<Message> {
        self.next().await
    }

    /// The code of the close that ended the connection; `None` while open.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.shared.close_code()
    }

    /// The reason that came with [`close_code`](Self::close_code).
    pub fn close_reason(&self) -> Option<String> {
        self.shared.close_reason()
    }

    /// How the connection closed; see [`WebSocketClientConnection::closed`].
    pub fn closed(&self) -> Option<Closed> {
        self.shared.closed()
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
        loop {
            let Some(events) = this.events.as_mut() else {
                return Poll::Ready(None);
            };
            match std::task::ready!(events.poll_next_unpin(cx)) {
                Some(Incoming::Message(message)) => return Poll::Ready(Some(message)),
                // The client installs ping and pong hooks, so these do not arrive here.
                Some(Incoming::Ping(_) | Incoming::Pong(_)) => {}
                None => this.events = None,
            }
        }
    }
}

/// The writing half of a [`WebSocketClientConnection`]: cheap to clone and `Send`, so
/// several tasks can write. Also a [`Sink`] of messages (each clone has its own sink
/// state; closing the sink runs the close handshake with 1000).
#[derive(Debug)]
pub struct ClientWriter {
    handle: Handle,
    info: Arc<Info>,
    sink: SinkState,
}

impl Clone for ClientWriter {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            info: Arc::clone(&self.info),
            sink: SinkState::default(),
        }
    }
}

impl ClientWriter {
    /// Sends a text or binary message. Resolves once the message is queued for the socket,
    /// and waits while more than 1 MiB is unsent (flow control, as Tornado's returned future).
    /// If this future is dropped after the message was queued, the message is still sent.
    ///
    /// # Errors
    /// [`Error::Closed`] once the connection is closing or closed.
    pub async fn write_message(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.handle.write_message(message.into(), true).await
    }

    /// As [`write_message`](Self::write_message), but never compressed, even with
    /// permessage-deflate on (for data that is already compressed).
    ///
    /// # Errors
    /// As [`write_message`](Self::write_message).
    pub async fn write_message_uncompressed(
        &self,
        message: impl Into<Message>,
    ) -> Result<(), Error> {
        self.handle.write_message(message.into(), false).await
    }

    /// Sends `value` as a JSON text message, as Tornado does for a `dict`.
    ///
    /// # Errors
    /// [`Error::Json`] if it cannot be encoded, or as [`write_message`](Self::write_message).
    #[cfg(feature = "json")]
    pub async fn write_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.handle.write_message(Message::json(value)?, true).await
    }

    /// Sends a ping; resolves with the round-trip time once a pong acknowledges it (a pong
    /// acknowledges every earlier ping too).
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] over 125 bytes; [`Error::Closed`] if the connection
    /// closes first.
    pub async fn ping(&self, data: impl Into<Bytes>) -> Result<Duration, Error> {
        self.handle.ping(data.into()).await
    }

    /// Starts the close handshake with Tornado's arguments (a reason without a code is sent
    /// with 1000; neither sends an empty close frame) and resolves once the connection is
    /// closed: the server answered, or `close_timeout` passed.
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`], [`Error::CloseReasonTooLong`], or [`Error::Closed`] if a
    /// close was already sent or received.
    pub async fn close<'a>(
        &self,
        code: impl Into<Option<CloseCode>>,
        reason: impl Into<Option<&'a str>>,
    ) -> Result<(), Error> {
        let frame = CloseFrame::from_parts(code.into(), reason.into())?;
        self.handle.close(frame).await
    }

    /// Sets `TCP_NODELAY` on the socket.
    ///
    /// # Errors
    /// The socket's error, or [`Error::Closed`] once the connection is gone.
    pub async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        self.handle.set_nodelay(nodelay).await
    }

    /// The code of the close that ended the connection; `None` while open.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.handle.shared.close_code()
    }

    /// The reason that came with [`close_code`](Self::close_code).
    pub fn close_reason(&self) -> Option<String> {
        self.handle.shared.close_reason()
    }

    /// How the connection closed; see [`WebSocketClientConnection::closed`].
    pub fn closed(&self) -> Option<Closed> {
        self.handle.shared.closed()
    }

    /// Whether a close frame was sent or received (writes fail from then on).
    pub fn is_closing(&self) -> bool {
        self.handle.shared.is_closing()
    }

    /// The subprotocol the server selected.
    pub fn selected_subprotocol(&self) -> Option<&str> {
        self.info.subprotocol.as_deref()
    }

    /// The `Sec-WebSocket-Extensions` the server agreed to, if any.
    pub fn extensions(&self) -> Option<&str> {
        self.info.extensions.as_deref()
    }

    /// The headers of the server's 101 response.
    pub fn response_headers(&self) -> &HeaderMap {
        &self.info.response_headers
    }
}

impl Sink<Message> for ClientWriter {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().sink.poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.get_mut();
        this.sink.start_send(&this.handle, item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().sink.poll_ready(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.sink.poll_close(&this.handle, cx)
    }
}

impl Stream for WebSocketClientConnection {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        Pin::new(&mut self.get_mut().reader).poll_next(cx)
    }
}

impl Sink<Message> for WebSocketClientConnection {
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
