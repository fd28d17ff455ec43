//! The benchmark harness's shared pieces: a minimal WebSocket client for the load generator
//! ([`client`]) and its HTTP/2 transport ([`http2`]), the cells it runs ([`echo`], [`load`],
//! [`open`]), `/proc` readers for CPU time and RSS ([`procfs`]), the command-line helpers
//! the binaries share ([`cli`]), the results chart ([`chart`]), and the chat-room accounting of the `rooms` bin ([`rooms`]).
//!
//! See `bench/run.sh` and `BENCHMARKS.md` at the repository root.

pub mod chart;
pub mod chat;
pub mod cli;
pub mod client;
pub mod echo;
pub mod http2;
pub mod load;
pub mod open;
pub mod procfs;
pub mod rooms;
pub mod soak;
