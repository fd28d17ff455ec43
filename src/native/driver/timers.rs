//! The driver's own deadlines in one table (after quinn-proto's `TimerTable`), and one
//! tokio sleep armed for the earliest of them and the core's.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::{Duration, Instant};

use tokio::time::Sleep;

use super::shared::Inner;
use super::{Socket, HELD_FAILURE_GRACE};
use crate::native::transport::Transport;
use crate::protocol::Output;
use crate::Timeout;

/// Buffers that large messages grew are freed after this long without a read.
pub(super) const BUFFER_IDLE: Duration = Duration::from_secs(1);

/// One deadline of the driver's own. The core's (keepalive, ping timeout, close
/// handshake, idle, EOF wait, a held violation) are asked of the core each time instead of
/// kept here: an idle connection carries no copy of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// After our EOF, how long input is still read (and dropped).
    Linger,
    /// A peer that takes none of our output until then is dropped.
    WriteStall,
    /// Buffers that large messages grew are freed then, unless a read came meanwhile.
    ReleaseBuffers,
}

const TIMERS: usize = 3;

/// When each [`Timer`] fires, and the one sleep armed for the earliest.
#[derive(Debug, Default)]
pub(super) struct TimerTable {
    deadlines: [Option<Instant>; TIMERS],
    /// Boxed: an idle connection should not carry tokio's timer entry inline.
    sleep: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl TimerTable {
    pub(super) fn set(&mut self, timer: Timer, deadline: Instant) {
        self.deadlines[timer as usize] = Some(deadline);
    }

    pub(super) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    pub(super) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer as usize]
    }

    pub(super) fn is_set(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }

    /// Stops `timer` if it is due at `now`; returns whether it was.
    pub(super) fn expire(&mut self, timer: Timer, now: Instant) -> bool {
        let due = self.get(timer).is_some_and(|deadline| now >= deadline);
        if due {
            self.stop(timer);
        }
        due
    }

    /// Whether the earliest deadline (this table's or `core`) has passed; if not, the sleep
    /// is armed for it (with the task's waker). With no deadline, the sleep is dropped.
    fn poll_due(&mut self, core: Option<Instant>, cx: &mut Context<'_>) -> bool {
        let earliest = self.deadlines.iter().flatten().copied().chain(core).min();
        let Some(deadline) = earliest else {
            self.sleep = None;
            return false;
        };
        if Instant::now() >= deadline {
            self.sleep = None;
            return true;
        }
        let sleep = match &mut self.sleep {
            Some((at, sleep)) if *at == deadline => sleep,
            slot => {
                let at = tokio::time::Instant::from_std(deadline);
                &mut slot
                    .insert((deadline, Box::pin(tokio::time::sleep_until(at))))
                    .1
            }
        };
        let due = sleep.as_mut().poll(cx).is_ready();
        if due {
            self.sleep = None;
        }
        due
    }
}

impl<S: Transport> Socket<S> {
    /// Brings the table up to date (the stall and release timers), then handles what is
    /// due, the core's deadlines included, or arms the sleep. Returns whether one fired.
    pub(super) fn poll_timers(&mut self, inner: &mut Inner, cx: &mut Context<'_>) -> bool {
        // A held violation is acted on after a grace even if the reader never catches up.
        let held = inner
            .core
            .held_failure_since()
            .map(|found| found + HELD_FAILURE_GRACE);
        let core = inner
            .core
            .deadline_without_held()
            .into_iter()
            .chain(held)
            .min();
        if self.unwritten() == 0 || self.io_failed {
            self.timers.stop(Timer::WriteStall);
        }
        if !self.timers.is_set(Timer::ReleaseBuffers)
            && (inner.core.holds_large_buffers() || self.wbuf.capacity() > super::KEEP_WRITE_BUFFER)
        {
            self.timers
                .set(Timer::ReleaseBuffers, Instant::now() + BUFFER_IDLE);
            self.read_since_release_armed = false;
        }
        if !self.timers.poll_due(core, cx) {
            return false;
        }
        let now = Instant::now();
        if self.timers.expire(Timer::Linger, now) {
            self.peer_eof = true;
        }
        if self.timers.expire(Timer::ReleaseBuffers, now) && !self.read_since_release_armed {
            // Quiet since the deadline was set: give the memory back. Else a new deadline
            // is set while the buffers are still large.
            if let Some(input) = self.lent_input.take() {
                inner.core.restore_input(*input);
            }
            inner.core.release_buffers();
            if self.wbuf.is_empty() {
                self.wbuf = Output::new();
            }
        }
        if self.timers.expire(Timer::WriteStall, now) {
            tracing::debug!("peer stopped reading; connection dropped");
            inner.core.fail(Timeout::Write, now);
            // Nothing more can be written to a peer that does not read.
            self.io_failed = true;
            self.peer_eof = true;
        }
        if held.is_some_and(|deadline| now >= deadline) {
            inner.core.release_held_failure(now);
        }
        inner.core.handle_timeout(now);
        true
    }
}
