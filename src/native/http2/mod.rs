//! WebSockets over HTTP/2 (RFC 8441, feature `http2`): an HTTP/2 stream is one more byte
//! transport for the driver, opened by an extended CONNECT instead of an `Upgrade`.

mod prefixed;
pub(crate) mod server;
mod stream;

pub(crate) use prefixed::Prefixed;
pub(crate) use server::{Respond, PREFACE};
