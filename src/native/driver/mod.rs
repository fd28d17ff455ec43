//! The connection driver: one future per connection that moves bytes between a socket and
//! the protocol core, and events from the core to the application (after quinn's
//! `ConnectionDriver`). No parsing happens here.
//!
//! The core lives in [`Shared`], behind one lock: handles encode messages straight into its
//! output, and the driver writes that output, reads into the core and moves its events to
//! the reader. A server runs its handler in the driver's own poll ([`run_with`]), so a
//! message is read, handled, answered and written in a single poll of a single task, and
//! its events reach the handler without the lock ([`next_inline`]).

mod hooks;
// The inline inbox serves the server's handlers; a client-only build keeps its type (the
// driver's signatures name it) but never fills it.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
mod inline;
mod shared;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::future::Future;
use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, ReadBuf};
use tokio::time::Sleep;

use super::transport::Transport;
use crate::protocol::{Connection, Output, State, Transmit};
use crate::{Message, Timeout};

pub(crate) use hooks::Hooks;
#[cfg(feature = "server")]
pub(crate) use inline::next_inline;
use inline::InlineInbox;
use shared::Inner;
#[cfg(feature = "server")]
pub(crate) use shared::TrySendError;
pub(crate) use shared::{Events, Handle, Shared};

/// Most bytes one read takes. Small-message connections read into one buffer per thread
/// ([`with_read_buffer`]), so an idle connection holds no read buffer at all; a connection
/// whose input buffer large frames grew reads straight into it ([`read_into_core`]). Both
/// read this much at most: a read that fills it leaves tokio's readiness set, so the next
/// read follows without a trip through `epoll` (reads sized to the whole missing frame
/// drained the socket each time and cost 1 MiB echoes 10 % of their throughput).
const READ_CHUNK: usize = 64 * 1024;
/// Slices handed to one vectored write.
const WRITE_SLICES: usize = 64;
/// Iterations of the poll loop before yielding to the runtime, for fairness.
const POLL_BUDGET: usize = 64;
/// A drained write buffer bigger than this is freed when it was mostly unused.
const KEEP_WRITE_BUFFER: usize = 64 * 1024;
/// Buffers that large messages grew are freed after this long without a read.
const BUFFER_IDLE: Duration = Duration::from_secs(1);

