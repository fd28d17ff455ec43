//! A chat server: rooms at `/chat/ROOM`, every message broadcast to the room, and the
//! browser demo (`www/`) served at `/`, with permessage-deflate on.
//!
//! ```text
//! cargo run --release --example chat_server -- [--port PORT] [--www DIR]
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use squall::{
    Application, Broadcast, CompressionOptions, Message, PathArgs, WebSocket, WebSocketHandler,
};

/// The rooms, created on first use.
#[derive(Clone, Default)]
struct Rooms(Arc<Mutex<HashMap<String, Broadcast>>>);

impl Rooms {
    fn get(&self, name: &str) -> Broadcast {
        let mut rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.entry(name.to_owned()).or_default().clone()
    }
}

struct Chat {
    rooms: Rooms,
    room: Option<(Broadcast, u64)>,
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

fn parse_args() -> Result<(u16, PathBuf), String> {
    let mut port = 8888;
    let mut www = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--port" => port = value.parse().map_err(|e| format!("--port: {e}"))?,
            "--www" => www = PathBuf::from(value),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((port, www))
}

#[tokio::main]
async fn main() {
    let (port, www) = parse_args().unwrap_or_else(|error| {
        eprintln!("chat_server: {error}\nusage: chat_server [--port PORT] [--www DIR]");
        std::process::exit(2);
    });
    let rooms = Rooms::default();
    let app = Application::new()
        .route(r"/chat/(\w+)", move || Chat {
            rooms: rooms.clone(),
            room: None,
        })
        .static_files(www);
    let server = app
        .listen(("127.0.0.1", port))
        .await
        .unwrap_or_else(|error| {
            eprintln!("chat_server: cannot listen on 127.0.0.1:{port}: {error}");
            std::process::exit(1);
        });
    println!("listening on {}", server.local_addr());
    println!("open http://{}/ in two browser tabs", server.local_addr());
    server.wait().await;
}
