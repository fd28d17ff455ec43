//! The connection driver: one future per connection that moves bytes between a socket and
//! the protocol core, commands from handles into the core, and events out to the application
//! (after quinn's `ConnectionDriver`). No parsing happens here.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_channel::mpsc as events_channel;
use futures_core::Stream;
use tokio::io::ReadBuf;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio::time::Sleep;

use super::transport::Transport;
use crate::protocol::{Closed, Connection, Event, State, Transmit};
use crate::{
    CloseCode, CloseFrame, ControlCallback, Error, Message, MessageCallback, ProtocolError,
    WebSocketClosedError,
};

/// Size of the buffer each read fills. It lives on the stack for the duration of one read,
/// so an idle connection holds no read buffer at all.
const READ_CHUNK: usize = 64 * 1024;
/// Messages queued per connection before writers wait (and broadcasts count it as slow).
pub(crate) const DATA_QUEUE: usize = 64;
/// Iterations of the poll loop before yielding to the runtime, for fairness.
const POLL_BUDGET: usize = 64;

/// A request from a handle to the driver.
#[derive(Debug)]
pub(crate) enum Command {
    Send {
        message: Message,
        /// `false` opts this message out of permessage-deflate.
        compress: bool,
        /// Write credit the sender took for it (see [`Shared::credit`]).
        credit: u32,
    },
    /// A complete server frame encoded once for many connections (broadcast); no ack.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    SendEncoded(Bytes),
    Ping {
        payload: Bytes,
        ack: oneshot::Sender<Result<Duration, Error>>,
    },
    Close {
        frame: Option<CloseFrame>,
        ack: oneshot::Sender<Result<(), Error>>,
    },
    SetNodelay {
        nodelay: bool,
        ack: oneshot::Sender<io::Result<()>>,
    },
}

/// Callbacks the driver calls itself instead of handing events to the event stream (the
/// client's `on_message_callback`, `on_ping` and `on_pong`).
///
/// With hooks installed, pings and pongs never reach the event stream (they go to their
/// callback, if any), and messages reach it only without `on_message`. `on_message` gets
/// `None` once, when the connection closes or the driver is dropped.
#[derive(Default)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) struct Hooks {
    pub(crate) on_message: Option<MessageCallback>,
    pub(crate) on_ping: Option<ControlCallback>,
    pub(crate) on_pong: Option<ControlCallback>,
}

impl Hooks {
    /// Hands `incoming` to its callback; returns it when it is for the event stream.
    fn deliver(&mut self, incoming: Incoming) -> Option<Incoming> {
        match incoming {
            Incoming::Message(message) => match self.on_message.as_mut() {
                Some(callback) => callback(Some(message)),
                None => return Some(Incoming::Message(message)),
            },
            Incoming::Ping(data) => {
                if let Some(callback) = self.on_ping.as_mut() {
                    callback(data);
                }
            }
            Incoming::Pong(data) => {
                if let Some(callback) = self.on_pong.as_mut() {
                    callback(data);
                }
            }
        }
        None
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        if let Some(mut callback) = self.on_message.take() {
            callback(None);
        }
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("on_message", &self.on_message.is_some())
            .field("on_ping", &self.on_ping.is_some())
            .field("on_pong", &self.on_pong.is_some())
            .finish()
    }
}

/// What the driver hands to the application, in order.
#[derive(Debug)]
pub(crate) enum Incoming {
    Message(Message),
    Ping(Bytes),
    Pong(Bytes),
}

const OPEN: u8 = 0;
const CLOSING: u8 = 1;
const CLOSED: u8 = 2;

/// State every handle of a connection can read without asking the driver.
#[derive(Debug)]
pub(crate) struct Shared {
    state: AtomicU8,
    closed: watch::Sender<Option<Closed>>,
    /// Flow control: one permit per byte of the write-buffer high-water mark. A message
    /// holds credit for its length (capped at the whole mark) from `write_message` until its
    /// bytes are written, so at most the mark (or one bigger message) waits unwritten.
    /// Closed when the driver ends, which fails the writers still waiting.
    credit: Semaphore,
    /// The credit a message may take at most: the whole high-water mark.
    credit_cap: u32,
}