/// What the driver hands to the application, in order.
#[derive(Debug)]
pub(crate) enum Incoming {
    Message(Message),
    Ping(Bytes),
    Pong(Bytes),
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

/// Builds a driver and the handle and event stream that talk to it, for a reader in any
/// task (the client).
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn connect<S: Transport>(
    stream: S,
    core: Connection,
    config: DriverConfig,
) -> (Box<Driver<S>>, Handle, Events) {
    let (driver, handle) = connect_inline(stream, core, config);
    let events = Events::new(Arc::clone(&driver.shared));
    (driver, handle, events)
}

/// Builds a driver and the handle that talks to it, for a handler run in the driver's own
/// poll by [`run_with`] (the server): events go to [`next_inline`], not to an event stream.
///
/// The driver comes boxed: the futures that run it move it around (into `select!`,
/// `instrument`), and each move reserves another copy of it in the enclosing future's
/// state; a box makes each of those copies one pointer instead of the whole driver.
pub(crate) fn connect_inline<S: Transport>(
    stream: S,
    core: Connection,
    config: DriverConfig,
) -> (Box<Driver<S>>, Handle) {
    let shared = Arc::new(Shared::new(
        core,
        config.write_high_water,
        config.event_capacity,
    ));
    // Bytes read with the handshake may already have made the core answer (a pong, or a
    // close for a bad frame): the driver's first poll takes and writes it.
    let driver = Driver {
        stream,
        config,
        shared: Arc::clone(&shared),
        hooks: None,
        read_idle: false,
        read_allowed: true,
        read_since_release_armed: false,
        release_at: None,
        output_hint: true,
        wbuf: Output::new(),
        lent_input: None,
        timer: None,
        eof_requested: false,
        shutdown_done: false,
        peer_eof: false,
        linger_deadline: None,
        write_blocked_since: None,
        io_failed: false,
        finished: false,
    };
    (Box::new(driver), Handle::new(shared))
}

/// Runs `driver` and `companion` (a handler loop reading the driver's events with
/// [`next_inline`]) as one future, inside `span`: each poll runs the driver, then the
/// companion, then the driver again while the companion left it work. Completes when both
/// are done, or when `stop`, if any (it may start a close meanwhile), completes.
///
/// Events reach the companion through a queue only this future touches (see
/// [`InlineInbox`]), not through the connection's lock.
#[cfg(feature = "server")]
pub(crate) async fn run_with<S: Transport>(
    mut driver: Box<Driver<S>>,
    mut companion: Pin<&mut impl Future<Output = ()>>,
    mut stop: Option<Pin<Box<dyn Future<Output = ()> + Send + '_>>>,
    span: &tracing::Span,
) {
    let mut companion_done = false;
    let mut driver_done = false;
    // Owned by the closure, not borrowed by it: a borrow of a RefCell held across the
    // await would make this future !Send.
    let inbox = RefCell::new(InlineInbox::default());
    std::future::poll_fn(move |cx| {
        let _entered = span.enter();
        if let Some(stop) = stop.as_mut() {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        let mut poll_companion = |cx: &mut Context<'_>| {
            if !companion_done {
                companion_done =
                    inline::with_inbox(&inbox, || companion.as_mut().poll(cx)).is_ready();
            }
        };
        if !driver_done {
            driver_done = driver
                .poll_joined(cx, &mut poll_companion, Some(&inbox))
                .is_ready();
            if driver_done {
                // Nothing more will come: the handler's next event is the end.
                inbox.borrow_mut().end();
            }
        }
        if driver_done {
            poll_companion(cx);
        }
        if driver_done && companion_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// What [`read_into_core`] did.
enum ReadInto<'a> {
    /// Bytes (or the peer's EOF) went to the core, or were dropped while lingering; the
    /// lock is still held, for the events they made.
    Core(MutexGuard<'a, Inner>),
    /// The socket failed.
    Failed,
    /// Nothing to read yet; the socket has our waker.
    Pending,
}

/// One read from the socket, fed to the core unless `lingering`; an EOF sets `peer_eof`.
///
/// The read goes into the core's own input buffer when the core lent it (`lent`: large
/// frames grew it) and the bytes are wanted, else into this thread's read buffer, copied
/// into the core after. Either way at most [`READ_CHUNK`] bytes, so reads come the same
/// size.
fn read_into_core<'a, S: Transport>(
    stream: &mut S,
    shared: &'a Shared,
    lent: &mut Option<Box<BytesMut>>,
    peer_eof: &mut bool,
    cx: &mut Context<'_>,
    lingering: bool,
) -> ReadInto<'a> {
    if let Some(slot) = lent.as_mut().filter(|_| !lingering) {
        let (read, still_lent) = read_into_lent(stream, shared, slot, peer_eof, cx);
        if !still_lent {
            *lent = None;
        }
        return read;
    }
    with_read_buffer(|storage| {
        let mut buf = ReadBuf::uninit(storage);
        match Pin::new(stream).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                let mut inner = shared.lock();
                if buf.filled().is_empty() {
                    *peer_eof = true;
                    inner.core.receive_eof();
                } else if !lingering {
                    inner.core.receive_with_clock(buf.filled(), Instant::now);
                    *lent = inner.core.lend_input().map(Box::new);
                }
                ReadInto::Core(inner)
            }
            Poll::Ready(Err(_)) => ReadInto::Failed,
            Poll::Pending => ReadInto::Pending,
        }
    })
}

/// [`read_into_core`] into the input buffer the core lent (`slot`), which goes back to
/// the core with the bytes read and is borrowed again into `slot`; the flag tells whether
/// the core still lends it.
fn read_into_lent<'a, S: Transport>(
    stream: &mut S,
    shared: &'a Shared,
    slot: &mut BytesMut,
    peer_eof: &mut bool,
    cx: &mut Context<'_>,
) -> (ReadInto<'a>, bool) {
    // Reserved now, not when lent: the message last parsed out of it has been answered
    // and dropped since, so this reuses its memory (still in cache) instead of allocating.
    slot.reserve(READ_CHUNK);
    let read = std::pin::pin!(stream.read_buf(&mut slot.limit(READ_CHUNK))).poll(cx);
    let read = match read {
        Poll::Ready(Ok(read)) => read,
        Poll::Ready(Err(_)) => return (ReadInto::Failed, true),
        Poll::Pending => return (ReadInto::Pending, true),
    };
    let mut inner = shared.lock();
    let input = std::mem::take(slot);
    if read == 0 {
        *peer_eof = true;
        inner.core.restore_input(input);
        inner.core.receive_eof();
    } else {
        inner.core.receive_lent(input, Instant::now);
    }
    // Into the same box: one allocation per connection, not per read.
    let still_lent = match inner.core.lend_input() {
        Some(again) => {
            *slot = again;
            true
        }
        None => false,
    };
    (ReadInto::Core(inner), still_lent)
}

