//! The benchmark harness's shared pieces: a minimal WebSocket client for the load generator
//! ([`client`]), the cells it runs ([`echo`], [`load`]), `/proc` readers for CPU time and RSS
//! ([`procfs`]), and the command-line helpers the binaries share ([`cli`]).
//!
//! See `bench/run.sh` and `BENCHMARKS.md` at the repository root.

pub mod cli;
pub mod client;
pub mod echo;
pub mod load;
pub mod procfs;
pub mod soak;
