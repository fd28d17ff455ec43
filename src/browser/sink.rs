//! `Sink<Message>` for the browser writer: `bufferedAmount` is the readiness signal.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use gloo_timers::future::TimeoutFuture;

use super::connection::{wait_closed, ClientWriter};
use super::socket::{Socket, WRITE_HIGH_WATER};
use super::timer::sleep;
use crate::{CloseCode, CloseFrame, Error, Message};

/// The timer a sink waits on while the browser's buffer drains, and its close.
#[derive(Default)]
pub(super) struct SinkState {
    timer: Option<TimeoutFuture>,
    close: Close,
}

/// Where the sink's own close is.
#[derive(Default)]
enum Close {
    #[default]
    NotStarted,
    InFlight(Pin<Box<dyn Future<Output = ()>>>),
    Done,
}

impl fmt::Debug for SinkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let close = match self.close {
            Close::NotStarted => "not started",
            Close::InFlight(_) => "in flight",
            Close::Done => "done",
        };
        f.debug_struct("SinkState")
            .field("close", &close)
            .finish_non_exhaustive()
    }
}

impl SinkState {
    /// Ready once at most `bound` bytes are unsent; polls again after a short timer.
    fn poll_drained(
        &mut self,
        socket: &Socket,
        bound: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        loop {
            if socket.buffered_amount() <= bound {
                self.timer = None;
                return Poll::Ready(Ok(()));
            }
            if socket.is_closing() {
                self.timer = None;
                return Poll::Ready(Err(crate::WebSocketClosedError.into()));
            }
            let timer = self
                .timer
                .get_or_insert_with(|| sleep(Duration::from_millis(4)));
            std::task::ready!(Pin::new(timer).poll(cx));
            self.timer = None;
        }
    }
}

impl futures_sink::Sink<Message> for ClientWriter {
    type Error = Error;

    /// Ready while at most 1 MiB is unsent; [`Error::Closed`] once closing.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if !matches!(this.sink.close, Close::NotStarted) || this.socket().is_closing() {
            return Poll::Ready(Err(crate::WebSocketClosedError.into()));
        }
        let socket = std::rc::Rc::clone(this.socket());
        this.sink.poll_drained(&socket, WRITE_HIGH_WATER, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.get_mut();
        if !matches!(this.sink.close, Close::NotStarted) {
            return Err(crate::WebSocketClosedError.into());
        }
        this.socket().send(&item)
    }

    /// Ready once the browser has put every byte on the network (`bufferedAmount` is 0).
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let socket = std::rc::Rc::clone(this.socket());
        this.sink.poll_drained(&socket, 0, cx)
    }

    /// Runs the close handshake with 1000 (if nobody closed yet) and waits for its end.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if matches!(this.sink.close, Close::NotStarted) {
            let socket = std::rc::Rc::clone(this.socket());
            let limit = this.close_timeout();
            this.sink.close = Close::InFlight(Box::pin(async move {
                let normal = CloseFrame {
                    code: CloseCode::NORMAL,
                    reason: String::new(),
                };
                // Already closing or closed (by either side) is fine: wait for the end.
                let _ = socket.close(Some(&normal));
                wait_closed(&socket, limit).await;
            }));
        }
        if let Close::InFlight(closing) = &mut this.sink.close {
            std::task::ready!(closing.as_mut().poll(cx));
            this.sink.close = Close::Done;
        }
        Poll::Ready(Ok(()))
    }
}
