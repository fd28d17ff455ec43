//! The rooms' Redis backend: a stream per room, one connection that publishes and one that
//! reads, per node.

mod options;
mod publisher;
mod reader;
mod stream;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;
use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;

use super::table::Table;
use super::{Hub, HubError, HubEvent, HubInner, HubStatus};
use crate::backoff::Schedule;
use crate::Message;
pub use options::RedisOptions;
pub(super) use publisher::Confirmation;
pub(super) use stream::Cursor;
use stream::{newest_id, string, Keys};

/// A running Redis backend: what the hub, its publishing task and its reading task share.
#[derive(Debug)]
pub(super) struct Backend {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    options: RedisOptions,
    keys: Keys,
    /// Names this hub as a publisher, for the exactly-once marks.
    publisher: String,
    queue: publisher::Queue,
    /// The publishing connection while it is up, for joins and for waking the reader.
    command: Mutex<Option<MultiplexedConnection>>,
    /// The reading connection's `CLIENT ID` while it is up.
    reader_id: Mutex<Option<i64>>,
    /// Wakes a reader that has no room to read.
    rooms_changed: tokio::sync::Notify,
    health: Mutex<Health>,
}

#[derive(Debug, Default)]
struct Health {
    publisher_up: bool,
    reader_up: bool,
    /// The last state reported (connected or not; none yet), so each change is reported once.
    reported: Option<bool>,
    disconnects: u64,
    gaps: u64,
    dropped: u64,
    lag: Option<Duration>,
    last_error: Option<String>,
}

/// Which of the two connections.
#[derive(Clone, Copy, Debug)]
enum Role {
    Publish,
    Read,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Self::Publish => "publish",
            Self::Read => "read",
        }
    }
}

impl Backend {
    pub(super) fn new(options: RedisOptions) -> Self {
        let shared = Arc::new(Shared {
            keys: Keys::new(&options.key_prefix),
            publisher: publisher_name(),
            queue: publisher::Queue::new(options.max_pending_bytes),
            command: Mutex::new(None),
            reader_id: Mutex::new(None),
            rooms_changed: tokio::sync::Notify::new(),
            health: Mutex::default(),
            options,
        });
        Self { shared }
    }

    /// Starts the publishing, the reading and the expiring task on a thread of their own, with a
    /// single-threaded runtime; they end when `hub` is dropped. Under load the application's
    /// runtime is busy with its connections, and a message's two turns here (publish, read)
    /// should not each wait behind all of them (BENCHMARKS.md, "Rooms across nodes").
    pub(super) fn spawn(&self, hub: Weak<HubInner>) -> std::io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new()
            .name("squall-rooms".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let publish = supervise(
                        Arc::clone(&shared),
                        hub.clone(),
                        Role::Publish,
                        publisher::session,
                    );
                    let read = supervise(
                        Arc::clone(&shared),
                        hub.clone(),
                        Role::Read,
                        reader::session,
                    );
                    let expire = publisher::expire(shared, hub);
                    futures_util::future::join3(publish, read, expire).await;
                });
            })?;
        Ok(())
    }

    pub(super) async fn publish(
        &self,
        room: &str,
        message: Message,
    ) -> Result<Confirmation, HubError> {
        let timeout = self.shared.options.publish_timeout;
        self.shared.queue.accept(room, message, timeout).await
    }

    /// Learns where `room` stands in Redis, so that its new local member receives what is
    /// published from now on, and has the reader include it.
    pub(super) async fn open_room(&self, table: &Table, room: &str, generation: u64) {
        let shared = &self.shared;
        let asked = tokio::time::timeout(shared.options.connect_timeout, shared.position(room));
        let cursor = match asked.await {
            Ok(Ok(cursor)) => cursor,
            outcome => {
                let why = match outcome {
                    Ok(Err(error)) => error,
                    _ => "timed out".to_owned(),
                };
                tracing::debug!(target: "squall::rooms", room, why, "room opened from this node's clock");
                Cursor::from_clock(unix_ms().saturating_sub(CLOCK_MARGIN_MS))
            }
        };
        {
            let mut state = table.lock();
            match state.rooms.get_mut(room) {
                Some(entry) if entry.generation == generation => entry.cursor = Some(cursor),
                _ => return,
            }
        }
        shared.wake_reader().await;
    }

    /// `status` with the backend's part filled in.
    pub(super) fn status(&self, mut status: HubStatus) -> HubStatus {
        let health = self.shared.health();
        status.backend = "redis";
        status.connected = health.publisher_up && health.reader_up;
        status.pending_publishes = self.shared.queue.len();
        status.dropped = health.dropped;
        status.lag = health.lag;
        status.disconnects = health.disconnects;
        status.gaps = health.gaps;
        status.last_error = if status.connected {
            None
        } else {
            health.last_error.clone()
        };
        status
    }
}

