//! The chat of `chat_server`, hosted by axum: rooms at `/chat/{room}`, every message
//! broadcast to the room, and the browser demo (`www/`) served at `/`, with
//! permessage-deflate on. The WebSocket handler is squall's; axum routes, extracts the room
//! from the path and serves the files.
//!
//! ```text
//! cargo run --example axum_chat --features axum -- [--port PORT] [--www DIR]
//! cargo run --example axum_chat --features axum,redis -- --redis redis://127.0.0.1:6379 [--node NAME]
//! ```
//!
//! With `--redis`, every chat (this one or `chat_server`) on that Redis serves the same rooms.

use std::net::SocketAddr;
use std::path::{Component, Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use squall::axum::WebSocketUpgrade;
use squall::PathArgs;

#[path = "common/chat.rs"]
mod chat;

pub use chat::{Args, Chat, Hub};

#[derive(Clone)]
struct AppState {
    hub: Hub,
    www: Arc<PathBuf>,
}

/// The chat's routes: `/chat/{room}` upgrades, anything else is a file under `www`.
pub fn app(hub: Hub, www: PathBuf) -> Router {
    let state = AppState {
        hub,
        www: Arc::new(www),
    };
    Router::new()
        .route("/chat/{room}", get(chat))
        .fallback(get(static_file))
        .with_state(state)
}

/// The room comes from axum's `Path` and reaches `open` as the first positional argument,
/// as the regular expression's group does in `chat_server`.
async fn chat(
    State(state): State<AppState>,
    Path(room): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    let handler = Chat::new(state.hub);
    let args = PathArgs {
        positional: vec![room],
        ..PathArgs::default()
    };
    ws.serve(handler, args).await
}

/// A file under `www` (`/` is `index.html`); `..` and directories are not served.
async fn static_file(State(state): State<AppState>, uri: Uri) -> Response {
    let relative = match uri.path().trim_start_matches('/') {
        "" => "index.html",
        path => path,
    };
    let relative = FsPath::new(relative);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = state.www.join(relative);
    if !inside || !file.is_file() {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(&file).await {
        Ok(body) => ([(header::CONTENT_TYPE, content_type(&file))], body).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn content_type(file: &FsPath) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse("axum_chat");
    if args.tls.is_some() {
        eprintln!("axum_chat: --cert/--key are chat_server's (serve axum behind TLS yourself)");
        std::process::exit(2);
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .unwrap_or_else(|error| {
            eprintln!(
                "axum_chat: cannot listen on 127.0.0.1:{}: {error}",
                args.port
            );
            std::process::exit(1);
        });
    let addr = listener.local_addr().unwrap_or_else(|error| {
        eprintln!("axum_chat: {error}");
        std::process::exit(1);
    });
    println!("listening on {addr}");
    println!("open http://{addr}/ in two browser tabs");
    let hub = args.hub("axum_chat", addr.port());
    let service = app(hub, args.www).into_make_service_with_connect_info::<SocketAddr>();
    if let Err(error) = axum::serve(listener, service).await {
        eprintln!("axum_chat: {error}");
        std::process::exit(1);
    }
}
