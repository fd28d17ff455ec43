//! The server: Tornado's `Application` and `WebSocketHandler` on tokio.

mod application;
pub(crate) mod broadcast;
mod handler;
mod request;
pub(crate) mod router;
mod settings;
pub(crate) mod shutdown;
pub(crate) mod static_files;
pub(crate) mod upgrade;
mod websocket;

pub use application::{Application, Server};
pub use broadcast::Broadcast;
pub use handler::{PathArgs, WebSocketHandler};
pub use request::Request;
pub use settings::Settings;
pub use websocket::WebSocket;
