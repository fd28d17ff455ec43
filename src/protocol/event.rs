//! What the core reports to its driver.

use bytes::Bytes;

// Kept reachable as `protocol::Closed`; the type belongs to the model.
pub use crate::Closed;
use crate::Message;

/// Output of [`Connection::poll_event`](super::Connection::poll_event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A complete message.
    Message(Message),
    /// A ping arrived; the core has already queued the pong.
    Ping(Bytes),
    /// A pong arrived.
    Pong {
        /// The pong's payload.
        payload: Bytes,
        /// The id (from [`Connection::ping`](super::Connection::ping)) of the ping this pong
        /// answers. It acknowledges that ping and every ping sent before it. `None` for an
        /// unsolicited pong.
        acknowledged: Option<u64>,
    },
    /// The WebSocket connection is closed; reported exactly once, and last.
    Closed(Closed),
}
