//! What the client facade (`crate::client`) needs from the browser backend, over the page's
//! `WebSocket` ([`Socket`]): the writer's primitives (what a page cannot do is refused with
//! [`Error::Unsupported`]), the close accessors, and the reader's messages.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_channel::mpsc::UnboundedReceiver;
use futures_core::Stream;

use super::socket::{Socket, WRITE_HIGH_WATER};
use super::timer::{sleep, timeout};
use crate::protocol::Closed;
use crate::{CloseCode, CloseFrame, Error, Message};

/// How many connections currently hold a browser `WebSocket` and its JS closures.
pub(crate) fn live_sockets() -> usize {
    super::socket::live_sockets()
}

/// What the close accessors read: the socket's state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StateRef<'a>(&'a Socket);

/// The operation a `Sink` has in flight (browser objects are not `Send`).
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Closes the socket with 1000 once the last writer is dropped.
#[derive(Debug)]
struct WriterGuard(Rc<Socket>);

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.0.close_on_drop();
    }
}

/// The writing side: every clone writes to the same socket, which closes with 1000 when the
/// last clone goes.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    guard: Rc<WriterGuard>,
    close_timeout: Duration,
}

impl Writer {
    pub(super) fn new(socket: Rc<Socket>, close_timeout: Duration) -> Self {
        Self {
            guard: Rc::new(WriterGuard(socket)),
            close_timeout,
        }
    }

    fn socket(&self) -> &Socket {
        &self.guard.0
    }

    /// `WebSocket.send`, then waits while more than 1 MiB is unsent (`bufferedAmount`).
    pub(crate) async fn write_message(
        &self,
        message: Message,
        compress: bool,
    ) -> Result<(), Error> {
        if !compress {
            return Err(Error::Unsupported(
                "write_message_uncompressed: the browser decides what it compresses".into(),
            ));
        }
        self.socket().send(&message)?;
        drained_below(self.socket(), WRITE_HIGH_WATER).await
    }

    pub(crate) async fn ping(&self, data: Bytes) -> Result<Duration, Error> {
        let _ = data;
        Err(Error::Unsupported(
            "ping: browsers cannot send pings".into(),
        ))
    }

    /// Sends `frame`, then waits for the close event (see [`wait_closed`]).
    pub(crate) async fn close(&self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.socket().close(frame.as_ref())?;
        wait_closed(self.socket(), self.close_timeout).await;
        Ok(())
    }

    pub(crate) async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        let _ = nodelay;
        Err(Error::Unsupported(
            "set_nodelay: browsers do not expose the TCP socket".into(),
        ))
    }
}

/// The state a writer reads its close from.
#[inline]
pub(crate) fn state(writer: &Writer) -> StateRef<'_> {
    StateRef(writer.socket())
}

/// Writes `message` from a future that owns its writer.
pub(crate) fn write_owned(
    writer: &Writer,
    message: Message,
) -> impl Future<Output = Result<(), Error>> + 'static {
    let writer = writer.clone();
    async move { writer.write_message(message, true).await }
}

/// Sends `frame` unless a close was already sent or received, then waits for the end.
pub(crate) fn close_owned(
    writer: &Writer,
    frame: CloseFrame,
) -> impl Future<Output = ()> + 'static {
    let writer = writer.clone();
    async move {
        let _ = writer.socket().close(Some(&frame));
        wait_closed(writer.socket(), writer.close_timeout).await;
    }
}

/// Waits until at most `bound` bytes are unsent, polling `bufferedAmount` every 1 to 16 ms.
async fn drained_below(socket: &Socket, bound: usize) -> Result<(), Error> {
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
async fn wait_closed(socket: &Socket, limit: Duration) {
    if timeout(Some(limit), poll_fn(|cx| socket.poll_closed(cx)))
        .await
        .is_none()
    {
        socket.finish();
    }
}

impl StateRef<'_> {
    pub(crate) fn close_code(self) -> Option<CloseCode> {
        self.0.closed().map(|closed| closed.code)
    }

    pub(crate) fn close_reason(self) -> Option<String> {
        self.0.closed().map(|closed| closed.reason)
    }

    pub(crate) fn closed(self) -> Option<Closed> {
        self.0.closed()
    }

    pub(crate) fn is_closing(self) -> bool {
        self.0.is_closing()
    }
}

/// The reading side: messages in order, then the end.
#[derive(Debug)]
pub(crate) struct Reader {
    /// `None` in `on_message_callback` style, or once the stream ended.
    messages: Option<UnboundedReceiver<Message>>,
    socket: Rc<Socket>,
}

impl Reader {
    pub(super) fn new(messages: Option<UnboundedReceiver<Message>>, socket: Rc<Socket>) -> Self {
        Self { messages, socket }
    }

    #[inline]
    pub(crate) fn state(&self) -> StateRef<'_> {
        StateRef(&self.socket)
    }

    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let Some(messages) = self.messages.as_mut() else {
            return Poll::Ready(None);
        };
        let next = std::task::ready!(Pin::new(messages).poll_next(cx));
        if next.is_none() {
            self.messages = None;
        }
        Poll::Ready(next)
    }
}
