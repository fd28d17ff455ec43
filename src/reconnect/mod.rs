//! A client that reconnects: [`ReconnectingClient`], with exponential backoff and jitter
//! ([`Backoff`]), the same on tokio and in a browser.
//!
//! The policy ([`Backoff`]) is pure arithmetic: attempt number and a random draw in, delay
//! out. The client reads the current connection's messages and its state changes as one
//! stream of [`Event`]s, and its [`ReconnectHandle`] writes to whichever connection is open.
//! The platform (timer, clock) is one small internal module: tokio natively, the page's
//! timers in a browser.
//!
//! ```no_run
//! use squall::reconnect::{Backoff, Event, ReconnectingClient};
//!
//! # async fn run() -> Result<(), squall::Error> {
//! let mut client = ReconnectingClient::new("ws://127.0.0.1:8888/feed", Backoff::new())?;
//! while let Some(event) = client.next_event().await {
//!     if let Event::Message(message) = event {
//!         println!("{message:?}");
//!     }
//! }
//! # Ok(()) }
//! ```

mod client;
mod platform;

pub use crate::backoff::Backoff;
pub use client::{Event, ReconnectHandle, ReconnectingClient};
