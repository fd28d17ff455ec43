//! # squall
//!
//! WebSocket server handlers and a client with the API of Python's `tornado.websocket`, on
//! tokio natively and on `web-sys` in the browser, with permessage-deflate (RFC 7692).
//!
//! ## A server
//!
//! ```no_run
//! # #[cfg(all(feature = "server", not(target_arch = "wasm32")))]
//! # mod server {
//! use squall::{Application, Message, PathArgs, WebSocket, WebSocketHandler};
//!
//! struct Echo;
//!
//! impl WebSocketHandler for Echo {
//!     async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
//!         let _ = ws.write_message(format!("welcome to {}", args.get(0).unwrap_or("?"))).await;
//!     }
//!
//!     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
//!         let _ = ws.write_message(message).await;
//!     }
//! }
//!
//! pub async fn main() -> std::io::Result<()> {
//!     let app = Application::new().route(r"/rooms/(\w+)", || Echo);
//!     let server = app.listen("127.0.0.1:8888").await?;
//!     server.wait().await;
//!     Ok(())
//! }
//! # }
//! ```
//!
//! ## A client (the same code compiles for the browser)
//!
//! ```no_run
//! # #[cfg(feature = "client")]
//! # mod client {
//! use std::time::Duration;
//! use squall::{websocket_connect, CloseCode, ConnectOptions, Error};
//!
//! pub async fn chat() -> Result<(), Error> {
//!     let options = ConnectOptions::new()
//!         .connect_timeout(Duration::from_secs(5))
//!         .subprotocol("chat.v1");
//!     let mut conn = websocket_connect("ws://127.0.0.1:8888/rooms/lobby", options).await?;
//!     conn.write_message("hello").await?;
//!     while let Some(message) = conn.read_message().await {
//!         println!("received {message:?}");
//!         if message.as_text() == Some("hello") {
//!             conn.close(CloseCode::NORMAL, "done").await?;
//!         }
//!     }
//!     println!("closed with {:?} {:?}", conn.close_code(), conn.close_reason());
//!     Ok(())
//! }
//! # }
//! ```
//!
//! ## Layers
//!
//! ```text
//!             user code: WebSocketHandler impls, websocket_connect(...)
//!                               │
//!    model (all targets): Message, CloseCode, Closed, Error, options and their defaults
//!                               │
//!      native (tokio)                            browser (wasm32-unknown-unknown)
//!      protocol core, sans-I/O  ── bytes ──▶      web-sys WebSocket wrapper
//!      tokio driver, server, client
//! ```
//!
//! The [`protocol`] module is the sans-I/O core: bytes, commands and the current time go
//! in; bytes, events and the next deadline come out. The drivers move bytes between sockets
//! and that core.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `server` | yes | `Application`, `WebSocketHandler`, `WebSocket`, `Broadcast`, [`rooms`] (native) |
//! | `client` | yes | `websocket_connect`, `WebSocketClientConnection` and [`reconnect`] (native and browser); HTTP proxies ([`Proxy`]) and redirects (native) |
//! | `tls` | yes | `wss://` and TLS servers through rustls with the ring provider (native) |
//! | `deflate` | yes | permessage-deflate (RFC 7692) |
//! | `json` | yes | [`Message::json`], [`Message::parse_json`], `write_json` |
//! | `redis` | no | [`rooms::Hub::redis`]: rooms that span server processes through Redis (native) |
//! | `hyper`, `axum` | no | serving handlers inside hyper 1 or axum 0.8 servers |
//!
//! Guides: `docs/tornado.md` (coming from Tornado), `docs/browser.md` (what browsers can and
//! cannot do), and the README's table of limits and defaults.

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// The reconnect policy of the reconnecting client and of the rooms' Redis backend.
#[cfg(any(
    all(
        feature = "client",
        any(not(target_arch = "wasm32"), target_os = "unknown")
    ),
    all(feature = "redis", not(target_arch = "wasm32"))
))]
mod backoff;
mod close;
mod compression;
mod defaults;
mod error;
mod http2_pool;
mod message;
mod options;
// The core's crate-private tuning (lent input, shared output, ...) serves the tokio driver
// only; builds without it leave it unused.
#[cfg_attr(
    not(all(
        not(target_arch = "wasm32"),
        any(feature = "server", feature = "client")
    )),
    allow(dead_code, unused_imports)
)]
pub mod protocol;
mod setters;
mod utf8_bytes;
// Only the native client opens tunnels; elsewhere the selection code is unused.
#[cfg(feature = "client")]
mod client_request;
#[cfg_attr(
    not(all(feature = "client", not(target_arch = "wasm32"))),
    allow(dead_code)
)]
mod proxy;
#[cfg(feature = "client")]
pub use client_request::IntoClientRequest;

