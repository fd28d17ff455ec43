//! Close codes (RFC 6455 §7.4), close frames, and how a connection ended.

use std::fmt;

use crate::error::{Error, Failure};

/// The longest close reason a close frame can carry: a control frame payload is at most
/// 125 bytes, two of which hold the code (RFC 6455 §5.5).
pub const MAX_CLOSE_REASON_LEN: usize = 123;

/// A WebSocket close status code (RFC 6455 §7.4 and the IANA registry).
///
/// Any `u16` can be represented, so a code received from a peer is never lost; the
/// predicates say which codes may travel on the wire.
///
/// ```
/// use squall::CloseCode;
///
/// assert!(CloseCode::NORMAL.is_sendable());
/// assert!(CloseCode::from(4000).is_sendable());
/// // 1005 and 1006 only ever describe a close locally; they never appear on the wire.
/// assert!(!CloseCode::NO_STATUS.is_sendable());
/// assert!(!CloseCode::ABNORMAL.is_sendable());
/// assert_eq!(u16::from(CloseCode::MESSAGE_TOO_BIG), 1009);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the endpoint received a type of data it cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: reported locally when a close frame carried no code; never sent.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: reported locally when the connection dropped without a close frame; never sent.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a message's data did not match its type (invalid UTF-8 in a text message).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the endpoint hit an unexpected condition (also: a peer missed its ping timeout).
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (also: a slow consumer dropped by a broadcast).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway received an invalid response from upstream.
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: reported locally when the TLS handshake failed; never sent.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// The numeric value.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether an endpoint may put this code in a close frame: 1000-1003, 1007-1014
    /// (RFC 6455 and the IANA registry), 3000-3999 (registered libraries and frameworks)
    /// and 4000-4999 (private use).
    ///
    /// Receiving a code outside this set is a protocol error (1002).
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether the code lies in the application ranges 3000-4999, the only codes besides
    /// 1000 that browsers let scripts send.
    pub const fn is_application(self) -> bool {
        matches!(self.0, 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A close code with its reason, as carried by a close frame.
///
/// [`CloseFrame::new`] checks the rules for sending; the fields stay public so a frame
/// received from a peer (which the protocol core has already checked) can be matched on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code.
    pub code: CloseCode,
    /// The reason: UTF-8, at most [`MAX_CLOSE_REASON_LEN`] bytes.
    pub reason: String,
}

impl CloseFrame {
    /// A close frame that may be sent: the code must be sendable and the reason at most
    /// 123 bytes of UTF-8.
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] or [`Error::CloseReasonTooLong`].
    ///
    /// ```
    /// use squall::{CloseCode, CloseFrame};
    ///
    /// let frame = CloseFrame::new(CloseCode::from(4000), "bye").unwrap();
    /// assert_eq!(frame.reason, "bye");
    /// assert!(CloseFrame::new(CloseCode::ABNORMAL, "").is_err());
    /// assert!(CloseFrame::new(CloseCode::NORMAL, "x".repeat(124)).is_err());
    /// ```
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Result<Self, Error> {
        let frame = Self {
            code,
            reason: reason.into(),
        };
        frame.validate()?;
        Ok(frame)
    }

    /// Checks the rules for sending this frame.
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] or [`Error::CloseReasonTooLong`].
    pub fn validate(&self) -> Result<(), Error> {
        if !self.code.is_sendable() {
            return Err(Error::InvalidCloseCode(self.code));
        }
        if self.reason.len() > MAX_CLOSE_REASON_LEN {
            return Err(Error::CloseReasonTooLong(self.reason.len()));
        }
        Ok(())
    }

    /// Builds the frame for Tornado's `close(code, reason)`: a reason without a code is
    /// sent with 1000, and neither gives an empty close frame (`None`).
    ///
    /// # Errors
    /// As [`CloseFrame::new`].
    pub fn from_parts(
        code: Option<CloseCode>,
        reason: Option<&str>,
    ) -> Result<Option<Self>, Error> {
        match (code, reason) {
            (None, None) => Ok(None),
            (code, reason) => Self::new(
                code.unwrap_or(CloseCode::NORMAL),
                reason.unwrap_or_default(),
            )
            .map(Some),
        }
    }
}

/// How a connection ended, as `closed()` on a connection reports it and the protocol core's
/// [`Event::Closed`](crate::protocol::Event::Closed) carries it.
///
/// ```
/// use squall::{Closed, Failure, Timeout};
///
/// fn describe(closed: &Closed) -> String {
///     match &closed.error {
///         Some(Failure::Timeout(Timeout::Ping)) => "the peer stopped answering pings".into(),
///         Some(Failure::Protocol(error)) => format!("the peer broke the protocol: {error}"),
///         Some(other) => format!("closed by this side: {other}"),
///         None if closed.clean => format!("closed with {}", closed.code),
///         None => "the connection dropped".into(),
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    /// The code of the close that ended the connection: the peer's if the peer closed
    /// first, this side's otherwise; [`CloseCode::NO_STATUS`] (1005) for a close frame
    /// without a code and [`CloseCode::ABNORMAL`] (1006) when the TCP connection ended without one.
    pub code: CloseCode,
    /// The reason that came with `code`.
    pub reason: String,
    /// Whether the peer started the close (or dropped the connection).
    pub by_peer: bool,
    /// Whether both close frames were exchanged.
    pub clean: bool,
    /// Why this side failed the connection, if it did: the peer's protocol violation, or
    /// a timeout of this side (a keepalive ping unanswered, a peer that stopped reading).
    pub error: Option<Failure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_codes_follow_rfc_and_registry() {
        for code in 0..=u16::MAX {
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode::from(code).is_sendable(), expected, "code {code}");
        }
    }

    #[test]
    fn reserved_codes_are_never_sendable() {
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, u16::MAX] {
            assert!(
                CloseFrame::new(CloseCode::from(code), "").is_err(),
                "{code}"
            );
        }
    }

    #[test]
    fn reason_limit_is_in_bytes() {
        // 41 three-byte characters are 123 bytes; one more is too many.
        let ok = "€".repeat(41);
        assert!(CloseFrame::new(CloseCode::NORMAL, ok.clone()).is_ok());
        let too_long = format!("{ok}a");
        assert!(matches!(
            CloseFrame::new(CloseCode::NORMAL, too_long),
            Err(Error::CloseReasonTooLong(124))
        ));
    }

    #[test]
    fn tornado_close_parts() {
        assert_eq!(CloseFrame::from_parts(None, None).unwrap(), None);
        let frame = CloseFrame::from_parts(None, Some("bye")).unwrap().unwrap();
        assert_eq!(frame.code, CloseCode::NORMAL);
        assert_eq!(frame.reason, "bye");
        let frame = CloseFrame::from_parts(Some(4001.into()), None)
            .unwrap()
            .unwrap();
        assert_eq!((frame.code.as_u16(), frame.reason.as_str()), (4001, ""));
    }
}
