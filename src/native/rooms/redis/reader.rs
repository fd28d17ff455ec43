//! Reading: one blocking `XREAD` over the streams of every room with local members, each from
//! the last entry this node delivered, and delivery to the local members.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, Weak};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use super::stream::{parse_xread, Entry, StreamId};
use super::{client_id, unix_ms, Outcome, Role, Shared};
use crate::native::server::broadcast::encode_parts;
use crate::rooms::{Gap, HubInner};

/// How long one `XREAD` blocks: also how soon a reader sees a new room if the nudge that
/// should unblock it arrives just before it blocks.
const BLOCK: Duration = Duration::from_secs(1);
/// Entries per stream per `XREAD`.
const COUNT: usize = 512;

/// One reading connection: connects, checks for data Redis lost while this node was away,
/// follows the streams until the connection fails or the hub is gone.
pub(super) async fn session(shared: Arc<Shared>, hub: Weak<HubInner>) -> Outcome {
    let response_timeout = BLOCK + shared.options.response_timeout;
    let mut connection = match shared.connect(Role::Read, response_timeout).await {
        Ok(connection) => connection,
        Err(error) => return Outcome::failed(error),
    };
    let id = match client_id(&mut connection).await {
        Ok(id) => id,
        Err(error) => return Outcome::failed(error),
    };
    *shared
        .reader_id
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(id);
    let started = Instant::now();
    let failed = match check_counters(&shared, &hub, &mut connection).await {
        Ok(()) => {
            shared.up(Role::Read, &hub);
            follow(&shared, &hub, connection).await
        }
        Err(error) => Some(error),
    };
    *shared
        .reader_id
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = None;
    Outcome::served(failed, started)
}

/// A room as one `XREAD` reads it.
struct Reading {
    room: Arc<str>,
    generation: u64,
}

/// After (re)connecting: a room whose counter is below this node's position lost its data
/// (Redis restarted empty): reported now, not at its next message.
async fn check_counters(
    shared: &Shared,
    hub: &Weak<HubInner>,
    connection: &mut MultiplexedConnection,
) -> Result<(), String> {
    let rooms: Vec<Arc<str>> = match hub.upgrade() {
        Some(inner) => inner
            .table
            .lock()
            .rooms
            .iter()
            .filter(|(_, room)| room.cursor.is_some_and(|cursor| cursor.number.is_some()))
            .map(|(name, _)| Arc::clone(name))
            .collect(),
        None => return Ok(()),
    };
    if rooms.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for room in &rooms {
        pipe.cmd("GET").arg(shared.keys.counter(room));
    }
    let counters: Vec<Option<u64>> = pipe
        .query_async(connection)
        .await
        .map_err(|error| error.to_string())?;
    let Some(inner) = hub.upgrade() else {
        return Ok(());
    };
    let now = unix_ms();
    let gaps: Vec<Gap> = {
        let mut state = inner.table.lock();
        rooms
            .iter()
            .zip(counters)
            .filter_map(|(name, counter)| {
                let cursor = state.rooms.get_mut(name)?.cursor.as_mut()?;
                cursor.check_counter(name, counter, now, shared.options.room_ttl)
            })
            .collect()
    };
    drop(inner);
    for gap in gaps {
        shared.gap(hub, gap);
    }
    Ok(())
}

/// Reads and delivers until the connection fails (its error) or the hub is gone (`None`).
async fn follow(
    shared: &Shared,
    hub: &Weak<HubInner>,
    mut connection: MultiplexedConnection,
) -> Option<String> {
    loop {
        let (keys, ids, readings) = {
            let inner = hub.upgrade()?;
            let state = inner.table.lock();
            let mut keys = Vec::new();
            let mut ids = Vec::new();
            let mut readings = HashMap::new();
            for (name, room) in &state.rooms {
                if let Some(cursor) = room.cursor {
                    let key = shared.keys.stream(name);
                    keys.push(key.clone());
                    ids.push(cursor.id.to_string());
                    readings.insert(
                        key,
                        Reading {
                            room: Arc::clone(name),
                            generation: room.generation,
                        },
                    );
                }
            }
            (keys, ids, readings)
        };
        if keys.is_empty() {
            // Nothing to read; a join wakes this, and the check keeps the connection honest.
            let _ = tokio::time::timeout(BLOCK, shared.rooms_changed.notified()).await;
            if let Err(error) = redis::cmd("PING").query_async::<()>(&mut connection).await {
                return Some(error.to_string());
            }
            continue;
        }
        let reply = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(COUNT)
            .arg("BLOCK")
            .arg(u64::try_from(BLOCK.as_millis()).unwrap_or(u64::MAX))
            .arg("STREAMS")
            .arg(&keys)
            .arg(&ids)
            .query_async(&mut connection)
            .await;
        let streams = match reply
            .map_err(|error| error.to_string())
            .and_then(parse_xread)
        {
            Ok(streams) => streams,
            Err(error) => return Some(error),
        };
        if streams.is_empty() {
            continue;
        }
        let inner = hub.upgrade()?;
        let mut gaps = Vec::new();
        let mut newest = None;
        {
            let mut state = inner.table.lock();
            for (key, entries) in streams {
                let Some(reading) = readings.get(&key) else {
                    continue;
                };
                let Some(room) = state
                    .rooms
                    .get_mut(&reading.room)
                    .filter(|room| room.generation == reading.generation)
                else {
                    // Emptied (and maybe filled again from a new position) meanwhile.
                    continue;
                };
                let Some(cursor) = room.cursor.as_mut() else {
                    continue;
                };
                let mut frames = Vec::with_capacity(entries.len());
                for Entry {
                    id,
                    number,
                    text,
                    payload,
                } in entries
                {
                    if id <= cursor.id {
                        continue;
                    }
                    gaps.extend(cursor.advance(&reading.room, id, number, shared.options.room_ttl));
                    newest = newest.max(Some(id));
                    frames.push(encode_parts(text, &payload));
                }
                for frame in &frames {
                    state.deliver(&reading.room, frame);
                }
            }
        }
        drop(inner);
        if let Some(StreamId { ms, .. }) = newest {
            shared.health().lag = Some(Duration::from_millis(unix_ms().saturating_sub(ms)));
        }
        for gap in gaps {
            shared.gap(hub, gap);
        }
    }
}
