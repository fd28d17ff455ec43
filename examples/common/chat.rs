//! The chat handler shared by `chat_server` and `axum_chat`: rooms created on first use,
//! every text message broadcast to the room, permessage-deflate on.
// Public for axum_chat, which re-exports it; private in chat_server.
#![allow(unreachable_pub)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use squall::{Broadcast, CompressionOptions, Message, PathArgs, WebSocket, WebSocketHandler};

/// The rooms, created on first use.
#[derive(Clone, Debug, Default)]
pub struct Rooms(Arc<Mutex<HashMap<String, Broadcast>>>);

impl Rooms {
    fn get(&self, name: &str) -> Broadcast {
        let mut rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.entry(name.to_owned()).or_default().clone()
    }
}

/// One chat connection; `open` takes the room from the route's first capture.
#[derive(Debug)]
pub struct Chat {
    rooms: Rooms,
    room: Option<(Broadcast, u64)>,
}

impl Chat {
    /// A connection that will join a room of `rooms`.
    pub fn new(rooms: Rooms) -> Self {
        Self { rooms, room: None }
    }
}

impl WebSocketHandler for Chat {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        Some(CompressionOptions::default())
    }

    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        let room = self.rooms.get(args.get(0).unwrap_or("lobby"));
        let id = room.join(ws);
        self.room = Some((room, id));
    }

    async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
        if let (Some((room, _)), Message::Text(_)) = (&self.room, &message) {
            room.send(message);
        }
    }

    async fn on_close(&mut self, _ws: &WebSocket) {
        if let Some((room, id)) = self.room.take() {
            room.leave(id);
        }
    }
}
