//! The state a connection's driver shares with its handles: the protocol core itself,
//! behind one lock, so a handle encodes a message straight into the output buffer instead
//! of queueing it for the driver.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::oneshot;

use crate::protocol::{Closed, Connection, Event, State};
use crate::{CloseCode, CloseFrame, Error, Message, WebSocketClosedError};

/// A ping waiting for its pong: id, when it was sent, and who wants the round-trip time.
pub(super) type PendingPing = (u64, Instant, oneshot::Sender<Result<Duration, Error>>);

/// What every handle, the event stream and the driver of one connection share.
#[derive(Debug)]
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// Live [`Handle`]s: when the last one goes, nobody can close any more, so the
    /// connection closes with 1000.
    handles: AtomicUsize,
    /// Writers wait while this many bytes are unwritten.
    write_high_water: usize,
    /// Events queued for the reader before the driver stops taking more from the core.
    event_capacity: usize,
}

/// The connection's mutable state; see [`Shared`].
#[derive(Debug)]
pub(super) struct Inner {
    pub(super) core: Connection,
    /// Bytes the driver took from the core's output and has not written yet.
    pub(super) in_flight: usize,
    /// Events for the reader, oldest first.
    inbox: VecDeque<Event>,
    /// The reader is gone: events are dropped.
    reader_gone: bool,
    /// The close reached the reader's queue (the core holds how it closed): the events
    /// end after what is queued.
    close_recorded: bool,
    /// The driver finished or was dropped: nothing will be written or read any more.
    driver_gone: bool,
    pub(super) pings: VecDeque<PendingPing>,
    pub(super) nodelay_requests: Vec<(bool, oneshot::Sender<io::Result<()>>)>,
    /// The driver is inside its poll: it looks at the state again before it parks, so a
    /// handle that writes while the driver has let the lock go (to run the handler) need
    /// not wake it (a wake from inside a poll costs a whole extra poll).
    pub(super) driver_polling: bool,
    pub(super) driver: Option<Waker>,
    reader: Option<Waker>,
    writers: Vec<Waker>,
    close_waiters: Vec<Waker>,
}

/// Why [`Handle::try_send_encoded`] did not queue a frame.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) enum TrySendError {
    /// More than the write-buffer high-water mark is unwritten: the peer reads too slowly.
    Full,
    /// The connection is closing or closed.
    Closed,
}

