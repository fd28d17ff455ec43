//! Tornado's websocket chat demo (`demos/chat/chatdemo.py`), ported line by line; the guide
//! `docs/tornado.md` walks through it.
//!
//! ```text
//! cargo run --example tornado_chat -- [--port 8888]
//! ```
//! Clients send `{"body": "..."}`; every client receives `{"id": ..., "body": ...}`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use squall::{
    Application, Broadcast, CompressionOptions, Message, PathArgs, WebSocket, WebSocketHandler,
};

const CACHE_SIZE: usize = 200;

#[derive(Deserialize)]
struct Incoming {
    body: String,
}

#[derive(Clone, Serialize)]
struct Chat {
    id: String,
    body: String,
}

/// Tornado's class attributes `waiters` and `cache`, shared by every handler.
#[derive(Clone, Default)]
struct Shared {
    waiters: Broadcast,
    cache: Arc<Mutex<VecDeque<Chat>>>,
    next_id: Arc<AtomicU64>,
}

struct ChatSocketHandler {
    shared: Shared,
    waiter: Option<u64>,
}

impl ChatSocketHandler {
    fn update_cache(&self, chat: &Chat) {
        let mut cache = self
            .shared
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache.push_back(chat.clone());
        while cache.len() > CACHE_SIZE {
            cache.pop_front();
        }
    }

    fn send_updates(&self, chat: &Chat) {
        tracing::info!("sending message to {} waiters", self.shared.waiters.len());
        match Message::json(chat) {
            Ok(message) => {
                self.shared.waiters.send(message);
            }
            Err(error) => tracing::error!(%error, "Error sending message"),
        }
    }
}

impl WebSocketHandler for ChatSocketHandler {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        // Non-None enables compression with default options.
        Some(CompressionOptions::default())
    }

    async fn open(&mut self, ws: &WebSocket, _args: PathArgs) {
        self.waiter = Some(self.shared.waiters.join(ws));
    }

    async fn on_close(&mut self, _ws: &WebSocket) {
        if let Some(id) = self.waiter.take() {
            self.shared.waiters.leave(id);
        }
    }

    async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
        tracing::info!("got message {:?}", message.as_text());
        let Ok(parsed) = message.parse_json::<Incoming>() else {
            return;
        };
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let chat = Chat {
            id: id.to_string(),
            body: parsed.body,
        };
        self.update_cache(&chat);
        self.send_updates(&chat);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .skip_while(|arg| arg != "--port")
        .nth(1)
        .and_then(|port| port.parse().ok())
        .unwrap_or(8888);
    let shared = Shared::default();
    let app = Application::new().route(r"/chatsocket", move || ChatSocketHandler {
        shared: shared.clone(),
        waiter: None,
    });
    let server = app.listen(("127.0.0.1", port)).await?;
    println!("listening on {}", server.local_addr());
    server.wait().await;
    Ok(())
}
