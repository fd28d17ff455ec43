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

#[cfg(feature = "deflate")]
pub mod deflate;
pub mod extensions;
pub(crate) mod frame;
pub mod handshake;
pub(crate) mod mask;
mod role;
pub(crate) mod utf8;
mod connection;

pub use connection::{Closed, Config, Connection, Event, State, Transmit};
pub use role::Role;