/// How far before this node's clock a room opened without Redis starts, for the two clocks'
/// disagreement.
const CLOCK_MARGIN_MS: u64 = 1_000;

impl Shared {
    fn health(&self) -> MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a connection for `role`, named `squall:NODE:ROLE` in `CLIENT LIST`.
    async fn connect(
        &self,
        role: Role,
        response_timeout: Duration,
    ) -> Result<MultiplexedConnection, String> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.options.connect_timeout))
            .set_response_timeout(Some(response_timeout));
        let mut connection = self
            .options
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|error| error.to_string())?;
        let name = format!("squall:{}:{}", self.options.node_name, role.name());
        redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(name)
            .query_async::<()>(&mut connection)
            .await
            .map_err(|error| error.to_string())?;
        Ok(connection)
    }

    /// The room's newest entry and counter, read together.
    async fn position(&self, room: &str) -> Result<Cursor, String> {
        let connection = self
            .command
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut connection = connection.ok_or("not connected")?;
        let (newest, counter): (redis::Value, Option<u64>) = redis::pipe()
            .atomic()
            .cmd("XREVRANGE")
            .arg(self.keys.stream(room))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .cmd("GET")
            .arg(self.keys.counter(room))
            .query_async(&mut connection)
            .await
            .map_err(|error| error.to_string())?;
        Ok(Cursor::at(newest_id(&newest), counter))
    }

    /// Has the reader read the room set again: wakes it if idle, unblocks its `XREAD`.
    async fn wake_reader(&self) {
        self.rooms_changed.notify_one();
        let id = *self
            .reader_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let connection = self
            .command
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let (Some(id), Some(mut connection)) = (id, connection) {
            // Best effort: a reader that misses it re-reads the set when its block ends.
            let mut unblock = redis::cmd("CLIENT");
            unblock.arg("UNBLOCK").arg(id);
            let sent = unblock.query_async::<i64>(&mut connection);
            let _ = tokio::time::timeout(self.options.connect_timeout, sent).await;
        }
    }

    /// A connection came up: reported once both are.
    fn up(&self, role: Role, hub: &Weak<HubInner>) {
        let report = {
            let mut health = self.health();
            match role {
                Role::Publish => health.publisher_up = true,
                Role::Read => health.reader_up = true,
            }
            let report = health.publisher_up && health.reader_up && health.reported != Some(true);
            if report {
                health.reported = Some(true);
                health.last_error = None;
            }
            report
        };
        if report {
            tracing::info!(target: "squall::rooms", node = %self.options.node_name, "connected to Redis");
            self.emit(hub, &HubEvent::Connected);
        }
    }

    /// A connection failed or could not be opened: reported once per outage.
    fn down(&self, role: Role, error: String, hub: &Weak<HubInner>) {
        let report = {
            let mut health = self.health();
            let was_up = match role {
                Role::Publish => std::mem::replace(&mut health.publisher_up, false),
                Role::Read => std::mem::replace(&mut health.reader_up, false),
            };
            health.disconnects += u64::from(was_up);
            health.last_error = Some(error.clone());
            health.reported.replace(false) != Some(false)
        };
        tracing::warn!(target: "squall::rooms", node = %self.options.node_name, role = role.name(), error, "Redis connection failed; retrying");
        if report {
            self.emit(hub, &HubEvent::Disconnected { error });
        }
    }

    /// Reports messages whose publishers stopped waiting and that Redis never took.
    fn dropped(&self, hub: &Weak<HubInner>, messages: u64) {
        if messages == 0 {
            return;
        }
        self.health().dropped += messages;
        tracing::warn!(target: "squall::rooms", node = %self.options.node_name, messages, "messages not published within the publish timeout were dropped");
        self.emit(hub, &HubEvent::Dropped { messages });
    }

    fn gap(&self, hub: &Weak<HubInner>, gap: super::Gap) {
        self.health().gaps += 1;
        tracing::warn!(target: "squall::rooms", node = %self.options.node_name, %gap, "gap");
        self.emit(hub, &HubEvent::Gap(gap));
    }

    /// Calls the application's hook, if any, outside every lock; a panic in it is contained.
    fn emit(&self, hub: &Weak<HubInner>, event: &HubEvent) {
        let (Some(hook), Some(inner)) = (self.options.hook.as_ref(), hub.upgrade()) else {
            return;
        };
        let hub = Hub { inner };
        if std::panic::catch_unwind(AssertUnwindSafe(|| hook(&hub, event))).is_err() {
            tracing::error!(target: "squall::rooms", ?event, "the hub's event hook panicked");
        }
    }
}

