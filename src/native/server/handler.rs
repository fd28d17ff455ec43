//! The `WebSocketHandler` trait: Tornado's hooks.

use std::collections::HashMap;
use std::future::Future;

use bytes::Bytes;

use super::request::Request;
use super::websocket::WebSocket;
use crate::protocol::handshake::{origin_matches_host, Rejection};
use crate::Message;

/// The groups a route's regular expression captured, passed to
/// [`WebSocketHandler::open`] as Tornado passes `*args` and `**kwargs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathArgs {
    /// Unnamed groups, in order (empty groups are empty strings).
    pub positional: Vec<String>,
    /// Named groups (`(?P<name>...)`).
    pub named: HashMap<String, String>,
}

impl PathArgs {
    /// The positional group at `index`.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.positional.get(index).map(String::as_str)
    }

    /// The named group `name`.
    pub fn named(&self, name: &str) -> Option<&str> {
        self.named.get(name).map(String::as_str)
    }
}

/// A WebSocket endpoint, as Tornado's `WebSocketHandler`: one value per connection, made by
/// the factory given to [`Application::route`](super::Application::route).
///
/// Only [`on_message`](Self::on_message) must be written. Hooks run in this order:
/// [`prepare`](Self::prepare) and [`check_origin`](Self::check_origin) before the upgrade,
/// then [`select_subprotocol`](Self::select_subprotocol) and
/// [`get_compression_options`](Self::get_compression_options) during it, then
/// [`open`](Self::open), then `on_message`/`on_ping`/`on_pong` as frames arrive, and
/// [`on_close`](Self::on_close) once. Each `on_message` is awaited before the next
/// message is read, as in Tornado.
///
/// A panic in `open`, `on_message`, `on_ping` or `on_pong` is logged (`tracing`, level
/// error) and the connection closed with 1011 (internal error); the events still queued are
/// dropped and `on_close` runs. A panic in `on_close` is logged. Either way the server
/// goes on serving its other connections.
///
/// ```
/// use squall::{Message, WebSocket, WebSocketHandler};
///
/// struct Echo;
///
/// impl WebSocketHandler for Echo {
///     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
///         let _ = ws.write_message(message).await;
///     }
/// }
/// ```
pub trait WebSocketHandler: Send + 'static {
    /// Called before the upgrade (Tornado's `prepare`): return a [`Rejection`] to answer
    /// the request with that HTTP status instead (authentication, rate limits).
    fn prepare(&mut self, request: &Request) -> impl Future<Output = Result<(), Rejection>> + Send {
        let _ = request;
        async { Ok(()) }
    }

    /// Whether to accept a request with this `Origin` header; a refusal answers 403.
    /// Not called without an `Origin` header (non-browser clients).
    ///
    /// The default accepts only the same host, as Tornado: the origin's `host[:port]`
    /// must equal the `Host` header.
    fn check_origin(&self, origin: &str, request: &Request) -> bool {
        request
            .header("host")
            .filter(|host| host.is_ascii())
            .is_some_and(|host| origin_matches_host(origin, &host))
    }

    /// Picks one of the subprotocols the client offered (an empty slice when it offered
    /// none), or `None`. Called once per handshake, as in Tornado.
    fn select_subprotocol(&mut self, subprotocols: &[String]) -> Option<String> {
        let _ = subprotocols;
        None
    }

    /// Compression for this connection: `None` (the default) turns permessage-deflate
    /// off, `Some` turns it on with those options, as Tornado's `get_compression_options`.
    fn get_compression_options(&self) -> Option<crate::CompressionOptions> {
        None
    }

    /// The connection is open. `args` holds the route's captured groups. Messages wait
    /// until this returns.
    fn open(&mut self, ws: &WebSocket, args: PathArgs) -> impl Future<Output = ()> + Send {
        let _ = (ws, args);
        async {}
    }

    /// A message arrived. The next one is read only after this future completes.
    fn on_message(&mut self, ws: &WebSocket, message: Message) -> impl Future<Output = ()> + Send;

    /// A ping arrived (the pong has already been sent).
    fn on_ping(&mut self, ws: &WebSocket, data: Bytes) {
        let _ = (ws, data);
    }

    /// A pong arrived.
    fn on_pong(&mut self, ws: &WebSocket, data: Bytes) {
        let _ = (ws, data);
    }

    /// The connection is closed; [`WebSocket::close_code`] and
    /// [`WebSocket::close_reason`] tell how. Called exactly once after `open`, also when a
    /// hook panicked.
    fn on_close(&mut self, ws: &WebSocket) -> impl Future<Output = ()> + Send {
        let _ = ws;
        async {}
    }
}
