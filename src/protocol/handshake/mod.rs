//! The HTTP/1.1 opening handshake (RFC 6455 §4), and its HTTP/2 form (RFC 8441,
//! [`validate_connect_request`]), sans-I/O.
//!
//! Nothing here touches a socket, a clock or a random number generator: bytes go in,
//! parsed heads, verdicts and bytes to send come out. A driver uses it like this:
//!
//! **Server**: append received bytes to a buffer and call [`parse_request`] until it returns
//! `Ok(Some((request, n)))` (it fails once the head outgrows [`HeadLimits`]; answer
//! `Rejection::from(&error)`, whose status is [`HandshakeError::http_status`]). Pass the
//! request to [`validate_request`]; on `Err(rejection)` write [`Rejection::to_bytes`] and
//! close. On success, check [`UpgradeRequest::origin`] (for example with
//! [`origin_matches_host`], answering [`Rejection::cross_origin`] if it fails), then call
//! [`UpgradeRequest::accept`] with the chosen subprotocol and compression options and
//! write the [`Agreement::response`]. Bytes after `n` in the buffer already belong to the
//! WebSocket stream: feed them to the protocol core first.
//!
//! **Client**: pick a key with [`generate_key`], write [`ClientRequest::to_bytes`], then call
//! [`parse_response`] on received bytes until it returns `Ok(Some((response, n)))`. If the
//! status is not 101, read a bounded body with a [`BodyDecoder`]; then call
//! [`check_response`]. Bytes after `n` are WebSocket frames.
//!
//! ```
//! use squall::protocol::handshake::{
//!     check_response, generate_key, parse_request, parse_response, validate_request,
//!     ClientRequest, HeadLimits,
//! };
//!
//! let key = generate_key([7; 16]);
//! let offered = vec!["chat".to_owned()];
//! let headers = http::HeaderMap::new();
//! let request = ClientRequest {
//!     host: "example.com",
//!     port: 80,
//!     default_port: true,
//!     path_and_query: "/ws?room=1",
//!     key: &key,
//!     subprotocols: &offered,
//!     extensions: None,
//!     headers: &headers,
//! };
//!
//! // Server side.
//! let bytes = request.to_bytes();
//! let (req, n) = parse_request(&bytes, &HeadLimits::default())?.expect("complete head");
//! assert_eq!(n, bytes.len());
//! let upgrade = validate_request(&req).expect("valid upgrade");
//! assert_eq!(upgrade.subprotocols, ["chat"]);
//! let answer = upgrade.accept(Some("chat".to_owned()), None).response(&http::HeaderMap::new());
//!
//! // Client side.
//! let (resp, _) = parse_response(&answer, &HeadLimits::default())?.expect("complete head");
//! let accepted = check_response(&resp, &key, &offered, &[], bytes::Bytes::new())?;
//! assert_eq!(accepted.subprotocol.as_deref(), Some("chat"));
//! # Ok::<(), squall::HandshakeError>(())
//! ```

mod accept;
mod body;
mod client;
mod connect;
mod error;
mod head;
mod key;
mod server;
#[cfg(test)]
mod tests;

pub use accept::{accept_response, Agreement};
pub use body::{BodyDecoder, MAX_BODY};
pub use client::{check_response, is_valid_subprotocol, AcceptedResponse, ClientRequest};
pub use connect::{check_connect_response, validate_connect_request};
pub use error::HandshakeError;
pub use head::{parse_request, parse_response, HeadLimits};
#[cfg(feature = "server")]
pub(crate) use head::{request_header_fields, request_header_map};
pub use key::{derive_accept_key, generate_key};
pub use server::{origin_matches_host, validate_request, Rejection, UpgradeRequest};
