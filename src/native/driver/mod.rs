//! The connection driver: one future per connection that moves bytes between a socket and
//! the protocol core, and events from the core to the application (after quinn's
//! `ConnectionDriver`). No parsing happens here.
//!
//! The core lives in [`Shared`], behind one lock: handles encode messages straight into its
//! output, and the driver writes that output, reads into the core and moves its events to
//! the reader. A server runs its handler in the driver's own poll ([`run_with`]), so a
//! message is read, handled, answered and written in a single poll of a single task, and
//! its events reach the handler without the lock ([`next_inline`]).

mod delivery;
mod hooks;
// The inline inbox serves the server's handlers; a client-only build keeps its type (the
// driver's signatures name it) but never fills it.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
mod inline;
mod read;
mod shared;
#[cfg(test)]
mod tests;
mod timers;
mod write;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::transport::Transport;
use crate::protocol::{Connection, Output, State};

pub(crate) use hooks::Hooks;
#[cfg(feature = "server")]
pub(crate) use inline::next_inline;
use inline::InlineInbox;
use shared::Inner;
#[cfg(feature = "server")]
pub(crate) use shared::TrySendError;
pub(crate) use shared::{Events, Handle, Shared};

/// Iterations of the poll loop before yielding to the runtime, for fairness.
const POLL_BUDGET: usize = 64;
/// How long a violation waits for the reader to handle the messages before it.
pub(super) const HELD_FAILURE_GRACE: Duration = Duration::from_secs(1);
use delivery::{reader_caught_up, take_events};
use timers::{Timer, TimerTable};
use write::KEEP_WRITE_BUFFER;

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
        output_hint: true,
        wbuf: Output::new(),
        lent_input: None,
        timers: TimerTable::default(),
        eof_requested: false,
        shutdown_done: false,
        peer_eof: false,
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
    /// A read happened since [`Timer::ReleaseBuffers`] was set: the buffers are in use.
    read_since_release_armed: bool,
    /// The core's output may have grown since the driver last looked (a read, the
    /// companion, a handle or a timer may have written): `poll_write` takes the lock.
    output_hint: bool,
    /// Bytes taken from the core's output and not yet written.
    wbuf: Output,
    /// The core's input buffer, lent for reading straight into it (see `read.rs`).
    /// Boxed: most connections never have one, and an idle one should not carry its size.
    lent_input: Option<Box<BytesMut>>,
    timers: TimerTable,
    /// Every byte before the EOF is in `wbuf`: shut down once it is written.
    eof_requested: bool,
    shutdown_done: bool,
    peer_eof: bool,
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
        // Close for a held violation once the reader has handled the messages before it;
        // `poll_timers` closes after a grace if it never does (it may not be reading).
        if inner.core.held_failure_since().is_some() && reader_caught_up(&inner, inline) {
            inner.core.release_held_failure(Instant::now());
            return Settled::Work;
        }
        if self.poll_timers(&mut inner, cx) {
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
            && (self.peer_eof || !self.timers.is_set(Timer::Linger))
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