/// How one connection of a backend task ended.
enum Outcome {
    /// The hub was dropped: the task ends.
    HubGone,
    /// Connecting or serving failed; `uptime` is how long the connection had served.
    Failed {
        error: String,
        uptime: Option<Duration>,
    },
}

impl Outcome {
    fn failed(error: String) -> Self {
        Self::Failed {
            error,
            uptime: None,
        }
    }

    /// How a connection that came up at `started` ended: with its serving loop's error, or
    /// (none) because the hub is gone.
    fn served(failed: Option<String>, started: tokio::time::Instant) -> Self {
        match failed {
            None => Self::HubGone,
            Some(error) => Self::Failed {
                error,
                uptime: Some(started.elapsed()),
            },
        }
    }
}

/// Runs a backend task: `session` connects and serves until it fails or the hub is gone;
/// failures are reported and followed by the backoff's delay.
async fn supervise<S, F>(shared: Arc<Shared>, hub: Weak<HubInner>, role: Role, mut session: S)
where
    S: FnMut(Arc<Shared>, Weak<HubInner>) -> F,
    F: Future<Output = Outcome>,
{
    let mut schedule = Schedule::new(shared.options.backoff.clone());
    while hub.strong_count() > 0 {
        schedule.start_attempt();
        // A bug in a session must not leave the node deaf: it counts as a failed connection.
        let run = AssertUnwindSafe(session(Arc::clone(&shared), hub.clone())).catch_unwind();
        let outcome = run
            .await
            .unwrap_or_else(|_| Outcome::failed("the backend task panicked".to_owned()));
        match outcome {
            Outcome::HubGone => return,
            Outcome::Failed { error, uptime } => {
                shared.down(role, error, &hub);
                if let Some(uptime) = uptime {
                    schedule.connection_ended(uptime);
                }
            }
        }
        let delay = schedule
            .next_delay()
            .unwrap_or_else(|| shared.options.backoff.delay(u32::MAX, 0.0));
        tokio::time::sleep(delay).await;
    }
}

/// A name no other hub has: the exactly-once marks of two hubs must not mix.
fn publisher_name() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 12];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The reply of `CLIENT ID`.
async fn client_id(connection: &mut MultiplexedConnection) -> Result<i64, String> {
    let reply: redis::Value = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(connection)
        .await
        .map_err(|error| error.to_string())?;
    string(&reply)
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| format!("unexpected CLIENT ID reply {reply:?}"))
}
