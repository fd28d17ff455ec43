//! The connection driver: one future per connection that moves bytes between a socket and
//! the protocol core, and events from the core to the application (after quinn's
//! `ConnectionDriver`). No parsing happens here.
//!
//! The core lives in [`Shared`], behind one lock: handles encode messages straight into its
//! output, and the driver writes that output, reads into the core and moves its events to
//! the reader. A poll of the driver holds the lock once for all its stages (read, hand
//! events on, write, timers, park; after quinn's `ConnectionDriver::poll`), and lets it
//! go only while code that may write runs: the client's callbacks, and the server's
//! handler, which runs in the driver's own poll ([`run_with`]) so that a message is read,
//! handled, answered and written in a single poll of a single task; its events reach it
//! without the lock ([`next_inline`]). The lock is never held while application code
//! runs: a handler may write to other connections, whose drivers may write to this one.

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
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::transport::Transport;
use crate::protocol::{Connection, Event, Output, State};

use hooks::Hooked;
pub(crate) use hooks::Hooks;
#[cfg(feature = "server")]
pub(crate) use inline::next_inline;
use inline::InlineInbox;
use shared::Inner;
#[cfg(feature = "server")]
pub(crate) use shared::TrySendError;
pub(crate) use shared::{Events, Handle, Shared};

/// Rounds of the driver's stages before yielding to the runtime, for fairness.
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
        shared: Arc::clone(&shared),
        stages: Stages {
            hooked: None,
            event_capacity: shared.event_capacity(),
            socket: Socket {
                stream,
                config,
                read_idle: false,
                read_since_release_armed: false,
                wbuf: Output::new(),
                lent_input: None,
                timers: TimerTable::default(),
                eof_requested: false,
                shutdown_done: false,
                peer_eof: false,
                io_failed: false,
            },
        },
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

/// How a run of [`Driver::stages`] under one lock ended.
enum Step {
    /// The connection is over.
    Done,
    /// Nothing to do; the waker is stored and the driver marked idle.
    Parked,
    /// The handler or the hooks have work: let the lock go, run them, take it again.
    LetGo,
    /// The poll budget is spent: yield to the runtime.
    Yield,
}

/// What [`Driver::settle`] found.
enum Settled {
    /// The connection is over.
    Done,
    /// The handler, the hooks or a writer in this task have work.
    Deliver,
    /// A timer fired or reading may go on: go round again.
    Work,
    /// Nothing to do; the waker is stored.
    Parked,
}

/// The future that runs one connection until it is closed and its socket shut down.
#[derive(Debug)]
pub(crate) struct Driver<S> {
    shared: Arc<Shared>,
    /// Apart from `shared`, so that they run while the lock borrows it.
    stages: Stages<S>,
    finished: bool,
}

/// What the driver's stages work on besides the locked state.
#[derive(Debug)]
struct Stages<S> {
    socket: Socket<S>,
    hooked: Option<Box<Hooked>>,
    /// Events queued for the reader before no more are taken from the core.
    event_capacity: usize,
}

