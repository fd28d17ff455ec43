//! How a running connection learns that its server is stopping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::watch;

use crate::native::driver::Shared;
use crate::{CloseCode, CloseFrame};

/// The shutdown signal a connection follows.
pub(crate) enum Shutdown {
    /// Registered with an [`Application`](super::Application)'s server, which closes it.
    Registry(Arc<Connections>),
    /// A watch signal turning `true` (the hyper and axum integrations).
    #[cfg_attr(not(feature = "hyper"), allow(dead_code))]
    Watch(watch::Receiver<bool>),
}

/// The open connections of a server, for a graceful shutdown to close with 1001. A registry
/// rather than a signal each connection waits on: nothing per connection is polled on every
/// wake-up, and a registration is an entry in one map.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    state: Mutex<State>,
    /// Turns `true` when the shutdown starts, after every connection got its 1001: for
    /// HTTP/2 connections, which then send GOAWAY.
    stopping: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    live: HashMap<u64, Weak<Shared>>,
    stopping: bool,
}

/// A connection's entry in [`Connections`]; removed when dropped.
pub(crate) struct Registration {
    connections: Arc<Connections>,
    id: u64,
}

impl Connections {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The map stays consistent whatever panicked while holding the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection; one that registers after the shutdown started is closed
    /// at once.
    pub(crate) fn register(self: &Arc<Self>, shared: &Arc<Shared>) -> Option<Registration> {
        let mut state = self.state();
        if state.stopping {
            drop(state);
            going_away(shared);
            return None;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.live.insert(id, Arc::downgrade(shared));
        Some(Registration {
            connections: Arc::clone(self),
            id,
        })
    }

    /// Starts the close handshake with 1001 on every connection, now and later.
    pub(crate) fn close_all(&self) {
        let live: Vec<Weak<Shared>> = {
            let mut state = self.state();
            state.stopping = true;
            state.live.values().cloned().collect()
        };
        for shared in live.iter().filter_map(Weak::upgrade) {
            going_away(&shared);
        }
        self.stopping.send_replace(true);
    }

    /// Whether every connection closing has handed its close frame, and all it wrote
    /// before, to its transport (or ended).
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    pub(crate) fn closes_written(&self) -> bool {
        let live: Vec<Weak<Shared>> = self.state().live.values().cloned().collect();
        live.iter()
            .filter_map(Weak::upgrade)
            .all(|shared| shared.close_written())
    }

    /// A signal turning `true` once [`close_all`](Self::close_all) has run.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.connections.state().live.remove(&self.id);
    }
}

/// Closes with 1001 "server shutting down" (a connection already closing is left alone).
pub(crate) fn going_away(shared: &Shared) {
    let frame = CloseFrame::new(CloseCode::GOING_AWAY, "server shutting down").ok();
    let _ = shared.start_close(frame);
}
