//! What the client facade (`crate::client`) needs from the native backend: the driver's
//! [`Handle`] writes, its [`Shared`] state answers the close accessors, and [`Reader`] turns
//! its [`Events`] into messages.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::StreamExt;

use crate::native::driver::{Events, Handle, Shared};
use crate::protocol::Event;
use crate::{CloseFrame, Error, Message};

/// The writing side: every clone writes to the same connection.
pub(crate) type Writer = Handle;

/// What the close accessors read: the driver's shared state.
pub(crate) type StateRef<'a> = &'a Shared;

/// The operation a `Sink` has in flight.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The state a writer reads its close from.
#[inline]
pub(crate) fn state(writer: &Writer) -> StateRef<'_> {
    &writer.shared
}

/// Writes `message` (compressed if negotiated) from a future that owns its writer.
pub(crate) fn write_owned(
    writer: &Writer,
    message: Message,
) -> impl Future<Output = Result<(), Error>> + Send + 'static {
    let writer = writer.clone();
    async move { writer.write_message(message, true).await }
}

/// Sends `frame` unless a close was already sent or received, then waits for the end.
pub(crate) fn close_owned(
    writer: &Writer,
    frame: CloseFrame,
) -> impl Future<Output = ()> + Send + 'static {
    let writer = writer.clone();
    async move {
        let _ = writer.start_close(Some(frame));
        writer.shared.wait_closed().await;
    }
}

/// The reading side: messages in order, then the end.
#[derive(Debug)]
pub(crate) struct Reader {
    /// `None` in `on_message_callback` style, or once the stream ended.
    events: Option<Events>,
    shared: Arc<Shared>,
}

impl Reader {
    pub(crate) fn new(events: Option<Events>, shared: Arc<Shared>) -> Self {
        Self { events, shared }
    }

    #[inline]
    pub(crate) fn state(&self) -> StateRef<'_> {
        &self.shared
    }

    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        loop {
            let Some(events) = self.events.as_mut() else {
                return Poll::Ready(None);
            };
            match std::task::ready!(events.poll_next_unpin(cx)) {
                Some(Event::Message(message)) => return Poll::Ready(Some(message)),
                // The client installs ping and pong hooks, so these do not arrive here, and
                // the close ends the stream instead of arriving.
                Some(_) => {}
                None => self.events = None,
            }
        }
    }
}
