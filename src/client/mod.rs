//! The client's public API, written once for both backends: [`WebSocketClientConnection`]
//! and its two halves, [`ClientReader`] and [`ClientWriter`], with their `Stream` and `Sink`
//! implementations and every doc.
//!
//! Each backend provides a small `shim` module (chosen by cfg, as `reconnect/platform.rs`
//! does for the reconnecting client): a `Writer` (the native driver's handle, or the
//! browser `WebSocket`), a `Reader` of messages, the state the close accessors read, and the
//! owned write and close futures the `Sink` runs. What a browser cannot do is refused there
//! with [`Error::Unsupported`](crate::Error::Unsupported).

mod sink;

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use http::HeaderMap;

#[cfg(target_arch = "wasm32")]
pub(crate) use crate::browser::shim;
use crate::methods::{closed_methods, negotiated_methods, writing_methods, Negotiated};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::native::client::shim;
use crate::{Error, Message};
use sink::SinkState;

/// What the handshake settled, shared by both halves.
#[derive(Debug)]
pub(crate) struct Info {
    pub(crate) negotiated: Negotiated,
    /// Always empty in a browser: pages cannot read the response headers.
    pub(crate) response_headers: HeaderMap,
}

/// An open client connection, as Tornado's `WebSocketClientConnection`; made by
/// [`websocket_connect`](crate::websocket_connect). The same type, methods and semantics
/// natively and in a browser.
///
/// Read with [`read_message`](Self::read_message) (or as a [`Stream`] of messages), write
/// with [`write_message`](Self::write_message) (or as a [`Sink`]). [`split`](Self::split)
/// gives a [`ClientReader`] and a [`ClientWriter`] for two tasks.
///
/// Natively the connection runs in a task of its own: keepalive pings, pongs and the close
/// handshake go on while nobody reads, but unread messages make it stop reading from the
/// server after a few (back-pressure, as Tornado). In a browser it is not `Send` (browser
/// objects stay on the page's thread), and messages the page does not read wait in memory.
///
/// Dropping the connection (every writer, after a split) closes it with 1000.
///
/// The inherent [`close(code, reason)`](Self::close) is Tornado's; `SinkExt::close()` from
/// `futures` is the `Sink`'s, with 1000 (see the `Sink` implementations below and on
/// [`ClientWriter`]).
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
    pub(crate) fn new(writer: shim::Writer, reader: shim::Reader, info: Info) -> Self {
        let info = Arc::new(info);
        Self {
            reader: ClientReader {
                reader,
                info: Arc::clone(&info),
            },
            writer: ClientWriter {
                writer,
                info,
                sink: SinkState::default(),
            },
        }
    }

    writing_methods!();
    closed_methods!();
    negotiated_methods!();

    /// The next message; `None` once the connection is closed. See
    /// [`ClientReader::read_message`].
    pub async fn read_message(&mut self) -> Option<Message> {
        self.reader.read_message().await
    }

    /// The headers of the server's 101 response (for example `Set-Cookie`). Always empty
    /// in a browser: pages cannot read them.
    pub fn response_headers(&self) -> &HeaderMap {
        self.writer.response_headers()
    }

    /// Splits the connection into `(reader, writer)`, in that order (as `tokio::io::split`;
    /// note that `futures`' `StreamExt::split` gives the sink first). The
    /// [`ClientReader`] reads messages (also a [`Stream`]); the [`ClientWriter`] writes
    /// (also a [`Sink`]) and can be cloned for more tasks. The connection closes (with 1000)
    /// once every writer is dropped; the reader then ends.
    ///
    /// ```no_run
    /// use squall::{websocket_connect, ClientReader, ClientWriter, ConnectOptions};
    ///
    /// # async fn run() -> Result<(), squall::Error> {
    /// let conn = websocket_connect("ws://127.0.0.1:8888/echo", ConnectOptions::new()).await?;
    /// let (mut reader, writer): (ClientReader, ClientWriter) = conn.split();
    /// tokio::spawn(async move {
    ///     for i in 0..3 {
    ///         writer.write_message(format!("tick {i}")).await?;
    ///     }
    ///     writer.close(None, "done").await
    /// });
    /// while let Some(message) = reader.read_message().await {
    ///     println!("{message:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn split(self) -> (ClientReader, ClientWriter) {
        (self.reader, self.writer)
    }

    #[inline]
    fn writer_shim(&self) -> &shim::Writer {
        &self.writer.writer
    }

    #[inline]
    fn close_state(&self) -> shim::StateRef<'_> {
        shim::state(&self.writer.writer)
    }

    #[inline]
    fn negotiated(&self) -> &Negotiated {
        &self.writer.info.negotiated
    }

    /// How many connections currently hold a browser `WebSocket` and its JS closures on
    /// this thread (for leak tests).
    #[cfg(target_arch = "wasm32")]
    #[doc(hidden)]
    pub fn live_sockets() -> usize {
        shim::live_sockets()
    }
}

