//! The `Sink<Message>` state of one [`ClientWriter`](super::ClientWriter): the write in
//! flight, or the close. The same on both backends, over the shim's owned futures.

use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use super::shim::{self, BoxFuture, Writer};
use crate::{CloseCode, CloseFrame, Error, Message, WebSocketClosedError};

/// The operation a sink has in flight: the last write, or the close.
///
/// The `Mutex` is never locked (every access goes through `&mut self` and `get_mut`); it
/// only makes the owner `Sync` natively, as the boxed future is not.
#[derive(Default)]
pub(super) struct SinkState {
    pending: Mutex<Option<BoxFuture<Result<(), Error>>>>,
    /// `poll_close` was called: nothing may be sent any more.
    closing: bool,
}

impl std::fmt::Debug for SinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkState")
            .field("closing", &self.closing)
            .finish_non_exhaustive()
    }
}

impl SinkState {
    fn pending(&mut self) -> &mut Option<BoxFuture<Result<(), Error>>> {
        self.pending
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Completes the operation in flight, with its result.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let pending = self.pending();
        let Some(future) = pending.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let result = std::task::ready!(future.as_mut().poll(cx));
        *pending = None;
        Poll::Ready(result)
    }

    /// Completes the write in flight; then ready unless the connection (or this sink) is
    /// closing.
    pub(super) fn poll_ready(
        &mut self,
        writer: &Writer,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        if self.closing {
            return Poll::Ready(Err(WebSocketClosedError.into()));
        }
        std::task::ready!(self.poll_flush(cx))?;
        if shim::state(writer).is_closing() {
            return Poll::Ready(Err(WebSocketClosedError.into()));
        }
        Poll::Ready(Ok(()))
    }

    /// Starts writing `message` (after the write in flight, if `poll_ready` was skipped).
    pub(super) fn start_send(&mut self, writer: &Writer, message: Message) -> Result<(), Error> {
        if self.closing || shim::state(writer).is_closing() {
            return Err(WebSocketClosedError.into());
        }
        let previous = self.pending().take();
        let write = shim::write_owned(writer, message);
        *self.pending() = Some(Box::pin(async move {
            if let Some(previous) = previous {
                previous.await?;
            }
            write.await
        }));
        Ok(())
    }

    /// Completes the write in flight, then the close handshake (code 1000, unless either
    /// side already sent a close), waiting until the connection is closed.
    pub(super) fn poll_close(
        &mut self,
        writer: &Writer,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        if !self.closing {
            std::task::ready!(self.poll_flush(cx))?;
            self.closing = true;
            let normal = CloseFrame {
                code: CloseCode::NORMAL,
                reason: String::new(),
            };
            let close = shim::close_owned(writer, normal);
            *self.pending() = Some(Box::pin(async move {
                close.await;
                Ok(())
            }));
        }
        self.poll_flush(cx)
    }
}