impl Shared {
    fn new(write_high_water: usize) -> Self {
        let credit_cap = write_high_water.clamp(1, u32::MAX as usize) as u32;
        Self {
            state: AtomicU8::new(OPEN),
            closed: watch::Sender::new(None),
            credit: Semaphore::new(credit_cap as usize),
            credit_cap,
        }
    }

    /// Whether writes must fail: a close was sent or received.
    pub(crate) fn is_closing(&self) -> bool {
        self.state.load(Ordering::Acquire) != OPEN
    }

    pub(crate) fn closed(&self) -> Option<Closed> {
        self.closed.borrow().clone()
    }

    /// The code of the close that ended the connection; `None` while open.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn close_code(&self) -> Option<CloseCode> {
        self.closed.borrow().as_ref().map(|closed| closed.code)
    }

    /// The reason that came with [`close_code`](Self::close_code).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn close_reason(&self) -> Option<String> {
        self.closed
            .borrow()
            .as_ref()
            .map(|closed| closed.reason.clone())
    }

    /// Waits until the connection is closed.
    pub(crate) async fn wait_closed(&self) -> Closed {
        let mut rx = self.closed.subscribe();
        let closed = rx
            .wait_for(Option::is_some)
            .await
            .map(|closed| closed.clone());
        // Without a recorded close the driver is gone: it was dropped with its runtime.
        closed.ok().flatten().unwrap_or_else(abnormal)
    }
}

fn abnormal() -> Closed {
    Closed {
        code: CloseCode::ABNORMAL,
        reason: String::new(),
        by_peer: false,
        clean: false,
        error: None,
    }
}

/// Driver settings beyond the core's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DriverConfig {
    /// Above this many unwritten bytes, no more commands are taken (writes wait).
    pub(crate) write_high_water: usize,
    /// How long to keep reading after our EOF, so unread input does not turn into a reset.
    pub(crate) linger: Duration,
    /// Events waiting for the application before reading stops.
    pub(crate) event_capacity: usize,
    /// A peer that reads none of our pending bytes for this long is dropped.
    pub(crate) write_timeout: Option<Duration>,
}

/// The sending side of a connection, shared by every handle clone.
#[derive(Clone, Debug)]
pub(crate) struct Handle {
    /// Messages: bounded, so writers wait when the connection is backed up.
    data: mpsc::Sender<Command>,
    /// Pings, closes and socket options: never blocked behind queued messages. (A futures
    /// channel: unlike tokio's, it allocates nothing up front, and it is rarely used.)
    control: futures_channel::mpsc::UnboundedSender<Command>,
    pub(crate) shared: Arc<Shared>,
}

/// Why [`Handle::try_send_encoded`] did not queue a frame.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) enum TrySendError {
    /// The connection's queue is full: the peer reads too slowly.
    Full,
    /// The connection is closing or closed.
    Closed,
}