#[cfg(all(target_arch = "wasm32", target_os = "unknown", feature = "client"))]
mod browser;
// The client's public API, once for both backends.
#[cfg(all(
    feature = "client",
    any(not(target_arch = "wasm32"), target_os = "unknown")
))]
mod client;
// The methods the client's handles and the server's `WebSocket` share.
#[cfg(any(
    all(
        feature = "client",
        any(not(target_arch = "wasm32"), target_os = "unknown")
    ),
    all(feature = "server", not(target_arch = "wasm32"))
))]
mod methods;
#[cfg(all(
    not(target_arch = "wasm32"),
    any(feature = "server", feature = "client")
))]
mod native;
#[cfg(all(
    feature = "client",
    any(not(target_arch = "wasm32"), target_os = "unknown")
))]
pub mod reconnect;
#[cfg(all(target_arch = "wasm32", target_os = "unknown", feature = "client"))]
pub use browser::websocket_connect;
#[cfg(all(
    feature = "client",
    any(not(target_arch = "wasm32"), target_os = "unknown")
))]
pub use client::{ClientReader, ClientWriter, WebSocketClientConnection};
#[cfg(all(not(target_arch = "wasm32"), feature = "client"))]
pub use native::client::{websocket_connect, websocket_connect_on};
#[cfg(all(not(target_arch = "wasm32"), feature = "axum"))]
pub use native::integrations::axum;
#[cfg(all(not(target_arch = "wasm32"), feature = "hyper"))]
pub use native::integrations::hyper;
#[cfg(all(not(target_arch = "wasm32"), feature = "server"))]
pub use native::rooms;
#[cfg(all(not(target_arch = "wasm32"), feature = "server"))]
pub use native::rooms::Hub;
#[cfg(all(not(target_arch = "wasm32"), feature = "server"))]
pub use native::server::{
    Application, Broadcast, PathArgs, Request, Server, Settings, WebSocket, WebSocketHandler,
};
#[cfg(all(
    not(target_arch = "wasm32"),
    feature = "tls",
    any(feature = "server", feature = "client")
))]
pub use native::tls;
#[cfg(all(
    not(target_arch = "wasm32"),
    any(feature = "server", feature = "client")
))]
pub use native::Transport;
#[cfg(all(not(target_arch = "wasm32"), feature = "server"))]
pub use protocol::handshake::Rejection;
#[cfg(all(
    feature = "client",
    any(not(target_arch = "wasm32"), target_os = "unknown")
))]
pub use reconnect::ReconnectingClient;

pub use close::{CloseCode, CloseFrame, Closed, MAX_CLOSE_REASON_LEN};
pub use compression::CompressionOptions;
pub use error::{
    Error, Failure, HandshakeError, ProtocolError, ProxyError, Timeout, WebSocketClosedError,
};
pub use http2_pool::Http2Pool;
pub use message::Message;
pub use options::{ConnectOptions, ControlCallback, HttpVersion, MessageCallback};
pub use proxy::Proxy;
pub use utf8_bytes::Utf8Bytes;

/// Invariant checks for the fuzz targets (`fuzz/`) and the corpus replay test
/// (`tests/fuzz_corpus.rs`): compiled in cargo-fuzz builds and with the `fuzzing-checks`
/// feature, hidden, not a stable API.
#[cfg(all(any(fuzzing, feature = "fuzzing-checks"), feature = "deflate"))]
#[doc(hidden)]
pub mod fuzzing;
