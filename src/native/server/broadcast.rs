//! `Broadcast`: send one message to many connections, encoding its frame once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use super::websocket::WebSocket;
use crate::native::driver::TrySendError;
use crate::protocol::frame::{encode_frame, OpCode};
use crate::{CloseCode, CloseFrame, Message};

/// A set of connections that receive the same messages: the chat-room pattern.
///
/// [`send`](Self::send) encodes the frame once and queues it on every member without
/// waiting. **Slow-consumer policy**: a member with more than its write-buffer
/// high-water mark ([`Settings::write_buffer_high_water`](super::Settings), 1 MiB by
/// default) of bytes its peer has not read yet is removed and closed with 1013 (try again
/// later), so one slow reader can
/// neither grow the server's memory nor hold back the others.
///
/// ```no_run
/// use squall::{Broadcast, Message, WebSocket, WebSocketHandler, PathArgs};
///
/// struct Chat { room: Broadcast, member: Option<u64> }
///
/// impl WebSocketHandler for Chat {
///     async fn open(&mut self, ws: &WebSocket, _args: PathArgs) {
///         self.member = Some(self.room.join(ws));
///     }
///     async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
///         self.room.send(message);
///     }
///     async fn on_close(&mut self, _ws: &WebSocket) {
///         if let Some(id) = self.member { self.room.leave(id); }
///     }
/// }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Broadcast {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: AtomicU64,
    members: Mutex<HashMap<u64, WebSocket>>,
}

impl Broadcast {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a connection; returns the id to [`leave`](Self::leave) with.
    pub fn join(&self, ws: &WebSocket) -> u64 {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.members().insert(id, ws.clone());
        id
    }

    /// Removes a connection (closed members are also dropped by the next `send`).
    pub fn leave(&self, id: u64) {
        self.members().remove(&id);
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members().len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues `message` on every member without waiting, and returns how many took it.
    /// Members that are closed are removed; members over their high-water mark are removed and
    /// closed with 1013.
    pub fn send(&self, message: impl Into<Message>) -> usize {
        let frame = encode(&message.into());
        let mut delivered = 0;
        self.members().retain(|_, ws| {
            let taken = offer(ws, &frame);
            delivered += usize::from(taken);
            taken
        });
        delivered
    }

    fn members(&self) -> std::sync::MutexGuard<'_, HashMap<u64, WebSocket>> {
        // A panic while holding the lock leaves the map itself consistent.
        self.inner
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A message's frame, encoded once for every member: large frames are then shared by every
/// member's output, not copied.
pub(crate) fn encode(message: &Message) -> Bytes {
    encode_parts(message.is_text(), message.as_bytes())
}

/// [`encode`] for a payload held apart from a [`Message`].
pub(crate) fn encode_parts(text: bool, payload: &[u8]) -> Bytes {
    let opcode = if text { OpCode::Text } else { OpCode::Binary };
    Bytes::from(encode_frame(opcode, payload))
}

/// Queues `frame` on `ws` without waiting; `false` when `ws` is closed or was too slow. The
/// slow-consumer rule: a member with more than its write-buffer high-water mark unread is
/// closed with 1013, so it can neither grow the server's memory nor hold back the others.
pub(crate) fn offer(ws: &WebSocket, frame: &Bytes) -> bool {
    match ws.handle().try_send_encoded(frame) {
        Ok(()) => true,
        Err(TrySendError::Closed) => false,
        Err(TrySendError::Full) => {
            tracing::debug!(peer = ?ws.request().peer_addr(), "slow consumer closed with 1013");
            let frame = CloseFrame::new(CloseCode::TRY_AGAIN_LATER, "slow consumer").ok();
            let _ = ws.handle().start_close(frame);
            false
        }
    }
}
