//! The HTTP/1.1 opening handshake (RFC 6455 §4), sans-I/O.

/// Why an opening handshake failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The HTTP head could not be parsed.
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
}
