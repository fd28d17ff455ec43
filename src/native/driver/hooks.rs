//! Callbacks the driver calls itself instead of queueing events for a reader.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::protocol::Event;
use crate::{ControlCallback, MessageCallback};

/// Callbacks the driver calls itself instead of handing events to the event stream (the
/// client's `on_message_callback`, `on_ping` and `on_pong`).
///
/// With hooks installed, pings and pongs never reach the event stream (they go to their
/// callback, if any), and messages reach it only without `on_message`. `on_message` gets
/// `None` once, when the connection closes or the driver is dropped. Hooks run outside
/// the connection's lock, so a callback may write.
#[derive(Default)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) struct Hooks {
    pub(crate) on_message: Option<MessageCallback>,
    pub(crate) on_ping: Option<ControlCallback>,
    pub(crate) on_pong: Option<ControlCallback>,
}

/// Installed hooks and the events (at last the close) waiting for them: the driver runs
/// them once it has let its lock go. Boxed in the driver, so that a connection without
/// hooks (every server connection) carries one pointer for them.
#[derive(Debug)]
pub(super) struct Hooked {
    pub(super) hooks: Hooks,
    pub(super) pending: VecDeque<Event>,
}

impl Hooks {
    /// Hands `incoming` to its callback; returns it when it is for the event stream.
    pub(super) fn deliver(&mut self, incoming: Event) -> Option<Event> {
        match incoming {
            Event::Message(message) => match self.on_message.as_mut() {
                Some(callback) => callback(Some(message)),
                None => return Some(Event::Message(message)),
            },
            Event::Ping(data) => call(&mut self.on_ping, data),
            Event::Pong { payload, .. } => call(&mut self.on_pong, payload),
            // The close ends the events; it is never delivered.
            Event::Closed(_) => {}
        }
        None
    }

    /// Whether messages go to a callback rather than to the event stream.
    pub(super) fn takes_messages(&self) -> bool {
        self.on_message.is_some()
    }
}

fn call(callback: &mut Option<ControlCallback>, data: Bytes) {
    if let Some(callback) = callback.as_mut() {
        callback(data);
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        if let Some(mut callback) = self.on_message.take() {
            callback(None);
        }
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("on_message", &self.on_message.is_some())
            .field("on_ping", &self.on_ping.is_some())
            .field("on_pong", &self.on_pong.is_some())
            .finish()
    }
}
