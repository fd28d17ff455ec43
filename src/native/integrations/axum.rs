//! Serving a [`WebSocketHandler`] on an axum 0.8 route (feature `axum`).
//!
//! Take a [`WebSocketUpgrade`] in the route's handler, along with axum's own extractors,
//! and answer with [`WebSocketUpgrade::serve`]:
//!
//! ```no_run
//! use axum::extract::Path;
//! use axum::routing::get;
//! use squall::axum::WebSocketUpgrade;
//! use squall::{Message, PathArgs, WebSocket, WebSocketHandler};
//!
//! struct Room { name: String }
//!
//! impl WebSocketHandler for Room {
//!     async fn on_message(&mut self, ws: &WebSocket, message: Message) {
//!         let _ = ws.write_message(message).await;
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let app = axum::Router::new().route(
//!     "/chat/{room}",
//!     get(|Path(room): Path<String>, ws: WebSocketUpgrade| async move {
//!         ws.serve(Room { name: room }, PathArgs::default()).await
//!     }),
//! );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8888").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! **Path captures** come from axum's extractors (`Path`, `RawPathParams`), not from a
//! regular expression. Give them to the handler's constructor, or to
//! [`open`](WebSocketHandler::open) through [`PathArgs`]: as
//! `PathArgs { positional: vec![room], ..PathArgs::default() }` for a handler written for
//! an [`Application`](crate::Application) route with unnamed groups (`args.get(0)`), or in
//! [`PathArgs::named`] under the capture's name for one written for `(?P<room>..)`.
//!
//! **Settings and shutdown** come from an [`Upgrader`] in the request's extensions, added
//! with `.layer(axum::Extension(upgrader))`, or else the defaults;
//! [`WebSocketUpgrade::with_settings`] and [`WebSocketUpgrade::with_shutdown`] override
//! them per request. axum's graceful shutdown does not reach upgraded connections: see
//! [`Upgrader::with_shutdown`].
//!
//! **Peer address**: serve with `into_make_service_with_connect_info::<SocketAddr>()` to
//! see it in [`Request::peer_addr`].
//!
//! The host server's limits apply to the request head, so the head-related [`Settings`]
//! have no effect here, as explained in [`squall::hyper`](crate::hyper).

use std::net::SocketAddr;
use std::sync::{Arc, Once};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

pub use super::hyper::Upgrader;
use super::hyper::{reject, response, Pending};
use crate::protocol::handshake::Rejection;
use crate::{PathArgs, Request, Settings, WebSocketHandler};

/// An axum extractor for a WebSocket upgrade request that passed the HTTP checks of
/// [`validate_request`](crate::protocol::handshake::validate_request); answer it with
/// [`serve`](Self::serve).
///
/// Extraction fails with the [`Rejection`] to send (for example 400 for a plain GET,
/// 426 for a wrong `Sec-WebSocket-Version`), or with 500 when the connection cannot be
/// upgraded (a request that did not come from axum's server).
///
/// Over HTTP/2 (axum's `http2` feature) a WebSocket is an extended CONNECT (RFC 8441): route
/// it with `any(..)` (or `on(MethodFilter::CONNECT, ..)` beside `get`), not `get` alone.
#[derive(Debug)]
pub struct WebSocketUpgrade {
    pending: Pending,
    upgrader: Upgrader,
    /// No `Upgrader` extension reached the route and no `with_settings` replaced the
    /// defaults: said once per process, as it is usually a layer in the wrong place.
    default_settings: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer_addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| *peer)
            .or_else(|| parts.extensions.get::<SocketAddr>().copied());
        let pending = Pending::from_parts(parts, peer_addr)?;
        let upgrader = parts.extensions.get::<Upgrader>().cloned();
        Ok(Self {
            pending,
            default_settings: upgrader.is_none(),
            upgrader: upgrader.unwrap_or_default(),
        })
    }
}

impl WebSocketUpgrade {
    /// The upgrade request, as the handler's hooks will see it.
    pub fn request(&self) -> &Request {
        self.pending.request()
    }

    /// Runs this connection with `settings` instead of the [`Upgrader`]'s.
    #[must_use]
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.upgrader.settings = Arc::new(settings);
        self.default_settings = false;
        self
    }

    /// Closes this connection with 1001 once `signal` turns `true`, instead of on the
    /// [`Upgrader`]'s signal; see [`Upgrader::with_shutdown`].
    #[must_use]
    pub fn with_shutdown(mut self, signal: watch::Receiver<bool>) -> Self {
        self.upgrader.shutdown = Some(signal);
        self
    }

    /// Answers the request with `handler`, whose [`open`](WebSocketHandler::open) gets
    /// `args`: the handler's `check_origin` (403), `prepare` (its status),
    /// `select_subprotocol` and `get_compression_options` run first, as in an
    /// [`Application`](crate::Application). On agreement the response is 101 (200 over
    /// HTTP/2) and a task runs the connection once axum hands it over; otherwise it is the
    /// rejection.
    ///
    /// # Panics
    /// If the future is polled outside a tokio runtime (it spawns the connection's task).
    pub async fn serve<H: WebSocketHandler>(self, handler: H, args: PathArgs) -> Response {
        if self.default_settings {
            warn_default_settings_once();
        }
        response(self.pending.answer(handler, args, self.upgrader).await)
    }
}

/// Logs, once per process, that a route serves WebSockets with the default [`Settings`].
fn warn_default_settings_once() {
    static WARNED: Once = Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            "squall::axum: no Upgrader extension reached this WebSocket route, so it uses the \
             default Settings; add `.layer(axum::Extension(upgrader))` after the routes it \
             should cover (a layer applies to the routes added before it), or call \
             WebSocketUpgrade::with_settings"
        );
    });
}

/// A rejection answers the request with its status, headers and text body, so a route
/// handler can return one (for example from its own checks before [`WebSocketUpgrade::serve`]).
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        reject(self)
    }
}