/// The reading half of a [`WebSocketClientConnection`], the first of
/// [`split`](WebSocketClientConnection::split)'s pair: messages in order, as
/// [`read_message`](Self::read_message) or as a [`Stream`].
#[derive(Debug)]
pub struct ClientReader {
    reader: shim::Reader,
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
        poll_fn(|cx| self.reader.poll_next(cx)).await
    }

    closed_methods!();
    negotiated_methods!();

    #[inline]
    fn close_state(&self) -> shim::StateRef<'_> {
        self.reader.state()
    }

    #[inline]
    fn negotiated(&self) -> &Negotiated {
        &self.info.negotiated
    }
}

impl Stream for ClientReader {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.get_mut().reader.poll_next(cx)
    }
}

/// The writing half of a [`WebSocketClientConnection`], the second of
/// [`split`](WebSocketClientConnection::split)'s pair: cheap to clone (natively `Send`), so
/// several tasks can write. Also a [`Sink`] of messages (each clone has its own sink state).
#[derive(Debug)]
pub struct ClientWriter {
    writer: shim::Writer,
    info: Arc<Info>,
    sink: SinkState,
}

impl Clone for ClientWriter {
    fn clone(&self) -> Self {
        Self {
            writer: self.writer.clone(),
            info: Arc::clone(&self.info),
            sink: SinkState::default(),
        }
    }
}

impl ClientWriter {
    writing_methods!();
    closed_methods!();
    negotiated_methods!();

    /// The headers of the server's 101 response; always empty in a browser.
    pub fn response_headers(&self) -> &HeaderMap {
        &self.info.response_headers
    }

    #[inline]
    fn writer_shim(&self) -> &shim::Writer {
        &self.writer
    }

    #[inline]
    fn close_state(&self) -> shim::StateRef<'_> {
        shim::state(&self.writer)
    }

    #[inline]
    fn negotiated(&self) -> &Negotiated {
        &self.info.negotiated
    }
}

/// Messages written as a [`Sink`], for `futures`' `SinkExt` (`send`, `feed`, `send_all`,
/// `forward`), the same natively and in a browser:
///
/// - `poll_ready` finishes the write in flight, then fails with
///   [`Error::Closed`](crate::Error::Closed) once the connection is closing (a close
///   frame was sent or received) or this sink was closed;
/// - `start_send` hands the message over as [`write_message`](ClientWriter::write_message)
///   does, and `poll_flush` resolves when that would have: the message was handed to the
///   connection and at most the write-buffer high-water mark (1 MiB) is unsent. So
///   `sink.send(message).await` behaves as `write_message(message).await`. Bytes may still
///   be on their way; `SinkExt::close` waits for them;
/// - `poll_close` (`SinkExt::close()`) runs the close handshake with 1000 (unless either side
///   already started one) and resolves once the connection is closed.
///
/// The inherent [`close(code, reason)`](ClientWriter::close) takes precedence over
/// `SinkExt::close()` in method calls, so `writer.close()` does not compile; call
/// `SinkExt::close(&mut writer)` for the sink's, or `writer.close(None, None)` (a close
/// frame without a code) or `writer.close(CloseCode::NORMAL, None)` for Tornado's.
///
/// ```no_run
/// use futures_util::SinkExt;
/// use squall::{websocket_connect, ConnectOptions, Message};
///
/// # async fn run() -> Result<(), squall::Error> {
/// let conn = websocket_connect("ws://127.0.0.1:8888/echo", ConnectOptions::new()).await?;
/// let (_reader, mut writer) = conn.split();
/// writer.send(Message::from("hello")).await?;
/// SinkExt::close(&mut writer).await?; // the Sink's close: 1000
/// # Ok(()) }
/// ```
impl Sink<Message> for ClientWriter {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.sink.poll_ready(&this.writer, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.get_mut();
        this.sink.start_send(&this.writer, item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().sink.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.sink.poll_close(&this.writer, cx)
    }
}

impl Stream for WebSocketClientConnection {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        Pin::new(&mut self.get_mut().reader).poll_next(cx)
    }
}

/// The connection as a [`Sink`]: its writer's (see the implementation on [`ClientWriter`]).
/// `SinkExt::close(&mut conn)` closes with 1000; the inherent
/// [`close(code, reason)`](WebSocketClientConnection::close) takes precedence in method calls.
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