impl Handle {
    async fn control<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, Error>>) -> Command,
    ) -> Result<T, Error> {
        let (ack, done) = oneshot::channel();
        self.control
            .unbounded_send(make(ack))
            .map_err(|_| WebSocketClosedError)?;
        done.await.map_err(|_| WebSocketClosedError)?
    }

    /// Queues a message for the driver. Resolves once it is queued with no more than the
    /// write-buffer high-water mark unwritten before it (at once, below the mark), so a
    /// handler that answers several messages in a row has its answers written together.
    pub(crate) async fn write_message(
        &self,
        message: Message,
        compress: bool,
    ) -> Result<(), Error> {
        if self.shared.is_closing() {
            return Err(WebSocketClosedError.into());
        }
        let len = message.as_bytes().len();
        let credit = u32::try_from(len).map_or(self.shared.credit_cap, |len| {
            len.clamp(1, self.shared.credit_cap)
        });
        let permit = self
            .shared
            .credit
            .acquire_many(credit)
            .await
            .map_err(|_| WebSocketClosedError)?;
        self.data
            .send(Command::Send {
                message,
                compress,
                credit,
            })
            .await
            .map_err(|_| WebSocketClosedError)?;
        // The driver gives the credit back once the message is written (dropped before
        // this point, the permit returns it at once).
        permit.forget();
        Ok(())
    }

    /// Queues a pre-encoded server frame without waiting.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn try_send_encoded(&self, frame: Bytes) -> Result<(), TrySendError> {
        if self.shared.is_closing() {
            return Err(TrySendError::Closed);
        }
        self.data
            .try_send(Command::SendEncoded(frame))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => TrySendError::Full,
                mpsc::error::TrySendError::Closed(_) => TrySendError::Closed,
            })
    }

    pub(crate) async fn ping(&self, payload: Bytes) -> Result<Duration, Error> {
        if payload.len() > crate::protocol::MAX_CONTROL_PAYLOAD {
            return Err(Error::ControlPayloadTooLong(payload.len()));
        }
        if self.shared.is_closing() {
            return Err(WebSocketClosedError.into());
        }
        self.control(|ack| Command::Ping { payload, ack }).await
    }

    /// Sends the close frame, then waits until the connection is closed (peer's answer or
    /// close timeout).
    pub(crate) async fn close(&self, frame: Option<CloseFrame>) -> Result<(), Error> {
        if let Some(frame) = &frame {
            frame.validate()?;
        }
        self.control(|ack| Command::Close { frame, ack }).await?;
        self.shared.wait_closed().await;
        Ok(())
    }

    /// Asks for a close without waiting for it (shutdown, slow consumers).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn start_close(&self, frame: Option<CloseFrame>) {
        let (ack, _done) = oneshot::channel();
        let _ = self.control.unbounded_send(Command::Close { frame, ack });
    }

    pub(crate) async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        let (ack, done) = oneshot::channel();
        self.control
            .unbounded_send(Command::SetNodelay { nodelay, ack })
            .map_err(|_| WebSocketClosedError)?;
        Ok(done.await.map_err(|_| WebSocketClosedError)??)
    }
}

/// Builds a driver and the handle and event stream that talk to it.
///
/// The driver comes boxed: the futures that run it move it around (into `join`, `select!`,
/// `instrument`), and each move reserves another copy of it in the enclosing future's
/// state; a box makes each of those copies one pointer instead of the whole driver.
pub(crate) fn connect<S: Transport>(
    stream: S,
    core: Connection,
    config: DriverConfig,
) -> (Box<Driver<S>>, Handle, events_channel::Receiver<Incoming>) {
    let (data_tx, data) = mpsc::channel(DATA_QUEUE);
    let (control_tx, control) = futures_channel::mpsc::unbounded();
    let (events, events_rx) = events_channel::channel(config.event_capacity);
    let shared = Arc::new(Shared::new(config.write_high_water));
    let driver = Driver {
        stream,
        core,
        config,
        data,
        control,
        handles_alive: true,
        commands_idle: false,
        read_idle: false,
        events: Some(events),
        hooks: None,
        pending_event: None,
        out: Vec::new(),
        out_pos: 0,
        queued_total: 0,
        written_total: 0,
        credits: VecDeque::new(),
        pings: VecDeque::new(),
        timer: None,
        eof_requested: false,
        shutdown_done: false,
        peer_eof: false,
        linger_deadline: None,
        last_write: Instant::now(),
        io_failed: false,
        shared: Arc::clone(&shared),
    };
    let handle = Handle {
        data: data_tx,
        control: control_tx,
        shared,
    };
    (Box::new(driver), handle, events_rx)
}

/// A ping waiting for its pong: id, when it was sent, and who wants the round-trip time.
type PendingPing = (u64, Instant, oneshot::Sender<Result<Duration, Error>>);

