//! # squall
//!
//! WebSocket server handlers and a client with the API of Python's `tornado.websocket`,
//! on tokio natively and on `web-sys` in the browser.
//!
//! ```text
//!             user code: WebSocketHandler impls, websocket_connect(...)
//!                               │
//!    model (all targets): Message, CloseCode, CloseFrame, Error, options
//!                               │
//!      native (tokio)                            browser (wasm32-unknown-unknown)
//!      protocol core, sans-I/O  ── bytes ──▶      web-sys WebSocket wrapper
//!      tokio driver, server, client
//! ```
//!
//! The [`protocol`] module is the sans-I/O core: bytes, commands and the current time go
//! in; bytes, events and the next deadline come out. The drivers move bytes between sockets
//! and that core.

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod close;
mod compression;
mod error;
mod message;
mod options;
pub mod protocol;

#[cfg(all(target_arch = "wasm32", target_os = "unknown", feature = "client"))]
mod browser;
#[cfg(all(
    not(target_arch = "wasm32"),
    any(feature = "server", feature = "client")
))]
mod native;
#[cfg(all(target_arch = "wasm32", target_os = "unknown", feature = "client"))]
pub use browser::{
    websocket_connect, ClientReader, ClientWriter, IntoClientRequest, WebSocketClientConnection,
};
#[cfg(all(not(target_arch = "wasm32"), feature = "client"))]
pub use native::client::{
    websocket_connect, ClientReader, ClientWriter, IntoClientRequest, WebSocketClientConnection,
};
#[cfg(all(not(target_arch = "wasm32"), feature = "axum"))]
pub use native::integrations::axum;
#[cfg(all(not(target_arch = "wasm32"), feature = "hyper"))]
pub use native::integrations::hyper;
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

pub use close::{CloseCode, CloseFrame, MAX_CLOSE_REASON_LEN};
pub use compression::CompressionOptions;
pub use error::{Error, HandshakeError, ProtocolError, WebSocketClosedError};
pub use message::Message;
pub use options::{ConnectOptions, ControlCallback, MessageCallback};

/// Internals exposed to the fuzz targets only.
#[cfg(fuzzing)]
pub mod fuzzing {
    pub use crate::protocol::frame::{encode_header, parse_header, FrameHeader};
}
