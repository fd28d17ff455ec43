//! permessage-deflate (RFC 7692): negotiation and the per-connection codec.
//!
//! Negotiation is pure functions over parsed headers
//! ([`ExtensionOffer`](crate::protocol::extensions::ExtensionOffer)s) and
//! [`CompressionOptions`](crate::CompressionOptions):
//!
//! * a client sends [`client_offer`] and checks the server's answer with [`client_accept`];
//! * a server picks the first acceptable offer with [`server_accept`] and sends back the
//!   header value it returns.
//!
//! [`server_negotiate`] and [`client_negotiate`] do the same from the raw header values,
//! parsing included: the server and the client drivers both call them.
//!
//! Both end with the [`DeflateParams`] in force, which the connection core turns into its
//! codec (crate-private): a compressor for the messages this side sends and a
//! decompressor, capped at the message size limit, for the messages it receives.
//!
//! zlib cannot compress a raw deflate stream with a 256-byte window, so
//! this side never agrees to *compress* with `max_window_bits=8`: a server declines an
//! offer that asks for it, and a client that is told to use it sends every message
//! uncompressed (allowed by RFC 7692 §6). Peers' 8-bit streams inflate normally.

mod codec;
mod large;
mod negotiation;
mod zlib;

pub(crate) use codec::{DeflateError, PerMessageDeflate};
pub use negotiation::{
    client_accept, client_negotiate, client_offer, server_accept, server_negotiate,
    DeflateNegotiationError, DeflateParams, EXTENSION_NAME,
};
