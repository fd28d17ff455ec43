//! A chat server: rooms at `/chat/ROOM`, every message broadcast to the room, and the
//! browser demo (`www/`) served at `/`, with permessage-deflate on.
//!
//! ```text
//! cargo run --release --example chat_server -- [--port PORT] [--www DIR]
//! ```

use std::path::PathBuf;

use squall::Application;

#[path = "common/chat.rs"]
mod chat;

use chat::{Chat, Rooms};

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
        .route(r"/chat/(\w+)", move || Chat::new(rooms.clone()))
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
