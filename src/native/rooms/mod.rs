//! Rooms: named groups of connections that receive the same messages, on one server process
//! or, with the Redis backend (feature `redis`), on several.
//!
//! A [`Hub`] holds the rooms. [`Hub::join`] adds a connection to a room and returns a
//! [`Membership`] that ends by itself when the connection closes (or earlier with
//! [`Membership::leave`]): no `on_close` bookkeeping, nothing leaks when a handler forgets
//! or panics. [`Hub::publish`] sends a message to every member of a room, on every node;
//! each node encodes the frame once and queues it on its members without waiting, and a
//! member with more than its write-buffer high-water mark unread is closed with 1013 (try
//! again later) while the others go on, the rule of [`Broadcast`](crate::Broadcast).
//!
//! ```no_run
//! use squall::rooms::Hub;
//! use squall::{Application, Message, PathArgs, WebSocket, WebSocketHandler};
//!
//! struct Chat { hub: Hub, room: String }
//!
//! impl WebSocketHandler for Chat {
//!     async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
//!         self.room = args.get(0).unwrap_or("lobby").to_owned();
//!         self.hub.join(&self.room, ws).await; // left when the connection closes
//!     }
//!     async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
//!         if let Err(error) = self.hub.publish(&self.room, message).await {
//!             eprintln!("not published: {error}");
//!         }
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let hub = Hub::new(); // or Hub::redis(RedisOptions::new("redis://127.0.0.1:6379")?)?
//! let app = Application::new().route(r"/chat/(\w+)", move || Chat { hub: hub.clone(), room: String::new() });
//! app.listen("127.0.0.1:8888").await?.wait().await;
//! # Ok(()) }
//! ```
//!
//! ## Backends
//! - **In-process** ([`Hub::new`], the default): one server process, nothing outside it.
//!   `publish` delivers at once and never fails.
//! - **Redis** ([`Hub::redis`], feature `redis`): several processes share the rooms. See
//!   [`RedisOptions`] for what is guaranteed, how outages are handled, and the knobs.

mod status;
mod table;

#[cfg(feature = "redis")]
mod redis;

use std::sync::{Arc, Weak};

#[cfg(feature = "redis")]
pub use self::redis::RedisOptions;
#[cfg(feature = "redis")]
pub use crate::backoff::Backoff;
pub use status::{Gap, GapReason, HubError, HubEvent, HubStatus};

#[cfg(feature = "redis")]
use self::redis::Confirmation;
use crate::native::server::broadcast::encode;
use crate::{Message, WebSocket};
use table::{ConnectionKey, Table};

/// Named rooms of connections: join, publish, leave, count; in-process or across server
/// processes through Redis. Cheap to clone (one shared hub); `Send + Sync`, so handlers,
/// background tasks and other services in the process can all publish. See the
/// [module docs](self).
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    table: Table,
    #[cfg(feature = "redis")]
    redis: Option<redis::Backend>,
}

/// Without the Redis backend, every publish is confirmed at once.
#[cfg(not(feature = "redis"))]
#[derive(Debug)]
struct Confirmation;

#[cfg(not(feature = "redis"))]
impl Confirmation {
    fn done() -> Self {
        Self
    }

