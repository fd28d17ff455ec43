//! What the core reports to its driver.

use bytes::Bytes;

use crate::{CloseCode, Message, ProtocolError};

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

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    /// The code of the close that ended the connection: the peer's if the peer closed
    /// first, this side's otherwise; [`CloseCode::NO_STATUS`] (1005) for a close frame
    /// without a code and [`CloseCode::ABNORMAL`] (1006) when the TCP connection ended without one.
    pub code: CloseCode,
    /// The reason that came with `code`.
    pub reason: String,
    /// Whether the peer started the close (or dropped the connection).
    pub by_peer: bool,
    /// Whether both close frames were exchanged.
    pub clean: bool,
    /// The protocol violation or timeout that made this side close, if any.
    pub error: Option<ProtocolError>,
}
