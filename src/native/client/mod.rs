//! The native client: Tornado's `websocket_connect` and `WebSocketClientConnection` on tokio.
//!
//! [`websocket_connect`] resolves the host, connects TCP (directly or through an HTTP
//! proxy's `CONNECT` tunnel, and TLS for `wss://`), runs the opening handshake (following
//! redirects when asked) and spawns a task that drives the connection (the same driver as the
//! server's). The returned [`WebSocketClientConnection`](crate::WebSocketClientConnection)
//! (written once for both backends in `crate::client`) talks to that task through `shim`.

mod body;
mod connect;
mod handshake;
#[cfg(feature = "http2")]
mod http2;
mod on_stream;
#[cfg(feature = "http2")]
mod pool;
mod proxy;
mod redirect;
mod request;
pub(crate) mod shim;
#[cfg(feature = "tls")]
mod tls;

pub use connect::websocket_connect;
pub use on_stream::websocket_connect_on;
#[cfg(feature = "http2")]
pub(crate) use pool::Http2Connections;
