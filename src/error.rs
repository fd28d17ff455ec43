//! The crate's error types.

use std::borrow::Cow;
use std::time::Duration;

use crate::close::CloseCode;

/// Returned by every write, ping or close once the connection is closing or closed,
/// as Tornado's `WebSocketClosedError`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("the WebSocket connection is closed")]
pub struct WebSocketClosedError;

/// What went wrong, for every public operation of the crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection is closing or closed; nothing more can be sent.
    #[error(transparent)]
    Closed(#[from] WebSocketClosedError),
    /// The peer broke the protocol; the connection was closed with
    /// [`ProtocolError::close_code`].
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The opening handshake failed.
    #[error(transparent)]
    Handshake(Box<HandshakeError>),
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Connecting (DNS, TCP, TLS and the handshake together) took longer than `connect_timeout`.
    #[error("connecting timed out after {0:?}")]
    ConnectTimeout(Duration),
    /// A close code that may not be sent: one RFC 6455 reserves (see
    /// [`CloseCode::is_sendable`]), or, in a browser, any but 1000 and 3000-4999.
    #[error("{}", invalid_close_code(*.0))]
    InvalidCloseCode(CloseCode),
    /// A close reason longer than 123 bytes.
    #[error("close reason is {0} bytes; at most 123 fit in a close frame")]
    CloseReasonTooLong(usize),
    /// A ping or pong payload longer than 125 bytes.
    #[error("control frame payload is {0} bytes; at most 125 are allowed")]
    ControlPayloadTooLong(usize),
    /// A URL that is not a valid `ws://` or `wss://` URL.
    #[error("invalid WebSocket URL: {0}")]
    InvalidUrl(String),
    /// The HTTP proxy did not open the tunnel (see [`ProxyError`]).
    #[error(transparent)]
    Proxy(Box<ProxyError>),
    /// The server redirected more times in a row than
    /// [`ConnectOptions::follow_redirects`](crate::ConnectOptions::follow_redirects) allows
    /// (the limit).
    #[error("more than {0} redirects (the follow_redirects limit)")]
    TooManyRedirects(usize),
    /// An option or operation the current backend cannot provide (for example custom
    /// headers in a browser); the message names it, or every one of them when several
    /// options are refused at once.
    #[error("not supported: {0}")]
    Unsupported(Cow<'static, str>),
    /// A message was not valid JSON for the requested type, or a value could not be encoded.
    #[cfg(feature = "json")]
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

/// Says which rule refused a close code: RFC 6455's, or (for a code the RFC allows) the
/// browser's.
fn invalid_close_code(code: CloseCode) -> String {
    if code.is_sendable() {
        format!(
            "close code {code} may not be sent from a browser: scripts may send only 1000 and \
             3000-4999"
        )
    } else {
        format!("close code {code} may not be sent (RFC 6455 reserves it)")
    }
}

impl From<HandshakeError> for Error {
    fn from(err: HandshakeError) -> Self {
        Self::Handshake(Box::new(err))
    }
}

impl From<ProxyError> for Error {
    fn from(err: ProxyError) -> Self {
        Self::Proxy(Box::new(err))
    }
}

pub use crate::protocol::handshake::HandshakeError;

/// Why an HTTP proxy did not open the tunnel its client asked for with
/// `CONNECT host:port` (see [`Proxy`](crate::Proxy)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The proxy answered `CONNECT` with a status other than 2xx: for example 407 (Proxy
    /// Authentication Required: credentials missing or wrong; see the `Proxy-Authenticate`
    /// header), 403 (the target is not allowed) or 502 (the proxy could not reach it).
    #[error("the proxy answered CONNECT with status {status}")]
    Refused {
        /// The status the proxy sent.
        status: http::StatusCode,
        /// The headers of that answer (boxed to keep the error small).
        headers: Box<http::HeaderMap>,
    },
    /// The proxy's answer is not an HTTP response head within the limits of
    /// [`HeadLimits::DEFAULT`](crate::protocol::handshake::HeadLimits::DEFAULT), or bytes
    /// followed its 2xx head before the client spoke.
    #[error("malformed answer from the proxy: {0}")]
    Malformed(String),
    /// The proxy closed the connection before answering `CONNECT`.
    #[error("the proxy closed the connection before answering CONNECT")]
    UnexpectedEof,
}

/// A violation of RFC 6455 (or RFC 7692) by the peer, or a limit it exceeded.
///
/// Each variant maps to the close code sent to the peer by [`ProtocolError::close_code`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A reserved bit was set that no negotiated extension claims.
    #[error("reserved bits set without an extension that defines them")]
    ReservedBits,
    /// RSV1 (compressed) on a continuation or control frame.
    #[error("compressed bit on a continuation or control frame")]
    CompressedContinuationOrControl,
    /// An opcode RFC 6455 reserves.
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A client sent an unmasked frame.
    #[error("client frame is not masked")]
    UnmaskedClientFrame,
    /// A server sent a masked frame.
    #[error("server frame is masked")]
    MaskedServerFrame,
    /// A control frame without FIN.
    #[error("fragmented control frame")]
    FragmentedControlFrame,
    /// A control frame with more than 125 bytes of payload.
    #[error("control frame payload over 125 bytes")]
    ControlFrameTooLong,
    /// A 64-bit payload length with its most significant bit set.
    #[error("64-bit payload length with the top bit set")]
    InvalidPayloadLength,
    /// A continuation frame with no message in progress.
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message was in progress.
    #[error("new data frame while a fragmented message is in progress")]
    ExpectedContinuation,
    /// A close frame with a one-byte payload.
    #[error("close frame payload of one byte")]
    InvalidClosePayload,
    /// A close frame with a code that may not be sent on the wire.
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// Text that is not valid UTF-8, in a message or a close reason.
    #[error("invalid UTF-8 in text")]
    InvalidUtf8,
    /// A frame longer than the frame size limit.
    #[error("frame of {size} bytes exceeds the limit of {limit}")]
    FrameTooBig {
        /// The announced frame length.
        size: u64,
        /// The limit in force.
        limit: usize,
    },
    /// A message longer than `max_message_size` (after decompression when compressed).
    #[error("message exceeds the limit of {limit} bytes")]
    MessageTooBig {
        /// The limit in force.
        limit: usize,
    },
    /// Compressed data that does not inflate.
    #[error("corrupt compressed data")]
    CorruptCompressedData,
}

