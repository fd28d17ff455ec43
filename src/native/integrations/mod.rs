//! Hosting [`WebSocketHandler`](crate::WebSocketHandler)s in other HTTP servers: hyper 1
//! ([`hyper`], feature `hyper`) and axum 0.8 ([`axum`], feature `axum`).
//!
//! The host server parses the HTTP request and writes the response; squall checks the
//! request as [`Application`](crate::Application) does (method, version, headers, then the
//! handler's `check_origin`, `prepare`, `select_subprotocol` and compression options) and,
//! once the host hands over the upgraded connection, runs it on squall's protocol core.

#[cfg(feature = "axum")]
pub mod axum;
pub mod hyper;