impl Shared {
    pub(super) fn new(core: Connection, write_high_water: usize, event_capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                core,
                in_flight: 0,
                inbox: VecDeque::new(),
                reader_gone: false,
                close_recorded: false,
                driver_gone: false,
                pings: VecDeque::new(),
                nodelay_requests: Vec::new(),
                driver_polling: false,
                driver: None,
                reader: None,
                writers: Vec::new(),
                close_waiters: Vec::new(),
            }),
            handles: AtomicUsize::new(1),
            write_high_water: write_high_water.max(1),
            event_capacity: event_capacity.max(1),
        }
    }

    #[inline]
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        // No poisoning: nothing panics while holding this lock but the core's own bugs,
        // and its state is then no worse than the panic left it. (std's mutex would read
        // the thread's panic count on every lock and release, on every message.)
        self.inner.lock()
    }

    #[inline]
    pub(super) fn event_capacity(&self) -> usize {
        self.event_capacity
    }

    /// Makes the driver look at the state again: it will before parking if it is polling,
    /// else it is woken. `inner` is this connection's, locked.
    #[inline]
    pub(super) fn notify_driver(&self, inner: &mut Inner) {
        if !inner.driver_polling {
            if let Some(waker) = inner.driver.take() {
                waker.wake();
            }
        }
    }

    /// Whether writes must fail: a close was sent or received.
    pub(crate) fn is_closing(&self) -> bool {
        let inner = self.lock();
        inner.driver_gone || inner.core.state() != State::Open
    }

    /// Whether a close frame was sent or answered and written to the transport, with all
    /// before it: nothing is left to write (or nothing will be, the driver being gone).
    #[cfg_attr(not(all(feature = "server", feature = "http2")), allow(dead_code))]
    pub(crate) fn close_written(&self) -> bool {
        let inner = self.lock();
        inner.driver_gone || (inner.core.state() != State::Open && inner.unwritten() == 0)
    }

    pub(crate) fn closed(&self) -> Option<Closed> {
        self.lock().closed().cloned()
    }

    /// The code of the close that ended the connection; `None` while open.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn close_code(&self) -> Option<CloseCode> {
        self.lock().closed().map(|closed| closed.code)
    }

    /// The reason that came with [`close_code`](Self::close_code).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn close_reason(&self) -> Option<String> {
        self.lock().closed().map(|closed| closed.reason.clone())
    }

    /// Waits until the connection is closed.
    pub(crate) async fn wait_closed(&self) -> Closed {
        poll_fn(|cx| {
            let mut inner = self.lock();
            if let Some(closed) = inner.closed() {
                return Poll::Ready(closed.clone());
            }
            register(&mut inner.close_waiters, cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Sends the close frame without waiting for the peer's.
    pub(crate) fn start_close(&self, frame: Option<CloseFrame>) -> Result<(), Error> {
        if let Some(frame) = &frame {
            frame.validate()?;
        }
        let mut inner = self.lock();
        if inner.driver_gone {
            return Err(WebSocketClosedError.into());
        }
        inner.core.close(frame, Instant::now())?;
        self.notify_driver(&mut inner);
        Ok(())
    }

    /// Runs `send` on the core once fewer than the high-water mark of bytes wait unwritten.
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        send: impl FnOnce(&mut Connection) -> Result<(), WebSocketClosedError>,
    ) -> Poll<Result<(), Error>> {
        // Writes count against tokio's task budget, as its channels and sockets do: a
        // writer that never has to wait still yields now and then.
        let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        let mut inner = self.lock();
        if inner.driver_gone || inner.core.state() != State::Open {
            return Poll::Ready(Err(WebSocketClosedError.into()));
        }
        if inner.unwritten() >= self.write_high_water {
            register(&mut inner.writers, cx.waker());
            return Poll::Pending;
        }
        send(&mut inner.core)?;
        self.notify_driver(&mut inner);
        coop.made_progress();
        Poll::Ready(Ok(()))
    }
}

impl Inner {
    /// How the connection closed, once the close reached the reader's queue.
    #[inline]
    pub(super) fn closed(&self) -> Option<&Closed> {
        self.core.closed().filter(|_| self.close_recorded)
    }

    #[inline]
    pub(super) fn unwritten(&self) -> usize {
        self.core.buffered_amount() + self.in_flight
    }

    /// Whether the reader has taken every event and waits for more (or is gone).
    #[inline]
    pub(super) fn reader_waiting(&self) -> bool {
        self.reader_gone || (self.inbox.is_empty() && self.reader.is_some())
    }

    /// Whether the driver may take another event from the core for the reader.
    #[inline]
    pub(super) fn inbox_has_room(&self, capacity: usize) -> bool {
        self.reader_gone || self.inbox.len() < capacity
    }

    /// Queues an event for the reader. The reader is not woken when it runs in the task
    /// now polling (`cx`): it is polled right after the driver.
    pub(super) fn deliver(&mut self, incoming: Event, cx: &Context<'_>) {
        if self.reader_gone {
            return;
        }
        self.inbox.push_back(incoming);
        wake_unless_current(&mut self.reader, cx);
    }

    /// Wakes writers waiting for room, once there is some. Returns whether one of them
    /// runs in the task now polling (`cx`): it is not woken, the caller polls it.
    #[inline]
    pub(super) fn release_writers(&mut self, write_high_water: usize, cx: &Context<'_>) -> bool {
        if self.writers.is_empty() || self.unwritten() >= write_high_water {
            return false;
        }
        let mut current = false;
        for waker in self.writers.drain(..) {
            if waker.will_wake(cx.waker()) {
                current = true;
            } else {
                waker.wake();
            }
        }
        current
    }

    /// Takes a core event on its way to the application: a pong also resolves the pings
    /// it answers; `Err` is the close, which ends the events (the reader sees the end of
    /// its stream, never [`Event::Closed`] itself).
    #[inline]
    pub(super) fn incoming(&mut self, event: Event) -> Result<Event, Closed> {
        match event {
            Event::Closed(closed) => Err(closed),
            Event::Pong {
                acknowledged: Some(id),
                ..
            } => {
                self.resolve_pings(id);
                Ok(event)
            }
            other => Ok(other),
        }
    }

    pub(super) fn resolve_pings(&mut self, acknowledged: u64) {
        let now = Instant::now();
        while self
            .pings
            .front()
            .is_some_and(|(id, _, _)| *id <= acknowledged)
        {
            if let Some((_, sent, ack)) = self.pings.pop_front() {
                let _ = ack.send(Ok(now.saturating_duration_since(sent)));
            }
        }
    }

    /// Records how the connection closed: the reader's stream ends after the events
    /// already queued, and everyone waiting learns the outcome.
    pub(super) fn record_closed(&mut self, closed: &Closed) {
        if self.close_recorded {
            return;
        }
        match &closed.error {
            Some(error) => tracing::debug!(code = %closed.code, %error, "connection failed"),
            None => {
                tracing::trace!(code = %closed.code, by_peer = closed.by_peer, "connection closed")
            }
        }
        self.close_recorded = true;
        for (_, _, ack) in self.pings.drain(..) {
            let _ = ack.send(Err(WebSocketClosedError.into()));
        }
        self.wake_all();
    }

    /// The driver is done: records an abnormal close if none was, and fails every waiter.
    pub(super) fn driver_finished(&mut self) {
        self.driver_gone = true;
        // Dropped (with its runtime, say) before the connection closed: 1006.
        self.core.abandon();
        if let Some(closed) = self.core.closed().cloned() {
            self.record_closed(&closed);
        }
        self.nodelay_requests.clear();
        self.wake_all();
    }

    fn wake_all(&mut self) {
        let wakers = self
            .writers
            .drain(..)
            .chain(self.close_waiters.drain(..))
            .chain(self.reader.take());
        for waker in wakers {
            waker.wake();
        }
    }
}

/// Stores `waker` unless an equivalent one is already there.
fn register(wakers: &mut Vec<Waker>, waker: &Waker) {
    if !wakers.iter().any(|w| w.will_wake(waker)) {
        wakers.push(waker.clone());
    }
}

fn wake_unless_current(slot: &mut Option<Waker>, cx: &Context<'_>) {
    if let Some(waker) = slot.take() {
        if waker.will_wake(cx.waker()) {
            *slot = Some(waker);
        } else {
            waker.wake();
        }
    }
}

/// The sending side of a connection, shared by every handle clone. When the last clone is
/// dropped the connection closes with 1000 (normal closure), after what was sent.
#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Clone for Handle {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut inner = self.shared.lock();
            let normal = CloseFrame {
                code: CloseCode::NORMAL,
                reason: String::new(),
            };
            if inner.core.close(Some(normal), Instant::now()).is_ok() {
                self.shared.notify_driver(&mut inner);
            }
        }
    }
}

