//! Delivery: the core's events to whoever reads them (the handler's inline inbox, the
//! event stream, or the client's callbacks), up to the reader's capacity.

use std::cell::RefCell;
use std::sync::MutexGuard;
use std::task::Context;

use super::hooks::Hooks;
use super::inline::InlineInbox;
use super::shared::{Inner, Shared};
use crate::protocol::Event;

/// Whether the reader has handled every event delivered to it: the inline handler took
/// them all (it runs in this poll, so it has answered what it could), or the event
/// stream's reader came back for more.
pub(super) fn reader_caught_up(inner: &Inner, inline: Option<&RefCell<InlineInbox>>) -> bool {
    match inline {
        Some(inline) => inline.borrow().is_empty(),
        None => inner.reader_waiting(),
    }
}

/// Moves the core's events to the reader (`inline`, else the event stream or the hooks),
/// up to the reader's capacity. Returns whether any were delivered, and the lock unless it
/// had to be released (for the hooks, which may write, or to record the close).
#[inline]
pub(super) fn take_events<'a>(
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
            Event::Message(_) => hooked_messages,
            _ => hooks.is_some(),
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
        shared.lock().record_closed(&closed);
        // Dropping the hooks gives `on_message` its final `None`.
        *hooks = None;
        // The reader's stream ends: it needs a poll to see that.
        delivered = true;
    }
    (delivered, None)
}
