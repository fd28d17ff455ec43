//! The browser backend: `websocket_connect` and `WebSocketClientConnection` on the page's
//! `WebSocket` object (through `web-sys`), for `wasm32-unknown-unknown`.
//!
//! The browser frames, masks, answers pings and negotiates permessage-deflate itself, so this
//! backend skips the protocol core: it forwards the socket's events into the same model
//! types ([`Message`](crate::Message), [`Closed`](crate::protocol::Closed),
//! [`CloseCode`](crate::CloseCode)) and keeps the native client's method names and
//! signatures, so client code compiles unchanged on both targets.
//!
//! What differs, because a page cannot do it (each refused with
//! [`Error::Unsupported`](crate::Error::Unsupported) naming the option, never ignored):
//!
//! - request headers (in the request or in [`ConnectOptions::headers`](crate::ConnectOptions));
//! - pings: `ping`, `ping_interval`, `ping_timeout`, `on_ping`, `on_pong` (the browser answers
//!   the server's pings itself and never shows them);
//! - `compression_options` (the browser always offers permessage-deflate, with its own
//!   parameters; [`WebSocketClientConnection::extensions`] says what was agreed);
//! - `set_nodelay`; TLS settings (the `tls` option does not exist on this target);
//! - `proxy` (the browser uses its own proxy settings) and `follow_redirects` (a redirect
//!   fails the handshake in every browser, as the WHATWG WebSockets standard requires).
//!
//! And what behaves differently:
//!
//! - a refused connection or handshake is reported by browsers as an error event and close
//!   code 1006 without the HTTP status, so it becomes [`Error::Io`](crate::Error::Io) with
//!   kind `ConnectionRefused`;
//! - only 1000 and 3000-4999 may be sent as close codes;
//! - a message over `max_message_size` closes the connection with close code 4009 on the
//!   wire, as scripts may not send 1009, and is reported locally as 1009 with
//!   [`ProtocolError::MessageTooBig`](crate::ProtocolError::MessageTooBig);
//! - [`WebSocketClientConnection::response_headers`] is empty: browsers hide them.
//!
//! `docs/browser.md` has the whole capability table.

mod connect;
mod request;
pub(crate) mod shim;
pub(crate) mod socket;
pub(crate) mod timer;

pub use connect::websocket_connect;
