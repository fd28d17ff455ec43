//! The server: Tornado's `Application` and `WebSocketHandler` on tokio.

mod application;
pub(crate) mod broadcast;
mod handler;
mod request;
mod router;
mod settings;
pub(crate) mod shutdown;
mod static_files;
pub(crate) mod upgrade;
mod websocket;

pub use application::{Application, Server};
pub use broadcast::Broadcast;
pub use handler::{PathArgs, WebSocketHandler};
pub use request::Request;
pub use settings::Settings;
pub use websocket::WebSocket;
