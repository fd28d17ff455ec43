//! What a [`Hub`](super::Hub) reports: its errors, its state, and the events of its backend.

use std::time::Duration;

/// Why a [`Hub`](super::Hub) operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The Redis URL could not be parsed (checked by [`Hub::redis`](super::Hub::redis), at
    /// start-up, before any connection is tried).
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
    /// [`Hub::redis`](super::Hub::redis) could not start its thread.
    #[error("cannot start the hub's Redis thread: {0}")]
    Start(std::io::Error),
    /// Redis did not take the message within the publish timeout (it was unreachable, or
    /// too many messages were waiting). The message was not published, unless it had already
    /// been sent when the connection failed: then it may have been, and is in order with
    /// this node's other messages either way. It is never published twice.
    #[error("publishing timed out after {0:?} (Redis unreachable or overloaded)")]
    PublishTimeout(Duration),
}

/// A snapshot of a [`Hub`](super::Hub)'s state, for health checks and metrics
/// ([`Hub::status`](super::Hub::status)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubStatus {
    /// `"in-process"` or `"redis"`.
    pub backend: &'static str,
    /// Whether the backend can deliver: always for in-process; for Redis, whether both the
    /// publishing and the reading connection are up.
    pub connected: bool,
    /// Rooms with local members.
    pub rooms: usize,
    /// Local memberships, over all rooms.
    pub members: usize,
    /// Messages published on this node that Redis has not acknowledged yet.
    pub pending_publishes: usize,
    /// Messages published on this node that Redis did not take within the publish timeout
    /// ([`HubEvent::Dropped`]).
    pub dropped: u64,
    /// How long the newest message this node delivered took from Redis to here (by the
    /// Redis server's clock against this node's, so only as exact as the two agree).
    pub lag: Option<Duration>,
    /// Connections to Redis lost since the start.
    pub disconnects: u64,
    /// Gaps found since the start ([`HubEvent::Gap`]).
    pub gaps: u64,
    /// The last connection error, while disconnected.
    pub last_error: Option<String>,
}

/// Something a [`Hub`](super::Hub)'s backend went through, given to the hook set with
/// [`RedisOptions::on_event`](super::RedisOptions::on_event) and logged with `tracing`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubEvent {
    /// Both connections to Redis are up: published messages flow again, and any backlog is
    /// being delivered.
    Connected,
    /// A connection to Redis failed; the hub retries with backoff. Nothing is lost while it
    /// does: publishing waits (up to the publish timeout) and reading resumes where it
    /// stopped.
    Disconnected {
        /// What failed.
        error: String,
    },
    /// Messages published on this node were dropped: Redis did not take them within the
    /// publish timeout. A publisher that waits on its [`Published`](super::Published) also
    /// gets [`HubError::PublishTimeout`]; one that dropped it learns it only here.
    Dropped {
        /// How many.
        messages: u64,
    },
    /// Messages of a room cannot be delivered to this node's members: they are gone from
    /// Redis. Tell the room's clients to resync (for example with
    /// [`Hub::send_local`](super::Hub::send_local)).
    Gap(Gap),
}

/// Messages of one room that this node could not deliver ([`HubEvent::Gap`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The room.
    pub room: String,
    /// Why the messages are gone.
    pub reason: GapReason,
    /// How many were missed, when known.
    pub missed: Option<u64>,
}

/// Why a [`Gap`] happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GapReason {
    /// This node fell further behind than the room's retention
    /// ([`RedisOptions::retention`](super::RedisOptions::retention)): the oldest messages
    /// were trimmed before it read them.
    Trimmed,
    /// Redis lost the room's data (restarted without persistence, flushed, or failed over
    /// to a replica that had not received it).
    Reset,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self.reason {
            GapReason::Trimmed => "trimmed from Redis before this node read them",
            GapReason::Reset => "Redis lost the room's data",
        };
        match self.missed {
            Some(missed) => write!(f, "{missed} message(s) of room {:?} lost: {why}", self.room),
            None => write!(f, "messages of room {:?} may be lost: {why}", self.room),
        }
    }
}
