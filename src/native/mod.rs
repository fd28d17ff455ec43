//! The native backend: a tokio driver over the protocol core, the server and the client.

#[cfg(feature = "client")]
pub(crate) mod client;
pub(crate) mod driver;
#[cfg(feature = "http2")]
pub(crate) mod http2;
#[cfg(feature = "hyper")]
pub(crate) mod integrations;
#[cfg(feature = "server")]
pub mod rooms;
#[cfg(feature = "server")]
pub(crate) mod server;
#[cfg(feature = "tls")]
pub mod tls;
pub(crate) mod transport;

pub use transport::Transport;
