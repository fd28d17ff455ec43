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

#[cfg(all(
    not(target_arch = "wasm32"),
    any(feature = "server", feature = "client")
))]
mod native;
#[cfg(all(not(target_arch = "wasm32"), feature = "server"))]
pub use native::server::{
    Application, Broadcast, PathArgs, Request, Server, Settings, WebSocket, WebSocketHandler,
};
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

/// Invariant checks for the fuzz targets (`fuzz/`) and the corpus replay test
/// (`tests/fuzz_corpus.rs`): compiled in cargo-fuzz builds and with the `fuzzing-checks`
/// feature, hidden, not a stable API.
#[cfg(all(any(fuzzing, feature = "fuzzing-checks"), feature = "deflate"))]
#[doc(hidden)]
pub mod fuzzing;