/// What [`Driver::settle`] found.
enum Settled {
    /// The connection is over.
    Done,
    /// Events went to the reader: poll it, then go round again.
    Delivered,
    /// A timer fired or a handle left work: go round again.
    Work,
    /// Nothing to do; the waker is stored.
    Parked,
}

/// The future that runs one connection until it is closed and its socket shut down.
#[derive(Debug)]
pub(crate) struct Driver<S> {
    stream: S,
    config: DriverConfig,
    shared: Arc<Shared>,
    hooks: Option<Hooks>,
    /// The socket returned Pending to a read during the current poll.
    read_idle: bool,
    /// The core wants input and our output is not backed up (cached from the last lock).
    read_allowed: bool,
    /// When to free the buffers large messages grew, unless a read happens before.
    release_at: Option<Instant>,
    read_since_release_armed: bool,
    /// The core's output may have grown since the driver last looked (a read, the
    /// companion, a handle or a timer may have written): `poll_write` takes the lock.
    output_hint: bool,
    /// Bytes taken from the core's output and not yet written.
    wbuf: Output,
    /// The core's input buffer, lent for reading straight into it (see [`read_into_core`]).
    /// Boxed: most connections never have one, and an idle one should not carry its size.
    lent_input: Option<Box<BytesMut>>,
    timer: Option<(Instant, Pin<Box<Sleep>>)>,
    /// Every byte before the EOF is in `wbuf`: shut down once it is written.
    eof_requested: bool,
    shutdown_done: bool,
    peer_eof: bool,
    linger_deadline: Option<Instant>,
    /// Since when unwritten output has waited on a socket that took none of it (the
    /// clock is read only when a write would block, not on every write).
    write_blocked_since: Option<Instant>,
    io_failed: bool,
    finished: bool,
}

impl<S: Transport> Future for Driver<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_joined(cx, &mut |_| {}, None)
    }
}

