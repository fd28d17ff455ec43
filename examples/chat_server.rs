//! A chat server: rooms at `/chat/ROOM`, every text message delivered to everyone in the
//! room, and the browser demo (`www/`) served at `/`, with permessage-deflate on.
//!
//! ```text
//! cargo run --release --example chat_server -- [--port PORT] [--www DIR]
//! cargo run --release --example chat_server --features redis -- --redis redis://127.0.0.1:6379 [--node NAME]
//! ```
//!
//! With `--redis`, every chat_server on that Redis serves the same rooms (`squall::rooms`).
//! On SIGTERM or Ctrl-C it closes its clients with 1001 (going away) and exits.

use std::time::Duration;

use squall::Application;

#[path = "common/chat.rs"]
mod chat;

use chat::{Args, Chat};

/// How long clients get to answer the 1001 close when the server stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() {
    let args = Args::parse("chat_server");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .unwrap_or_else(|error| {
            eprintln!(
                "chat_server: cannot listen on 127.0.0.1:{}: {error}",
                args.port
            );
            std::process::exit(1);
        });
    let port = listener.local_addr().map_or(args.port, |addr| addr.port());
    let hub = args.hub("chat_server", port);
    let app = Application::new()
        .route(r"/chat/(\w+)", move || Chat::new(hub.clone()))
        .static_files(&args.www);
    let server = app.serve(listener).unwrap_or_else(|error| {
        eprintln!("chat_server: {error}");
        std::process::exit(1);
    });
    println!("listening on {}", server.local_addr());
    println!("open http://{}/ in two browser tabs", server.local_addr());
    let stop = async {
        chat::stop_signal().await;
        eprintln!("chat_server: stopping");
    };
    server.shutdown_on(stop, SHUTDOWN_GRACE).await;
}
