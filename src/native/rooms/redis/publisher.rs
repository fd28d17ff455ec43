//! Publishing: a bounded queue of messages waiting for Redis, and the task that sends them in
//! order, several per round trip, and sends them again after a reconnect.
//!
//! Every message gets this hub's next sequence number when queued. The publish script
//! applies a message only if its number is above the highest already applied to the room
//! for this hub, so resending after a lost reply applies nothing twice; and since one
//! connection carries the messages in queue order, what Redis applied is always a prefix
//! of what was sent: order holds too. A message Redis has not taken by its deadline is
//! dropped then, by a task of its own, connected or not, so that it frees its share of the
//! queue's budget on time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::MultiplexedConnection;
use redis::Value;
use tokio::sync::{oneshot, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::stream::PUBLISH_SCRIPT;
use super::{Outcome, Role, Shared};
use crate::rooms::{HubError, HubInner};
use crate::Message;

/// At most this many messages per round trip.
const MAX_BATCH: usize = 256;
/// At most about this many payload bytes per round trip.
const MAX_BATCH_BYTES: usize = 1 << 20;
/// How often an idle publisher checks whether its hub is gone.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Messages waiting for Redis, oldest first.
#[derive(Debug)]
pub(super) struct Queue {
    state: Mutex<QueueState>,
    wake: Notify,
    /// Wakes [`expire`] for a message that expires before it would look.
    expiry: Notify,
    /// Payload bytes that may wait; a publisher takes its message's share before queueing.
    budget: Arc<Semaphore>,
    budget_bytes: usize,
}

#[derive(Debug, Default)]
struct QueueState {
    next_sequence: u64,
    items: VecDeque<Item>,
    /// The last sequence number of the batch on the wire: until Redis replies, those
    /// messages may have been applied, so they are not dropped at their deadline.
    in_flight: Option<u64>,
    /// When [`expire`] looks at the queue next.
    armed: Option<Instant>,
}

#[derive(Debug)]
struct Item {
    sequence: u64,
    room: Arc<str>,
    text: bool,
    payload: Bytes,
    deadline: Instant,
    /// Resolves the message's [`Confirmation`].
    done: Option<oneshot::Sender<()>>,
    _budget: OwnedSemaphorePermit,
}

impl Item {
    /// Whether the item was sent in the batch whose last sequence number is `in_flight`.
    fn on_the_wire(&self, in_flight: Option<u64>) -> bool {
        in_flight.is_some_and(|last| self.sequence <= last)
    }
}

/// When a queued message is published: Redis acknowledged it, or its deadline passed.
#[derive(Debug)]
pub(in crate::native::rooms) struct Confirmation {
    /// `None`: confirmed already (in-process).
    waiting: Option<(oneshot::Receiver<()>, Instant, Duration)>,
}

impl Confirmation {
    pub(in crate::native::rooms) fn done() -> Self {
        Self { waiting: None }
    }

    pub(in crate::native::rooms) async fn wait(self) -> Result<(), HubError> {
        let Some((acknowledged, deadline, timeout)) = self.waiting else {
            return Ok(());
        };
        match tokio::time::timeout_at(deadline, acknowledged).await {
            Ok(Ok(())) => Ok(()),
            // Dropped unacknowledged: its deadline passed while the publisher held it.
            Ok(Err(_)) | Err(_) => Err(HubError::PublishTimeout(timeout)),
        }
    }
}

impl Queue {
    pub(super) fn new(budget_bytes: usize) -> Self {
        let budget_bytes = budget_bytes.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            state: Mutex::default(),
            wake: Notify::new(),
            expiry: Notify::new(),
            budget: Arc::new(Semaphore::new(budget_bytes)),
            budget_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Queues `message` for `room`, waiting while the queue holds its budget of bytes, at
    /// most `timeout`; Redis must take it within `timeout` of this call.
    pub(super) async fn accept(
        &self,
        room: &str,
        message: Message,
        timeout: Duration,
    ) -> Result<Confirmation, HubError> {
        let deadline = Instant::now() + timeout;
        let (text, payload) = match message {
            Message::Text(text) => (true, text.into_bytes()),
            Message::Binary(data) => (false, data),
        };
        // A message larger than the whole budget waits for all of it, so it still goes.
        let share = u32::try_from(payload.len().clamp(1, self.budget_bytes)).unwrap_or(u32::MAX);
        let budget =
            tokio::time::timeout_at(deadline, Arc::clone(&self.budget).acquire_many_owned(share))
                .await
                .map_err(|_| HubError::PublishTimeout(timeout))?
                .map_err(|_| HubError::PublishTimeout(timeout))?;
        // The budget may come as the deadline passes: too late to queue.
        if Instant::now() >= deadline {
            return Err(HubError::PublishTimeout(timeout));
        }
        let (done, acknowledged) = oneshot::channel();
        let early = {
            let mut state = self.lock();
            let sequence = state.next_sequence;
            state.next_sequence += 1;
            state.items.push_back(Item {
                sequence,
                room: room.into(),
                text,
                payload,
                deadline,
                done: Some(done),
                _budget: budget,
            });
            // One that waited for the budget can expire before the messages queued earlier.
            state.armed.is_some_and(|armed| deadline < armed)
        };
        if early {
            self.expiry.notify_one();
        }
        self.wake.notify_one();
        Ok(Confirmation {
            waiting: Some((acknowledged, deadline, timeout)),
        })
    }

    /// Drops the messages Redis did not take by their deadline (their waiters, if any, got
    /// the timeout) but those on the wire, and returns how many. One that was sent before
    /// may still have been applied; one sent later can only be applied after it (sequence
    /// numbers), so order holds either way.
    pub(super) fn drop_expired(&self, now: Instant) -> u64 {
        let mut state = self.lock();
        let in_flight = state.in_flight;
        let before = state.items.len();
        state
            .items
            .retain(|item| item.deadline > now || item.on_the_wire(in_flight));
        (before - state.items.len()) as u64
    }

    /// When [`expire`] should look next, at the latest `latest`: when the first message
    /// not on the wire expires. Deadlines follow the queue's order (the budget is handed
    /// out in turn), and a message queued with an earlier one than this wakes [`expire`].
    pub(super) fn arm(&self, latest: Instant) -> Instant {
        let mut state = self.lock();
        let in_flight = state.in_flight;
        let first = state
            .items
            .iter()
            .find(|item| !item.on_the_wire(in_flight))
            .map(|item| item.deadline);
        let next = first.map_or(latest, |deadline| deadline.min(latest));
        state.armed = Some(next);
        next
    }

    /// The oldest messages, up to a batch, to send now; they are on the wire until
    /// [`acknowledge`](Self::acknowledge) or [`connection_lost`](Self::connection_lost).
    pub(super) fn batch(&self) -> Vec<(u64, Arc<str>, bool, Bytes)> {
        let mut bytes = 0;
        let mut state = self.lock();
        let batch: Vec<_> = state
            .items
            .iter()
            .take(MAX_BATCH)
            .take_while(|item| {
                let take = bytes == 0 || bytes + item.payload.len() <= MAX_BATCH_BYTES;
                bytes += item.payload.len();
                take
            })
            .map(|item| {
                (
                    item.sequence,
                    Arc::clone(&item.room),
                    item.text,
                    item.payload.clone(),
                )
            })
            .collect();
        state.in_flight = batch.last().map(|(sequence, ..)| *sequence);
        batch
    }

    /// Redis applied the batch on the wire.
    pub(super) fn acknowledge(&self) {
        let done: Vec<Item> = {
            let mut state = self.lock();
            let last = state.in_flight.take();
            let count = state
                .items
                .iter()
                .take_while(|item| item.on_the_wire(last))
                .count();
            state.items.drain(..count).collect()
        };
        for mut item in done {
            if let Some(done) = item.done.take() {
                let _ = done.send(());
            }
        }
    }

    /// The connection failed with a batch on the wire: it is sent again on the next one,
    /// and expires like the rest meanwhile.
    pub(super) fn connection_lost(&self) {
        self.lock().in_flight = None;
    }
}

/// Drops queued messages at their deadline, connected or not, until the hub is gone (it
/// looks at least every [`IDLE_CHECK`]).
pub(super) async fn expire(shared: Arc<Shared>, hub: Weak<HubInner>) {
    while hub.strong_count() > 0 {
        let now = Instant::now();
        shared.dropped(&hub, shared.queue.drop_expired(now));
        let next = shared.queue.arm(now + IDLE_CHECK);
        let _ = tokio::time::timeout_at(next, shared.queue.expiry.notified()).await;
    }
}

/// One publishing connection: connects, sends the queue until the connection fails or the
/// hub is gone.
pub(super) async fn session(shared: Arc<Shared>, hub: Weak<HubInner>) -> Outcome {
    let (connection, script) = match connect(&shared).await {
        Ok(connected) => connected,
        Err(error) => return Outcome::failed(error),
    };
    *shared
        .command
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
    shared.up(Role::Publish, &hub);
    let started = Instant::now();
    let failed = send_queue(&shared, &hub, connection, &script).await;
    shared.queue.connection_lost();
    *shared
        .command
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = None;
    Outcome::served(failed, started)
}

/// A publishing connection with the script loaded (Redis forgets scripts when it restarts).
async fn connect(shared: &Shared) -> Result<(MultiplexedConnection, String), String> {
    let mut connection = shared
        .connect(Role::Publish, shared.options.response_timeout)
        .await?;
    let script: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(PUBLISH_SCRIPT)
        .query_async(&mut connection)
        .await
        .map_err(|error| error.to_string())?;
    Ok((connection, script))
}

/// Sends the queue until the connection fails (its error) or the hub is gone (`None`).
async fn send_queue(
    shared: &Shared,
    hub: &Weak<HubInner>,
    mut connection: MultiplexedConnection,
    script: &str,
) -> Option<String> {
    let ttl = shared.options.room_ttl.as_secs().max(1);
    loop {
        let batch = shared.queue.batch();
        if batch.is_empty() {
            if hub.strong_count() == 0 {
                return None;
            }
            let _ = tokio::time::timeout(IDLE_CHECK, shared.queue.wake.notified()).await;
            continue;
        }
        let mut pipe = redis::pipe();
        for (sequence, room, text, payload) in &batch {
            pipe.cmd("EVALSHA")
                .arg(script)
                .arg(3)
                .arg(shared.keys.stream(room))
                .arg(shared.keys.counter(room))
                .arg(shared.keys.publisher_mark(room, &shared.publisher))
                .arg(*sequence)
                .arg(if *text { "t" } else { "b" })
                .arg(&payload[..])
                .arg(shared.options.retention)
                .arg(ttl);
        }
        let replies: Vec<Value> = match pipe.query_async(&mut connection).await {
            Ok(replies) => replies,
            Err(error) => return Some(error.to_string()),
        };
        if let Some(Value::ServerError(error)) = replies
            .iter()
            .find(|reply| matches!(reply, Value::ServerError(_)))
        {
            // Applied messages are no-ops when sent again; start over on a fresh connection.
            return Some(format!("{error:?}"));
        }
        shared.queue.acknowledge();
    }
}
