//! The native backend: a tokio driver over the protocol core, the server and the client.

pub(crate) mod driver;
#[cfg(feature = "hyper")]
pub(crate) mod integrations;
#[cfg(feature = "server")]
pub(crate) mod server;
pub(crate) mod transport;

pub use transport::Transport;