impl<S: Transport> Driver<S> {
    /// Installs callbacks that take events instead of the event stream (see [`Hooks`]).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn with_hooks(mut self: Box<Self>, hooks: Hooks) -> Box<Self> {
        self.hooks = Some(hooks);
        self
    }

    /// One poll of the driver. `companion` runs in the same poll: first after the first
    /// read, then again whenever the driver gave it something (events, or room to write).
    /// Events go to `inline` when given, else to the event stream or the hooks.
    fn poll_joined(
        &mut self,
        cx: &mut Context<'_>,
        companion: &mut dyn FnMut(&mut Context<'_>),
        inline: Option<&RefCell<InlineInbox>>,
    ) -> Poll<()> {
        if self.finished {
            return Poll::Ready(());
        }
        // A source that returned Pending has our waker and nothing done in this poll can
        // make it ready, so it is skipped until the next poll.
        self.read_idle = false;
        // No lock here: `read_allowed` is as the last lock left it, and taking output
        // (after the first read) or settling brings it up to date.
        self.shared.driver_polling.store(true, Ordering::Relaxed);
        let mut poke_companion = true;
        // Handles in other tasks may have written before this poll.
        self.output_hint = true;
        for _ in 0..POLL_BUDGET {
            let (read, delivered) = self.poll_read(cx, inline);
            self.output_hint |= read;
            if poke_companion || delivered {
                companion(cx);
                self.output_hint = true;
            }
            let (wrote, released) = self.poll_write(cx);
            poke_companion = released;
            if read || wrote || released {
                continue;
            }
            // Nothing moved on the socket: the rarer work, then park unless someone left
            // work meanwhile.
            match self.settle(cx, inline) {
                Settled::Done => {
                    self.finish();
                    return Poll::Ready(());
                }
                Settled::Delivered => poke_companion = true,
                Settled::Work => self.output_hint = true,
                Settled::Parked => return Poll::Pending,
            }
        }
        self.shared.driver_polling.store(false, Ordering::Relaxed);
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Whether the next read may go ahead (cached whenever the lock is held anyway).
    fn read_allowed(inner: &Inner, write_high_water: usize) -> bool {
        // While our output is backed up, read nothing more: a peer that floods pings
        // without reading our pongs is stopped by TCP back-pressure, not by our memory.
        inner.core.wants_read() && inner.unwritten() <= write_high_water
    }

    fn unwritten(&self) -> usize {
        self.wbuf.len()
    }

    /// Reads once into the core and hands the events that came of it on. Returns whether
    /// the socket made progress, and whether events were delivered.
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        inline: Option<&RefCell<InlineInbox>>,
    ) -> (bool, bool) {
        if self.read_idle || self.io_failed || self.peer_eof {
            return (false, false);
        }
        let lingering = self.linger_deadline.is_some();
        if !self.read_allowed && !lingering {
            return (false, false);
        }
        let peer_eof = &mut self.peer_eof;
        let lent = &mut self.lent_input;
        match read_into_core(
            &mut self.stream,
            &self.shared,
            lent,
            peer_eof,
            cx,
            lingering,
        ) {
            ReadInto::Core(inner) => {
                self.read_since_release_armed = true;
                let (delivered, _) = take_events(inner, &self.shared, &mut self.hooks, inline, cx);
                return (true, delivered);
            }
            ReadInto::Pending => {
                self.read_idle = true;
                return (false, false);
            }
            ReadInto::Failed => {}
        }
        self.fail_io();
        (true, false)
    }

    /// Takes the core's output when the last batch is written, and records what is
    /// unwritten. Returns whether a writer in this task got room (it needs polling).
    fn take_output(&mut self, cx: &Context<'_>) -> bool {
        let mut inner = self.shared.lock();
        if self.wbuf.is_empty() {
            self.wbuf.reset(KEEP_WRITE_BUFFER);
            self.write_blocked_since = None;
            // Handles' writes are all taken now: no need for another round for them.
            inner.dirty = false;
            // Into an empty buffer, the core's output moves without a copy.
            while let Some(transmit) = inner.core.poll_transmit_output(&mut self.wbuf) {
                self.eof_requested |= transmit == Transmit::Eof;
            }
        }
        inner.in_flight = self.unwritten();
        self.read_allowed = Self::read_allowed(&inner, self.config.write_high_water);
        inner.release_writers(self.config.write_high_water, cx)
    }

    /// Writes what is pending. Returns whether bytes (or the EOF) went out, and whether a
    /// writer in this task got room.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> (bool, bool) {
        if self.io_failed {
            return (false, false);
        }
        let mut progress = false;
        let mut released = false;
        loop {
            // The lock is taken only when there may be new output. That what was written
            // drained is recorded by `settle`, which takes the lock anyway before the
            // driver parks: handles that meanwhile saw the older, larger figure wait for it.
            if self.wbuf.is_empty() && self.output_hint {
                self.output_hint = false;
                released |= self.take_output(cx);
            }
            if self.wbuf.is_empty() {
                if progress {
                    self.write_blocked_since = None;
                }
                break;
            }
            let stream = Pin::new(&mut self.stream);
            let written = if self.wbuf.is_fragmented() {
                let mut slices = [IoSlice::new(&[]); WRITE_SLICES];
                let count = self.wbuf.chunks_vectored(&mut slices);
                stream.poll_write_vectored(cx, &slices[..count])
            } else {
                stream.poll_write(cx, self.wbuf.chunk())
            };
            match written {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                    self.fail_io();
                    return (true, released);
                }
                Poll::Ready(Ok(n)) => {
                    self.wbuf.advance(n);
                    progress = true;
                }
                Poll::Pending => {
                    if self.config.write_timeout.is_some()
                        && (progress || self.write_blocked_since.is_none())
                    {
                        self.write_blocked_since = Some(Instant::now());
                    }
                    if progress {
                        // Record what is still unwritten, for the writers' flow control.
                        released |= self.take_output(cx);
                    }
                    return (progress, released);
                }
            }
        }
        if progress {
            if let Poll::Ready(Err(_)) = Pin::new(&mut self.stream).poll_flush(cx) {
                self.fail_io();
                return (true, released);
            }
        }
        if self.eof_requested
            && !self.shutdown_done
            && Pin::new(&mut self.stream).poll_shutdown(cx).is_ready()
        {
            self.shutdown_done = true;
            if !self.peer_eof {
                self.linger_deadline = Some(Instant::now() + self.config.linger);
            }
            progress = true;
        }
        (progress, released)
    }

    /// The work left when the socket is quiet, all under one lock: socket options, the
    /// done check, events the reader made room for, timers; then parks the driver (its
    /// waker stored) unless a handle left work meanwhile.
    fn settle(&mut self, cx: &mut Context<'_>, inline: Option<&RefCell<InlineInbox>>) -> Settled {
        // A clone of the handle (two atomic operations), so the guard does not borrow self.
        let shared = Arc::clone(&self.shared);
        let mut inner = shared.lock();
        if !inner.nodelay_requests.is_empty() {
            for (nodelay, ack) in std::mem::take(&mut inner.nodelay_requests) {
                let _ = ack.send(self.stream.set_nodelay(nodelay));
            }
        }
        if inner.in_flight != self.unwritten() {
            // Written since the last record (see `poll_write`).
            inner.in_flight = self.unwritten();
            if inner.release_writers(self.config.write_high_water, cx) {
                // A writer in this task got room: the companion needs polling.
                return Settled::Delivered;
            }
        }
        self.read_allowed = Self::read_allowed(&inner, self.config.write_high_water);
        let done = self.is_done(&inner);
        let mut inner = if inner.core.has_events() {
            // Events the reader has made room for since.
            let (delivered, inner) = take_events(inner, &shared, &mut self.hooks, inline, cx);
            match inner.filter(|_| !delivered) {
                Some(inner) => inner,
                None => return Settled::Delivered,
            }
        } else {
            inner
        };
        if done {
            return Settled::Done;
        }
        if self.release_at.is_none()
            && (inner.core.holds_large_buffers() || self.wbuf.capacity() > KEEP_WRITE_BUFFER)
        {
            self.release_at = Some(Instant::now() + BUFFER_IDLE);
            self.read_since_release_armed = false;
        }
        if self.poll_timer(&mut inner, cx) {
            return Settled::Work;
        }
        if self.read_allowed && !self.read_idle && !self.peer_eof && !self.io_failed {
            // Reading became allowed again during this poll (our output drained below the
            // high-water mark): read until Pending, so the socket has our waker.
            return Settled::Work;
        }
        if std::mem::take(&mut inner.dirty) {
            self.read_allowed = Self::read_allowed(&inner, self.config.write_high_water);
            return Settled::Work;
        }
        self.shared.driver_polling.store(false, Ordering::Relaxed);
        match &inner.driver {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => inner.driver = Some(cx.waker().clone()),
        }
        Settled::Parked
    }

    /// Arms the timer for the next deadline (keepalive, close, idle, linger, write stall),
    /// or handles the deadline that passed. Returns whether one did.
    fn poll_timer(&mut self, inner: &mut Inner, cx: &mut Context<'_>) -> bool {
        let stall_deadline = self
            .config
            .write_timeout
            .zip(self.write_blocked_since)
            .filter(|_| self.unwritten() > 0 && !self.io_failed)
            .map(|(timeout, since)| since + timeout);
        let deadline = [
            inner.core.poll_timeout(),
            self.linger_deadline,
            stall_deadline,
            self.release_at,
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(deadline) = deadline else {
            self.timer = None;
            return false;
        };
        if Instant::now() < deadline {
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
        if self.release_at.is_some_and(|at| now >= at) {
            // Quiet since the deadline was set: give the memory back. Else `settle` sets a
            // new deadline while the buffers are still large.
            self.release_at = None;
            if !self.read_since_release_armed {
                if let Some(input) = self.lent_input.take() {
                    inner.core.restore_input(*input);
                }
                inner.core.release_buffers();
                if self.wbuf.is_empty() {
                    self.wbuf = Output::new();
                }
            }
        }
        if stall_deadline.is_some_and(|d| now >= d) {
            tracing::debug!("peer stopped reading; connection dropped");
            inner.core.fail(Timeout::Write, now);
            // Nothing more can be written to a peer that does not read.
            self.io_failed = true;
            self.peer_eof = true;
        }
        inner.core.handle_timeout(now);
        true
    }

    fn fail_io(&mut self) {
        self.io_failed = true;
        self.peer_eof = true;
        self.shared.lock().core.receive_eof();
    }

    fn is_done(&self, inner: &Inner) -> bool {
        if self.io_failed {
            return inner.core.state() == State::Closed;
        }
        inner.core.is_finished()
            && inner.core.buffered_amount() == 0
            && self.unwritten() == 0
            && (self.shutdown_done || self.peer_eof)
            && (self.peer_eof || self.linger_deadline.is_none())
    }

    fn finish(&mut self) {
        self.finished = true;
        self.hooks = None;
        self.shared.lock().driver_finished();
    }
}

impl<S> Drop for Driver<S> {
    fn drop(&mut self) {
        // Handles waiting for the driver would otherwise wait forever on a dropped one.
        self.shared.lock().driver_finished();
    }
}

thread_local! {
    static READ_BUFFER: RefCell<Box<[MaybeUninit<u8>]>> =
        RefCell::new(Box::new_uninit_slice(READ_CHUNK));
}

/// Runs `read` with this thread's read buffer. The buffer is not on the stack: a poll
/// holding 64 KiB there probed every page of it every time (a tenth of the poll's own
/// samples with small messages), and the lock taken next waited for those stores.
fn with_read_buffer<R>(read: impl FnOnce(&mut [MaybeUninit<u8>]) -> R) -> R {
    READ_BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => read(&mut buffer),
        // A read inside a read on this thread (nothing does that): a buffer of its own.
        Err(_) => read(&mut Box::new_uninit_slice(READ_CHUNK)),
    })
}