    async fn wait(self) -> Result<(), HubError> {
        Ok(())
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub whose rooms live in this process.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(HubInner {
                table: Table::default(),
                #[cfg(feature = "redis")]
                redis: None,
            }),
        }
    }

    /// A hub whose rooms span every server process that uses the same Redis (and key
    /// prefix). Starts its two background tasks (publishing and reading) at once, on a
    /// thread of their own (`squall-rooms`); they connect, and reconnect with backoff, by
    /// themselves: a Redis that is down at start-up delays delivery, not the server.
    ///
    /// # Errors
    /// [`HubError::Start`] if that thread cannot be started.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), squall::rooms::HubError> {
    /// use squall::rooms::{Hub, RedisOptions};
    ///
    /// let options = RedisOptions::new("redis://127.0.0.1:6379/0")?.key_prefix("chat");
    /// let hub = Hub::redis(options)?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis(options: RedisOptions) -> Result<Self, HubError> {
        let backend = redis::Backend::new(options);
        let inner = Arc::new(HubInner {
            table: Table::default(),
            redis: Some(backend),
        });
        if let Some(backend) = &inner.redis {
            backend
                .spawn(Arc::downgrade(&inner))
                .map_err(HubError::Start)?;
        }
        Ok(Self { inner })
    }

    /// Adds `ws` to `room` (created on first use). The membership ends when the connection
    /// closes, or with [`Membership::leave`]; dropping the returned value does not end it.
    ///
    /// Once this returns, the member receives every message published to the room (on any
    /// node) after that. With Redis, the first local member of a room waits for one round
    /// trip to learn where the room's messages stand; while Redis is unreachable it waits at
    /// most the connect timeout and then starts from this node's clock (the Redis server's
    /// clock and this node's should agree within a second).
    pub async fn join(&self, room: &str, ws: &WebSocket) -> Membership {
        let joined = self
            .inner
            .table
            .join(&Arc::downgrade(&self.inner), room, ws);
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.inner.redis {
            // The room's first local member asks Redis where it stands; later ones wait for that.
            joined
                .ready
                .get_or_init(|| redis.open_room(&self.inner.table, room, joined.generation))
                .await;
        }
        Membership {
            hub: Arc::downgrade(&self.inner),
            room: room.into(),
            id: joined.id,
            key: joined.key,
        }
    }

    /// Sends `message` (text or binary) to every member of `room`, on every node, after
    /// every message this hub published before it. In-process it is delivered before this
    /// returns. With Redis it resolves once the message is queued for Redis, in order; the
    /// returned [`Published`] tells when Redis holds it. A handler that awaits each publish
    /// keeps its sender's messages in order without waiting a Redis round trip per message.
    ///
    /// # Errors
    /// [`HubError::PublishTimeout`] (Redis backend only) when more than
    /// [`RedisOptions::max_pending_bytes`] are waiting for Redis for longer than
    /// [`RedisOptions::publish_timeout`].
    pub async fn publish(
        &self,
        room: &str,
        message: impl Into<Message>,
    ) -> Result<Published, HubError> {
        let message = message.into();
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.inner.redis {
            return redis.publish(room, message).await.map(Published);
        }
        self.send_local(room, message);
        Ok(Published(Confirmation::done()))
    }

    /// Sends `message` to this node's members of `room` only, at once, bypassing the
    /// backend: for notices about this node (such as a [`Gap`]). Returns how many took it.
    pub fn send_local(&self, room: &str, message: impl Into<Message>) -> usize {
        self.inner.table.deliver(room, &encode(&message.into()))
    }

    /// How many of this node's connections are members of `room`.
    pub fn local_members(&self, room: &str) -> usize {
        self.inner.table.members(room)
    }

    /// The hub's state: backend, connection, backlog, gaps.
    pub fn status(&self) -> HubStatus {
        let (rooms, members) = self.inner.table.lock().counts();
        let status = HubStatus {
            backend: "in-process",
            connected: true,
            rooms,
            members,
            pending_publishes: 0,
            dropped: 0,
            lag: None,
            disconnects: 0,
            gaps: 0,
            last_error: None,
        };
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.inner.redis {
            return redis.status(status);
        }
        status
    }
}

/// A message [`Hub::publish`] took; [`confirmed`](Self::confirmed) waits until it is
/// published. Dropping it is fine: the message goes on, and if Redis does not take it in
/// time the hub reports it ([`HubEvent::Dropped`], [`HubStatus::dropped`]).
#[derive(Debug)]
pub struct Published(Confirmation);

impl Published {
    /// Resolves once every node can deliver the message: at once in-process; with Redis
    /// once Redis holds it.
    ///
    /// # Errors
    /// [`HubError::PublishTimeout`] when Redis did not take it within
    /// [`RedisOptions::publish_timeout`] of the publish (it was not published, or, if it
    /// had been sent when the connection failed, may have been; never twice).
    pub async fn confirmed(self) -> Result<(), HubError> {
        self.0.wait().await
    }
}

/// One connection's membership of one room ([`Hub::join`]). It ends when the connection
/// closes; [`leave`](Self::leave) ends it earlier. Dropping it ends nothing.
#[derive(Debug)]
pub struct Membership {
    hub: Weak<HubInner>,
    room: Arc<str>,
    id: u64,
    key: ConnectionKey,
}

impl Membership {
    /// The room's name.
    pub fn room(&self) -> &str {
        &self.room
    }

    /// Leaves the room now (a room without local members is no longer received here).
    pub fn leave(self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.table.leave(self.key, &self.room, self.id);
        }
    }
}
