//! Delivery: the core's events to whoever reads them (the handler's inline inbox, the
//! event stream, or the client's callbacks), up to the reader's capacity.

use std::cell::RefCell;
use std::task::Context;

use super::hooks::Hooked;
use super::inline::InlineInbox;
use super::shared::Inner;
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

/// Moves the core's events to the reader (`inline`, else the event stream), up to the
/// reader's capacity; events for the hooks, and then the close, wait in `hooked`, for the
/// driver to hand them on once it has let the lock go (hooks may write). Returns whether
/// any event went to the reader.
#[inline]
pub(super) fn take_events(
    inner: &mut Inner,
    capacity: usize,
    mut hooked: Option<&mut Hooked>,
    inline: Option<&RefCell<InlineInbox>>,
    cx: &Context<'_>,
) -> bool {
    if let Some(inline) = inline {
        return inline.borrow_mut().fill(inner, capacity);
    }
    let mut delivered = false;
    let hooked_messages = hooked.as_ref().is_some_and(|h| h.hooks.takes_messages());
    while hooked_messages || inner.inbox_has_room(capacity) {
        let Some(event) = inner.core.poll_event() else {
            break;
        };
        let incoming = match inner.incoming(event) {
            Ok(incoming) => incoming,
            Err(closed) => {
                match hooked {
                    // Recorded after the hooks have run on the messages before it.
                    Some(hooked) => hooked.pending.push_back(Event::Closed(closed)),
                    None => {
                        inner.record_closed(&closed);
                        // The reader's stream ends: it needs a poll to see that.
                        delivered = true;
                    }
                }
                break;
            }
        };
        match hooked.as_mut() {
            Some(hooked) if hooked_messages || !matches!(incoming, Event::Message(_)) => {
                hooked.pending.push_back(incoming);
            }
            _ => {
                inner.deliver(incoming, cx);
                delivered = true;
            }
        }
    }
    delivered
}
