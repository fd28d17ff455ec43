//! The sans-I/O WebSocket protocol core.
//!
//! This module is deterministic and does no I/O: it never opens a socket, never reads the
//! clock and never spawns a task. Bytes received go into [`Connection::receive`]; bytes to
//! send come out of [`Connection::poll_transmit`]; time comes in as `now` arguments and the
//! next deadline goes out through [`Connection::poll_timeout`]; mask randomness comes from a
//! generator seeded by [`Config::mask_seed`]. The same core serves both roles: [`Role`]
//! decides masking and which side closes TCP first.
//!
//! Drivers (the tokio backend in this crate, or your own) follow the call order documented
//! on [`Connection`].

mod close_rule;
mod config;
mod connection;
#[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
pub mod deflate;
mod event;
pub mod extensions;
pub mod frame;
pub mod handshake;
mod mask;
mod output;
mod recv;
mod role;
mod send;
mod utf8;

#[cfg(test)]
mod tests;

pub(crate) use close_rule::reported_close;
pub use config::{Config, DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE};
pub use connection::MAX_CONTROL_PAYLOAD;
pub use connection::{Connection, State, Transmit};
pub use event::{Closed, Event};
pub(crate) use output::Output;
pub use role::Role;
