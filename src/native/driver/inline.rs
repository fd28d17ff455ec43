//! Events for a handler that runs inside the driver's own poll ([`run_with`](super::run_with)):
//! handed over through a queue that only that poll touches, so no lock and no waker.
//!
//! The queue lives in the `run_with` future; while the handler is polled it is reachable
//! through a scoped thread-local, which is how the handler's [`next_inline`] finds it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::task::Poll;

use super::shared::Inner;
use crate::protocol::Event;

scoped_tls::scoped_thread_local!(static INBOX: RefCell<InlineInbox>);

/// Events the driver took from the core for the handler polled in the same task.
#[derive(Debug, Default)]
pub(crate) struct InlineInbox {
    queue: VecDeque<Event>,
    /// No more events will come: the close was recorded, or the driver finished.
    ended: bool,
}

impl InlineInbox {
    /// Moves the core's events here, up to `capacity` queued. Returns whether any event
    /// was taken (the handler then needs polling).
    #[inline]
    pub(super) fn fill(&mut self, inner: &mut Inner, capacity: usize) -> bool {
        let mut taken = false;
        while !self.ended && self.queue.len() < capacity {
            let Some(event) = inner.core.poll_event() else {
                break;
            };
            taken = true;
            match inner.incoming(event) {
                Ok(incoming) => self.queue.push_back(incoming),
                Err(closed) => {
                    // Recorded before the handler sees the end, so `on_close` can read it.
                    inner.record_closed(&closed);
                    self.ended = true;
                }
            }
        }
        taken
    }

    /// Whether the handler has taken every event.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// No more events will come (the driver is done).
    pub(super) fn end(&mut self) {
        self.ended = true;
    }
}

/// Runs `poll` (one poll of the handler) with `inbox` reachable by [`next_inline`].
pub(super) fn with_inbox<R>(inbox: &RefCell<InlineInbox>, poll: impl FnOnce() -> R) -> R {
    INBOX.set(inbox, poll)
}

/// The next event for a handler run by [`run_with`](super::run_with); `None` once the
/// connection is closed. Pending until the driver delivers (it polls the handler then).
pub(crate) fn next_inline() -> impl Future<Output = Option<Event>> {
    poll_fn(|_| {
        if !INBOX.is_set() {
            debug_assert!(false, "next_inline polled outside run_with");
            return Poll::Ready(None);
        }
        INBOX.with(|inbox| {
            let mut inbox = inbox.borrow_mut();
            match inbox.queue.pop_front() {
                Some(incoming) => Poll::Ready(Some(incoming)),
                None if inbox.ended => Poll::Ready(None),
                None => Poll::Pending,
            }
        })
    })
}
