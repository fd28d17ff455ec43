//! This node's side of the rooms: which local connections are members of which room, and
//! delivery to them. Whatever backend carries messages between nodes ends here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bytes::Bytes;
use tokio::sync::OnceCell;

#[cfg(feature = "redis")]
use super::redis::Cursor;
use super::HubInner;
use crate::native::driver::Shared;
use crate::native::server::broadcast::offer;
use crate::WebSocket;

/// Identifies one connection while it is open: the address of its shared state, which the
/// connection's close watcher keeps alive until the entry is gone.
pub(super) type ConnectionKey = usize;

/// The local rooms, behind one lock.
#[derive(Debug, Default)]
pub(super) struct Table {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) rooms: HashMap<Arc<str>, Room>,
    /// Each connection that joined a room, with its memberships: what its close ends.
    connections: HashMap<ConnectionKey, Vec<(Arc<str>, u64)>>,
    next_id: u64,
}

/// A room with at least one local member.
#[derive(Debug)]
pub(super) struct Room {
    /// Unique per room entry: a room that empties and fills again is a new entry, so a late
    /// answer about the old one is not applied to the new one.
    pub(super) generation: u64,
    members: HashMap<u64, WebSocket>,
    /// Set once the backend receives this room; joins wait for it.
    pub(super) ready: Arc<OnceCell<()>>,
    /// Where the Redis backend reads this room from (`None` until it is known).
    #[cfg(feature = "redis")]
    pub(super) cursor: Option<Cursor>,
}

/// A new membership, as [`Table::join`] made it.
pub(super) struct Joined {
    pub(super) id: u64,
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) generation: u64,
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) ready: Arc<OnceCell<()>>,
    pub(super) key: ConnectionKey,
}

impl Table {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the maps consistent; a panic elsewhere cannot break them.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `ws` to `room`. The first membership of a connection starts a watcher that ends
    /// all of them when the connection closes.
    pub(super) fn join(&self, hub: &Weak<HubInner>, room: &str, ws: &WebSocket) -> Joined {
        let shared = &ws.handle().shared;
        let key = Arc::as_ptr(shared) as ConnectionKey;
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        let name: Arc<str> = match state.rooms.get_key_value(room) {
            Some((name, _)) => Arc::clone(name),
            None => Arc::from(room),
        };
        let generation = id;
        let entry = state
            .rooms
            .entry(Arc::clone(&name))
            .or_insert_with(|| Room {
                generation,
                members: HashMap::new(),
                ready: Arc::new(OnceCell::new()),
                #[cfg(feature = "redis")]
                cursor: None,
            });
        entry.members.insert(id, ws.clone());
        let joined = Joined {
            id,
            generation: entry.generation,
            ready: Arc::clone(&entry.ready),
            key,
        };
        let memberships = state.connections.entry(key).or_insert_with(|| {
            watch_close(hub.clone(), Arc::clone(shared), key);
            Vec::new()
        });
        memberships.push((name, id));
        joined
    }

    /// Ends one membership; a room without members is forgotten (the backend stops
    /// receiving it).
    pub(super) fn leave(&self, key: ConnectionKey, room: &str, id: u64) {
        let mut state = self.lock();
        if let Some(memberships) = state.connections.get_mut(&key) {
            memberships.retain(|(name, member)| !(*member == id && &**name == room));
        }
        state.remove_member(room, id);
    }

    /// Ends every membership of a closed connection.
    fn forget(&self, key: ConnectionKey) {
        let mut state = self.lock();
        for (room, id) in state.connections.remove(&key).unwrap_or_default() {
            state.remove_member(&room, id);
        }
    }

    /// Queues `frame` on every local member of `room` without waiting; returns how many took
    /// it. Members that are closed or too slow (closed with 1013) are skipped: their close
    /// watcher removes them.
    pub(super) fn deliver(&self, room: &str, frame: &Bytes) -> usize {
        self.lock().deliver(room, frame)
    }

    /// The number of local members of `room`.
    pub(super) fn members(&self, room: &str) -> usize {
        self.lock()
            .rooms
            .get(room)
            .map_or(0, |room| room.members.len())
    }
}

impl State {
    pub(super) fn deliver(&self, room: &str, frame: &Bytes) -> usize {
        self.rooms.get(room).map_or(0, |room| {
            room.members.values().filter(|ws| offer(ws, frame)).count()
        })
    }

    /// The rooms and how many local members they have in all.
    pub(super) fn counts(&self) -> (usize, usize) {
        let members = self.rooms.values().map(|room| room.members.len()).sum();
        (self.rooms.len(), members)
    }

    fn remove_member(&mut self, room: &str, id: u64) {
        if let Some(entry) = self.rooms.get_mut(room) {
            entry.members.remove(&id);
            if entry.members.is_empty() {
                self.rooms.remove(room);
            }
        }
    }
}

/// Ends a connection's memberships when it closes. Holds the connection's shared state, not
/// a handle: a handle would keep the connection open.
fn watch_close(hub: Weak<HubInner>, shared: Arc<Shared>, key: ConnectionKey) {
    tokio::spawn(async move {
        shared.wait_closed().await;
        if let Some(hub) = hub.upgrade() {
            hub.table.forget(key);
        }
        // `shared` lives until here, so `key` named no other connection meanwhile.
        drop(shared);
    });
}