impl Handle {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Encodes a message into the output. Resolves at once while fewer bytes than the
    /// write-buffer high-water mark wait unwritten, else once enough were written: so a
    /// handler that answers several messages in a row has its answers written together.
    pub(crate) async fn write_message(
        &self,
        message: Message,
        compress: bool,
    ) -> Result<(), Error> {
        let mut message = Some(message);
        poll_fn(|cx| {
            self.shared.poll_send(cx, |core| match message.take() {
                Some(message) => core.send_message(message, compress),
                // poll_send runs `send` once, on the poll that returns Ready.
                None => Ok(()),
            })
        })
        .await
    }

    /// Queues a pre-encoded server frame without waiting.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn try_send_encoded(&self, frame: &Bytes) -> Result<(), TrySendError> {
        let mut inner = self.shared.lock();
        if inner.driver_gone || inner.core.state() != State::Open {
            return Err(TrySendError::Closed);
        }
        if inner.unwritten() > self.shared.write_high_water {
            return Err(TrySendError::Full);
        }
        inner
            .core
            .send_encoded_shared(frame.clone())
            .map_err(|_| TrySendError::Closed)?;
        self.shared.notify_driver(&mut inner);
        Ok(())
    }

    pub(crate) async fn ping(&self, payload: Bytes) -> Result<Duration, Error> {
        let (ack, done) = oneshot::channel();
        {
            let mut inner = self.shared.lock();
            if inner.driver_gone {
                return Err(WebSocketClosedError.into());
            }
            let id = inner.core.ping(payload)?;
            inner.pings.push_back((id, Instant::now(), ack));
            self.shared.notify_driver(&mut inner);
        }
        done.await.map_err(|_| WebSocketClosedError)?
    }

    /// Sends the close frame, then waits until the connection is closed (peer's answer or
    /// close timeout).
    pub(crate) async fn close(&self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.start_close(frame)?;
        self.shared.wait_closed().await;
        Ok(())
    }

    /// Sends the close frame without waiting for the peer's.
    pub(crate) fn start_close(&self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.shared.start_close(frame)
    }

    pub(crate) async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        let (ack, done) = oneshot::channel();
        {
            let mut inner = self.shared.lock();
            if inner.driver_gone {
                return Err(WebSocketClosedError.into());
            }
            inner.nodelay_requests.push((nodelay, ack));
            self.shared.notify_driver(&mut inner);
        }
        Ok(done.await.map_err(|_| WebSocketClosedError)??)
    }
}

/// The events of a connection, in order: a [`Stream`] that ends after the close.
/// Dropping it drops the events that arrive from then on.
#[derive(Debug)]
pub(crate) struct Events {
    shared: Arc<Shared>,
}

impl Events {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

impl Stream for Events {
    type Item = Event;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        let mut inner = self.shared.lock();
        if let Some(incoming) = inner.inbox.pop_front() {
            coop.made_progress();
            if inner.inbox.len() + 1 == self.shared.event_capacity {
                // The driver may have stopped taking events for want of room.
                self.shared.notify_driver(&mut inner);
            }
            return Poll::Ready(Some(incoming));
        }
        if inner.close_recorded || inner.driver_gone {
            return Poll::Ready(None);
        }
        match &inner.reader {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => inner.reader = Some(cx.waker().clone()),
        }
        if inner.core.held_failure_since().is_some() {
            // The reader has handled every message before a violation: the driver closes.
            self.shared.notify_driver(&mut inner);
        }
        Poll::Pending
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.reader_gone = true;
        inner.reader = None;
        inner.inbox.clear();
        self.shared.notify_driver(&mut inner);
    }
}