impl ProtocolError {
    /// The close code this error is reported with: 1002 for framing violations, 1007
    /// for invalid UTF-8 and 1009 for size limits.
    ///
    /// ```
    /// use squall::{CloseCode, ProtocolError};
    ///
    /// assert_eq!(ProtocolError::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
    /// assert_eq!(ProtocolError::ReservedBits.close_code(), CloseCode::PROTOCOL_ERROR);
    /// ```
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooBig { .. } | Self::MessageTooBig { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// A timeout of this side that ended a connection: the peer broke no rule, this side
/// stopped waiting for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Timeout {
    /// A keepalive ping went unanswered for `ping_timeout`.
    #[error("keepalive ping timeout")]
    Ping,
    /// The peer read none of the pending output for `write_timeout` (server
    /// [`Settings`](crate::Settings)); the connection is dropped.
    #[error("the peer stopped reading")]
    Write,
}

impl Timeout {
    /// The close code this timeout is reported with: 1011 for a missed ping, as Tornado,
    /// and 1008 for a peer that stopped reading.
    ///
    /// ```
    /// use squall::{CloseCode, Timeout};
    ///
    /// assert_eq!(Timeout::Ping.close_code(), CloseCode::INTERNAL_ERROR);
    /// ```
    pub fn close_code(self) -> CloseCode {
        match self {
            Self::Ping => CloseCode::INTERNAL_ERROR,
            Self::Write => CloseCode::POLICY_VIOLATION,
        }
    }
}

/// Why this side failed a connection (RFC 6455 §7.1.7): what the peer did wrong, or a
/// timeout of this side. It is [`Closed::error`](crate::Closed::error).
///
/// ```
/// use squall::{CloseCode, Failure, ProtocolError, Timeout};
///
/// let failure = Failure::from(Timeout::Ping);
/// assert_eq!(failure.close_code(), CloseCode::INTERNAL_ERROR);
/// assert_eq!(failure.to_string(), "keepalive ping timeout");
/// let failure = Failure::from(ProtocolError::InvalidUtf8);
/// assert_eq!(failure.close_code(), CloseCode::INVALID_PAYLOAD);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The peer broke the protocol or exceeded a limit.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The peer stopped answering or reading, and this side gave up waiting.
    #[error(transparent)]
    Timeout(#[from] Timeout),
}

impl Failure {
    /// The close code the connection was failed with (see [`ProtocolError::close_code`]
    /// and [`Timeout::close_code`]).
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::Protocol(error) => error.close_code(),
            Self::Timeout(timeout) => timeout.close_code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_close_code_names_the_rule_that_refused_it() {
        let reserved = Error::InvalidCloseCode(CloseCode::NO_STATUS).to_string();
        assert_eq!(
            reserved,
            "close code 1005 may not be sent (RFC 6455 reserves it)"
        );
        // Only a browser refuses a code the RFC allows.
        let browser = Error::InvalidCloseCode(CloseCode::GOING_AWAY).to_string();
        assert!(
            browser.contains("1001 may not be sent from a browser"),
            "{browser}"
        );
    }
}