/// Moves the core's events to the reader (`inline`, else the event stream or the hooks),
/// up to the reader's capacity. Returns whether any were delivered, and the lock unless it
/// had to be released (for the hooks, which may write, or to record the close).
#[inline]
fn take_events<'a>(
    mut inner: MutexGuard<'a, Inner>,
    shared: &Shared,
    hooks: &mut Option<Hooks>,
    inline: Option<&RefCell<InlineInbox>>,
    cx: &Context<'_>,
) -> (bool, Option<MutexGuard<'a, Inner>>) {
    if let Some(inline) = inline {
        let delivered = inline
            .borrow_mut()
            .fill(&mut inner, shared.event_capacity());
        return (delivered, Some(inner));
    }
    let mut delivered = false;
    let mut for_hooks = Vec::new();
    let mut closed = None;
    let capacity = shared.event_capacity();
    let hooked_messages = hooks.as_ref().is_some_and(Hooks::takes_messages);
    while closed.is_none() && (hooked_messages || inner.inbox_has_room(capacity)) {
        let Some(event) = inner.core.poll_event() else {
            break;
        };
        let incoming = match inner.incoming(event) {
            Ok(incoming) => incoming,
            Err(event) => {
                closed = Some(event);
                continue;
            }
        };
        let to_hooks = match incoming {
            Incoming::Message(_) => hooked_messages,
            Incoming::Ping(_) | Incoming::Pong(_) => hooks.is_some(),
        };
        if to_hooks {
            for_hooks.push(incoming);
        } else {
            inner.deliver(incoming, cx);
            delivered = true;
        }
    }
    if closed.is_none() && for_hooks.is_empty() {
        return (delivered, Some(inner));
    }
    drop(inner);
    // Callbacks run without the lock: they may write.
    if let Some(hooks) = hooks.as_mut() {
        for incoming in for_hooks {
            if let Some(incoming) = hooks.deliver(incoming) {
                shared.lock().deliver(incoming, cx);
                delivered = true;
            }
        }
    }
    if let Some(closed) = closed {
        shared.lock().record_closed(closed);
        // Dropping the hooks gives `on_message` its final `None`.
        *hooks = None;
        // The reader's stream ends: it needs a poll to see that.
        delivered = true;
    }
    (delivered, None)
}
