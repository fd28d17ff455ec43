//! `Sink<Message>` on top of the driver's handle.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use crate::native::driver::Handle;
use crate::{CloseCode, CloseFrame, Error, Message};

type Pending = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// The operation a sink has in flight: the last write, or the close.
///
/// The `Mutex` is never locked (every access goes through `&mut self` and `get_mut`); it
/// only makes the owner `Sync`, as the boxed future is not.
#[derive(Default)]
pub(super) struct SinkState {
    pending: Mutex<Option<Pending>>,
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
    fn pending(&mut self) -> &mut Option<Pending> {
        self.pending
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Completes the operation in flight: ready once the last message was handed to the
    /// socket.
    pub(super) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let pending = self.pending();
        let Some(future) = pending.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let result = std::task::ready!(future.as_mut().poll(cx));
        *pending = None;
        Poll::Ready(result)
    }

    /// Starts writing `message` (after the write in flight, if `poll_ready` was skipped).
    pub(super) fn start_send(&mut self, handle: &Handle, message: Message) -> Result<(), Error> {
        if self.closing || handle.shared.is_closing() {
            return Err(crate::WebSocketClosedError.into());
        }
        let handle = handle.clone();
        let previous = self.pending().take();
        *self.pending() = Some(Box::pin(async move {
            if let Some(previous) = previous {
                previous.await?;
            }
            handle.write_message(message, true).await
        }));
        Ok(())
    }

    /// Completes the write in flight, then the close handshake (code 1000), waiting until
    /// the connection is closed.
    pub(super) fn poll_close(
        &mut self,
        handle: &Handle,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        if !self.closing {
            std::task::ready!(self.poll_ready(cx))?;
            self.closing = true;
            let handle = handle.clone();
            *self.pending() = Some(Box::pin(async move {
                let normal = CloseFrame {
                    code: CloseCode::NORMAL,
                    reason: String::new(),
                };
                // Already closing or closed (by either side) is fine: wait for the end.
                let _ = handle.close(Some(normal)).await;
                handle.shared.wait_closed().await;
                Ok(())
            }));
        }
        self.poll_ready(cx)
    }
}