/// The driver's side of the socket: what each stage works on besides the locked state.
#[derive(Debug)]
struct Socket<S> {
    stream: S,
    config: DriverConfig,
    /// The socket returned Pending to a read during the current poll.
    read_idle: bool,
    /// A read happened since [`Timer::ReleaseBuffers`] was set: the buffers are in use.
    read_since_release_armed: bool,
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
        self.stages.hooked = Some(Box::new(Hooked {
            hooks,
            pending: VecDeque::new(),
        }));
        self
    }

    /// One poll of the driver: its stages under one lock, let go only while `companion`
    /// (with `inline`: the handler polled in this task) or the hooks run. The companion
    /// runs after the first read, whatever it brought (what woke the task may have been
    /// for it), then whenever the driver gave it events or room to write.
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
        self.stages.socket.read_idle = false;
        let mut companion_owed = inline.is_some();
        let mut budget = POLL_BUDGET;
        loop {
            let mut inner = self.shared.lock();
            // Handles that write while the lock is let go leave their output for the
            // stages to find when it is taken back, instead of waking this task.
            inner.driver_polling = true;
            let step = self
                .stages
                .run(&mut inner, cx, inline, &mut companion_owed, &mut budget);
            match step {
                Step::Parked => return Poll::Pending,
                Step::Done => {
                    drop(inner);
                    self.finish();
                    return Poll::Ready(());
                }
                Step::Yield => {
                    inner.driver_polling = false;
                    drop(inner);
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Step::LetGo => {}
            }
            drop(inner);
            self.run_hooks(cx);
            if std::mem::take(&mut companion_owed) {
                companion(cx);
            }
        }
    }

    /// Runs the hooks on what the stages left them, the close last.
    fn run_hooks(&mut self, cx: &Context<'_>) {
        let stages = &mut self.stages;
        while let Some(event) = stages.hooked.as_mut().and_then(|h| h.pending.pop_front()) {
            match event {
                Event::Closed(closed) => {
                    self.shared.lock().record_closed(&closed);
                    // Dropping the hooks gives `on_message` its final `None`.
                    stages.hooked = None;
                }
                event => {
                    let unclaimed = stages
                        .hooked
                        .as_mut()
                        .and_then(|hooked| hooked.hooks.deliver(event));
                    if let Some(event) = unclaimed {
                        self.shared.lock().deliver(event, cx);
                    }
                }
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.stages.hooked = None;
        self.shared.lock().driver_finished();
    }
}

impl<S: Transport> Stages<S> {
    /// The stages, repeated while they make progress: write the core's output, read into
    /// it and hand its events on, then [`settle`](Self::settle). Stops for the
    /// companion (`companion_owed`) and the hooks, which run without the lock.
    fn run(
        &mut self,
        inner: &mut Inner,
        cx: &mut Context<'_>,
        inline: Option<&RefCell<InlineInbox>>,
        companion_owed: &mut bool,
        budget: &mut usize,
    ) -> Step {
        loop {
            let Some(left) = budget.checked_sub(1) else {
                return Step::Yield;
            };
            *budget = left;
            // Writing first: what the companion answered goes out before more is read, so
            // a peer with several messages in flight gets its answers while it sends.
            let (wrote, released) = if self.socket.has_output(inner) {
                self.socket.poll_write(inner, cx)
            } else {
                (false, false)
            };
            if released {
                *companion_owed = true;
                return Step::LetGo;
            }
            let read = self.socket.poll_read(inner, cx, inline);
            if read && inner.core.has_events() {
                *companion_owed |= self.take_events(inner, inline, cx);
            }
            if *companion_owed || self.hooks_pending() {
                return Step::LetGo;
            }
            if read || wrote {
                continue;
            }
            match self.settle(inner, cx, inline) {
                Settled::Done => return Step::Done,
                Settled::Deliver => {
                    *companion_owed = true;
                    return Step::LetGo;
                }
                Settled::Work => {}
                Settled::Parked => return Step::Parked,
            }
        }
    }

    /// Whether events wait for the hooks.
    fn hooks_pending(&self) -> bool {
        self.hooked.as_ref().is_some_and(|h| !h.pending.is_empty())
    }

    /// Moves the core's events on (see [`take_events`]); returns whether any went to the
    /// reader.
    fn take_events(
        &mut self,
        inner: &mut Inner,
        inline: Option<&RefCell<InlineInbox>>,
        cx: &Context<'_>,
    ) -> bool {
        take_events(
            inner,
            self.event_capacity,
            self.hooked.as_deref_mut(),
            inline,
            cx,
        )
    }

    /// The work left when the socket is quiet: socket options, the done check, events the
    /// reader made room for, a held violation, timers; then parks the driver (its waker
    /// stored) when nothing is left.
    fn settle(
        &mut self,
        inner: &mut Inner,
        cx: &mut Context<'_>,
        inline: Option<&RefCell<InlineInbox>>,
    ) -> Settled {
        self.socket.apply_nodelay_requests(inner);
        let done = self.socket.is_done(inner);
        if inner.core.has_events() && self.take_events(inner, inline, cx) {
            // Events the reader has made room for since.
            return Settled::Deliver;
        }
        if self.hooks_pending() {
            return Settled::Deliver;
        }
        if done {
            return Settled::Done;
        }
        // Close for a held violation once the reader has handled the messages before it;
        // `poll_timers` closes after a grace if it never does (it may not be reading).
        if inner.core.held_failure_since().is_some() && reader_caught_up(inner, inline) {
            inner.core.release_held_failure(Instant::now());
            return Settled::Work;
        }
        if self.socket.poll_timers(inner, cx) {
            return Settled::Work;
        }
        if self.socket.may_read(inner) {
            // Reading became allowed again during this poll (our output drained below the
            // high-water mark): read until Pending, so the socket has our waker.
            return Settled::Work;
        }
        inner.driver_polling = false;
        match &inner.driver {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => inner.driver = Some(cx.waker().clone()),
        }
        Settled::Parked
    }
}

impl<S: Transport> Socket<S> {
    /// Answers the handles' `set_nodelay` requests.
    fn apply_nodelay_requests(&self, inner: &mut Inner) {
        if !inner.nodelay_requests.is_empty() {
            for (nodelay, ack) in std::mem::take(&mut inner.nodelay_requests) {
                let _ = ack.send(self.stream.set_nodelay(nodelay));
            }
        }
    }

    fn fail_io(&mut self, inner: &mut Inner) {
        self.io_failed = true;
        self.peer_eof = true;
        inner.core.receive_eof();
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
}

impl<S> Drop for Driver<S> {
    fn drop(&mut self) {
        // Handles waiting for the driver would otherwise wait forever on a dropped one.
        self.shared.lock().driver_finished();
    }
}