/// The future that runs one connection until it is closed and its socket shut down.
#[derive(Debug)]
pub(crate) struct Driver<S> {
    stream: S,
    core: Connection,
    config: DriverConfig,
    data: mpsc::Receiver<Command>,
    control: futures_channel::mpsc::UnboundedReceiver<Command>,
    handles_alive: bool,
    /// Both command queues returned Pending during the current poll.
    commands_idle: bool,
    /// The socket returned Pending to a read during the current poll.
    read_idle: bool,
    events: Option<events_channel::Sender<Incoming>>,
    hooks: Option<Hooks>,
    pending_event: Option<Incoming>,
    /// Bytes taken from the core and not yet written, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    queued_total: u64,
    written_total: u64,
    /// Credit held by queued messages, returned once `written_total` reaches their end.
    credits: VecDeque<(u64, u32)>,
    pings: VecDeque<PendingPing>,
    timer: Option<(Instant, Pin<Box<Sleep>>)>,
    eof_requested: bool,
    shutdown_done: bool,
    peer_eof: bool,
    linger_deadline: Option<Instant>,
    /// When bytes last left, or when output started waiting.
    last_write: Instant,
    io_failed: bool,
    shared: Arc<Shared>,
}

impl<S: Transport> Future for Driver<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // A source that returned Pending has our waker and nothing done in this poll can
        // make it ready (the application is not polled meanwhile), so it is skipped until
        // the next poll.
        this.commands_idle = false;
        this.read_idle = false;
        for _ in 0..POLL_BUDGET {
            let mut progress = false;
            if !this.commands_idle {
                progress |= this.poll_commands(cx);
            }
            if !this.read_idle {
                progress |= this.poll_read(cx);
            }
            progress |= this.poll_write(cx);
            progress |= this.poll_events(cx);
            progress |= this.poll_timer(cx);
            if this.is_done() {
                this.finish();
                return Poll::Ready(());
            }
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<S: Transport> Driver<S> {
    /// Installs callbacks that take events instead of the event stream (see [`Hooks`]).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn with_hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// Hands `incoming` to the hooks, if installed; returns it when it is for the stream.
    fn hook(&mut self, incoming: Incoming) -> Option<Incoming> {
        match self.hooks.as_mut() {
            Some(hooks) => hooks.deliver(incoming),
            None => Some(incoming),
        }
    }

    fn unwritten(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// Moves the core's output into the write buffer.
    fn pull_transmit(&mut self) {
        let before = self.out.len();
        if before == self.out_pos {
            // Output was idle: the write timeout counts from now.
            self.last_write = Instant::now();
        }
        while let Some(transmit) = self.core.poll_transmit(&mut self.out) {
            if transmit == Transmit::Eof {
                self.eof_requested = true;
            }
        }
        self.queued_total += (self.out.len() - before) as u64;
    }

    fn poll_commands(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while self.handles_alive {
            match Pin::new(&mut self.control).poll_next(cx) {
                Poll::Ready(Some(command)) => self.apply(command),
                Poll::Ready(None) => {
                    // Every handle is gone: nobody can write or close any more, so close now,
                    // with 1000 (normal closure), after the messages they queued.
                    self.drain_data();
                    self.handles_alive = false;
                    let normal = CloseFrame {
                        code: CloseCode::NORMAL,
                        reason: String::new(),
                    };
                    let _ = self.core.close(Some(normal), Instant::now());
                    self.shared.state.store(CLOSING, Ordering::Release);
                }
                Poll::Pending => break,
            }
            progress = true;
        }
        let mut gated = false;
        while self.handles_alive {
            if self.unwritten() >= self.config.write_high_water {
                gated = true;
                break;
            }
            match self.data.poll_recv(cx) {
                Poll::Ready(Some(command)) => self.apply(command),
                Poll::Ready(None) | Poll::Pending => break,
            }
            progress = true;
        }
        self.commands_idle = !gated;
        self.pull_transmit();
        progress
    }

    /// Applies every queued message command: a close must not overtake messages whose
    /// `write_message` already returned (they wait in the data queue, not in the core yet).
    fn drain_data(&mut self) {
        while let Ok(command) = self.data.try_recv() {
            self.apply(command);
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Send {
                message,
                compress,
                credit,
            } => match self.core.send_with(&message, compress) {
                Ok(()) => {
                    self.pull_transmit();
                    self.credits.push_back((self.queued_total, credit));
                }
                // Closed meanwhile: the message is dropped, as one queued just before a
                // close is.
                Err(_) => self.shared.credit.add_permits(credit as usize),
            },
            Command::SendEncoded(frame) => {
                if self.core.send_encoded(&frame).is_ok() {
                    self.pull_transmit();
                }
            }
            Command::Ping { payload, ack } => match self.core.ping(payload) {
                Ok(id) => self.pings.push_back((id, Instant::now(), ack)),
                Err(err) => {
                    let _ = ack.send(Err(err));
                }
            },
            Command::Close { frame, ack } => {
                // Messages sent from now on fail; those already queued go before the close.
                self.data.close();
                self.drain_data();
                let result = self.core.close(frame, Instant::now());
                if result.is_ok() {
                    self.shared.state.store(CLOSING, Ordering::Release);
                }
                let _ = ack.send(result);
            }
            Command::SetNodelay { nodelay, ack } => {
                let _ = ack.send(self.stream.set_nodelay(nodelay));
            }
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        let lingering = self.linger_deadline.is_some();
        // While our output is backed up, read nothing more: a peer that floods pings
        // without reading our pongs is stopped by TCP back-pressure, not by our memory.
        let backed_up = self.unwritten() > self.config.write_high_water;
        if self.io_failed || self.peer_eof || !(self.core.wants_read() && !backed_up || lingering) {
            return false;
        }
        let mut storage = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
        let mut buf = ReadBuf::uninit(&mut storage);
        match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                if n == 0 {
                    self.peer_eof = true;
                    self.core.receive_eof();
                } else if !lingering {
                    self.core.receive(buf.filled(), Instant::now());
                }
                self.pull_transmit();
                true
            }
            Poll::Ready(Err(_)) => {
                self.fail_io();
                true
            }
            Poll::Pending => {
                self.read_idle = true;
                false
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> bool {
        if self.io_failed {
            return false;
        }
        let mut progress = false;
        while self.out_pos < self.out.len() {
            match Pin::new(&mut self.stream).poll_write(cx, &self.out[self.out_pos..]) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                    self.fail_io();
                    return true;
                }
                Poll::Ready(Ok(n)) => {
                    self.last_write = Instant::now();
                    self.out_pos += n;
                    self.written_total += n as u64;
                    progress = true;
                }
                Poll::Pending => break,
            }
        }
        if progress {
            let mut returned = 0;
            while let Some(&(end, credit)) = self.credits.front() {
                if end > self.written_total {
                    break;
                }
                self.credits.pop_front();
                returned += credit as usize;
            }
            if returned > 0 {
                self.shared.credit.add_permits(returned);
            }
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if progress {
                if let Poll::Ready(Err(_)) = Pin::new(&mut self.stream).poll_flush(cx) {
                    self.fail_io();
                    return true;
                }
            }
            if self.eof_requested && !self.shutdown_done {
                match Pin::new(&mut self.stream).poll_shutdown(cx) {
                    Poll::Ready(_) => {
                        self.shutdown_done = true;
                        if !self.peer_eof {
                            self.linger_deadline = Some(Instant::now() + self.config.linger);
                        }
                        progress = true;
                    }
                    Poll::Pending => {}
                }
            }
        }
        progress
    }

    fn poll_events(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            if let Some(incoming) = self.pending_event.take() {
                let Some(events) = self.events.as_mut() else {
                    continue;
                };
                match events.poll_ready(cx) {
                    Poll::Ready(Ok(())) => {
                        let _ = events.start_send(incoming);
                        progress = true;
                    }
                    Poll::Ready(Err(_)) => {
                        // The application stopped listening; events are dropped from now on.
                        self.events = None;
                    }
                    Poll::Pending => {
                        self.pending_event = Some(incoming);
                        return progress;
                    }
                }
            }
            let Some(event) = self.core.poll_event() else {
                return progress;
            };
            progress = true;
            match event {
                Event::Message(message) => {
                    self.pending_event = self.hook(Incoming::Message(message))
                }
                Event::Ping(payload) => self.pending_event = self.hook(Incoming::Ping(payload)),
                Event::Pong {
                    payload,
                    acknowledged,
                } => {
                    if let Some(id) = acknowledged {
                        self.resolve_pings(id);
                    }
                    self.pending_event = self.hook(Incoming::Pong(payload));
                }
                Event::Closed(closed) => self.record_closed(closed),
            }
        }
    }

    fn resolve_pings(&mut self, acknowledged: u64) {
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

    fn record_closed(&mut self, closed: Closed) {
        match &closed.error {
            Some(error) => tracing::debug!(code = %closed.code, %error, "connection failed"),
            None => {
                tracing::trace!(code = %closed.code, by_peer = closed.by_peer, "connection closed")
            }
        }
        self.shared.state.store(CLOSED, Ordering::Release);
        self.shared.closed.send_replace(Some(closed));
        // Later messages fail instead of being queued and dropped.
        self.data.close();
        // Closed is the core's last event: ending the stream lets `on_close` run now, while
        // the transport is still being torn down.
        self.events = None;
        // Dropping the hooks gives `on_message` its final `None`.
        self.hooks = None;
        for (_, _, ack) in self.pings.drain(..) {
            let _ = ack.send(Err(WebSocketClosedError.into()));
        }
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let stall_deadline = self
            .config
            .write_timeout
            .filter(|_| self.unwritten() > 0 && !self.io_failed)
            .map(|timeout| self.last_write + timeout);
        let deadline = [
            self.core.poll_timeout(),
            self.linger_deadline,
            stall_deadline,
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(deadline) = deadline else {
            self.timer = None;
            return false;
        };
        let now = Instant::now();
        if now < deadline {
            let tokio_deadline = tokio::time::Instant::from_std(deadline);
            match &mut self.timer {
                Some((at, sleep)) if *at == deadline => {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return false;
                    }
                }
                timer => {
                    let mut sleep = Box::pin(tokio::time::sleep_until(tokio_deadline));
                    let pending = sleep.as_mut().poll(cx).is_pending();
                    *timer = Some((deadline, sleep));
                    if pending {
                        return false;
                    }
                }
            }
        }
        self.timer = None;
        let now = Instant::now();
        if self.linger_deadline.is_some_and(|d| now >= d) {
            self.linger_deadline = None;
            self.peer_eof = true;
        }
        if stall_deadline.is_some_and(|d| now >= d) {
            tracing::debug!("peer stopped reading; connection dropped");
            self.core.fail(ProtocolError::WriteTimeout, now);
            // Nothing more can be written to a peer that does not read.
            self.io_failed = true;
            self.peer_eof = true;
        }
        self.core.handle_timeout(now);
        self.pull_transmit();
        true
    }

    fn fail_io(&mut self) {
        self.io_failed = true;
        self.peer_eof = true;
        self.core.receive_eof();
    }

    fn is_done(&self) -> bool {
        if self.io_failed {
            return self.pending_event.is_none() && self.core.state() == State::Closed;
        }
        self.core.is_finished()
            && self.pending_event.is_none()
            && self.unwritten() == 0
            && (self.shutdown_done || self.peer_eof)
            && (self.peer_eof || self.linger_deadline.is_none())
    }

    fn finish(&mut self) {
        if self.shared.closed().is_none() {
            let closed = self.core.closed().cloned().unwrap_or_else(abnormal);
            self.record_closed(closed);
        }
        self.shared.state.store(CLOSED, Ordering::Release);
        self.shared.credit.close();
        self.events = None;
    }
}

impl<S> Drop for Driver<S> {
    fn drop(&mut self) {
        // Writers waiting for credit would otherwise wait forever on a dropped driver.
        self.shared.credit.close();
    }
}
