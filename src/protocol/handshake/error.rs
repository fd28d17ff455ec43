//! Why an opening handshake failed.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// Why an opening handshake failed.
///
/// The parse errors ([`Malformed`](Self::Malformed), [`HeadTooLarge`](Self::HeadTooLarge),
/// [`TooManyHeaders`](Self::TooManyHeaders)) come from [`parse_request`] and
/// [`parse_response`]; the client checks of RFC 6455 §4.1 come from [`check_response`];
/// [`UnexpectedEof`](Self::UnexpectedEof), [`Timeout`](Self::Timeout) and
/// [`Rejected`](Self::Rejected) are produced by drivers.
///
/// [`parse_request`]: super::parse_request
/// [`parse_response`]: super::parse_response
/// [`check_response`]: super::check_response
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The HTTP head could not be parsed (bad request or status line, bad header name or
    /// value, bad request target), or a handshake header value is not visible ASCII.
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
    /// The HTTP head (request or status line plus headers) is longer than
    /// [`HeadLimits::max_head_bytes`](super::HeadLimits::max_head_bytes); reported as soon
    /// as that many bytes arrived without a complete head.
    #[error("HTTP head exceeds the limit of {limit} bytes")]
    HeadTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The HTTP head has more headers than
    /// [`HeadLimits::max_headers`](super::HeadLimits::max_headers).
    #[error("HTTP head has more than {limit} headers")]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// The server answered the upgrade request with a status other than 101 Switching
    /// Protocols (for example a 403, a 404 or a redirect, which is not followed).
    #[error(
        "server answered with status {status} instead of 101 Switching Protocols{}",
        excerpt(body)
    )]
    UnexpectedStatus {
        /// The status the server sent.
        status: StatusCode,
        /// The headers of that response (boxed to keep the error small).
        headers: Box<HeaderMap>,
        /// The start of the response body, as much as the driver read (possibly empty).
        body: Bytes,
    },
    /// The 101 response has no `Upgrade` header naming `websocket`.
    #[error("response lacks \"Upgrade: websocket\"")]
    MissingUpgrade,
    /// The 101 response has no `Connection` header containing the token `upgrade`.
    #[error("response lacks \"Connection: Upgrade\"")]
    MissingConnectionUpgrade,
    /// The 101 response has no `Sec-WebSocket-Accept` header, more than one, or one that
    /// does not match the key sent.
    #[error("missing or wrong Sec-WebSocket-Accept")]
    InvalidAccept,
    /// The 101 response selects more than one subprotocol.
    #[error("server selected more than one subprotocol")]
    MultipleSubprotocols,
    /// The 101 response selects a subprotocol the client did not offer (any subprotocol,
    /// when none was offered).
    #[error("server selected subprotocol {0:?}, which was not offered")]
    UnofferedSubprotocol(String),
    /// The 101 response agrees to an extension the client did not offer.
    #[error("server accepted extension {0:?}, which was not offered")]
    UnofferedExtension(String),
    /// The peer closed the connection before the handshake completed (set by drivers).
    #[error("connection closed during the opening handshake")]
    UnexpectedEof,
    /// The opening handshake did not complete in time (set by drivers).
    #[error("opening handshake timed out")]
    Timeout,
    /// The server side refused the upgrade request and answered with this status (set by
    /// server drivers, from a [`Rejection`](super::Rejection)).
    #[error("upgrade request rejected with status {status}")]
    Rejected {
        /// The status sent back to the client.
        status: StatusCode,
    },
}

impl HandshakeError {
    /// The HTTP status a server answers this error with, the one map from handshake error
    /// to status: 431 Request Header Fields Too Large for [`HeadTooLarge`](Self::HeadTooLarge)
    /// and [`TooManyHeaders`](Self::TooManyHeaders), 408 Request Timeout for
    /// [`Timeout`](Self::Timeout), the status of [`Rejected`](Self::Rejected) and of
    /// [`UnexpectedStatus`](Self::UnexpectedStatus), and 400 Bad Request for the rest.
    ///
    /// `Rejection::from(&error)` is the full answer (this status, the message as its body).
    ///
    /// ```
    /// use squall::protocol::handshake::{parse_request, HeadLimits};
    ///
    /// let limits = HeadLimits { max_head_bytes: 16, ..HeadLimits::default() };
    /// let error = parse_request(b"GET / HTTP/1.1\r\nHost: example.com\r\n", &limits).unwrap_err();
    /// assert_eq!(error.http_status(), http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    /// let error = parse_request(b"GET / HTTP/1.1\r\nHost\r\n\r\n", &HeadLimits::default())
    ///     .unwrap_err();
    /// assert_eq!(error.http_status(), http::StatusCode::BAD_REQUEST);
    /// ```
    #[must_use]
    pub fn http_status(&self) -> StatusCode {
        match self {
            Self::HeadTooLarge { .. } | Self::TooManyHeaders { .. } => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Rejected { status } | Self::UnexpectedStatus { status, .. } => *status,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The start of a response body, for an error message: `: "text"`, or nothing when the body
/// is empty or not text.
fn excerpt(body: &Bytes) -> String {
    const MAX_CHARS: usize = 200;
    // A body cut mid-character by the read still shows its text up to there.
    let text = std::str::from_utf8(body).unwrap_or_else(|error| {
        std::str::from_utf8(&body[..error.valid_up_to()]).unwrap_or_default()
    });
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut shown: String = text.chars().take(MAX_CHARS).collect();
    if shown.len() < text.len() {
        shown.push_str("...");
    }
    format!(": {shown:?}")
}

impl From<&super::Rejection> for HandshakeError {
    fn from(rejection: &super::Rejection) -> Self {
        Self::Rejected {
            status: rejection.status,
        }
    }
}
