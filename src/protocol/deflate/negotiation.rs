//! permessage-deflate negotiation (RFC 7692 §5 and §7.1), as pure functions.

use std::fmt;

use crate::compression::CompressionOptions;
use crate::protocol::extensions::{parse_extensions, ExtensionOffer};
use crate::protocol::handshake::HandshakeError;

/// The extension token, `permessage-deflate`.
pub const EXTENSION_NAME: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The smallest window zlib can compress a raw deflate stream with.
const MIN_COMPRESS_WINDOW_BITS: u8 = 9;

/// The permessage-deflate parameters in force on a connection, once negotiated.
///
/// Window sizes are base-2 logarithms, 15 (32 KiB) when not limited. The `server_*`
/// fields describe the server's compressor (and so the client's decompressor) and the
/// `client_*` fields the client's compressor; [`Role`](crate::protocol::Role) decides which
/// pair is this side's.
///
/// ```
/// use squall::protocol::deflate::DeflateParams;
///
/// let params = DeflateParams::default();
/// assert_eq!(params.server_max_window_bits, 15);
/// assert_eq!(params.to_string(), "permessage-deflate");
///
/// let params = DeflateParams { server_no_context_takeover: true, client_max_window_bits: 10, ..params };
/// assert_eq!(
///     params.to_header_value(),
///     "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with, 8 to 15.
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with, 8 to 15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// No parameters: context takeover on both sides and 15-bit windows.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// The parameters as a `Sec-WebSocket-Extensions` value, listing each one that differs
    /// from the default: `permessage-deflate` alone means context takeover and 15-bit
    /// windows on both sides.
    ///
    /// This is a summary of what is in force (for logs, or to report the negotiated
    /// extensions). The server's actual response, from [`server_accept`], can differ: it
    /// may echo a parameter at its default value, such as `server_max_window_bits=15`.
    pub fn to_header_value(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DeflateParams {
    /// Same as [`DeflateParams::to_header_value`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXTENSION_NAME)?;
        if self.server_no_context_takeover {
            write!(f, "; {SERVER_NO_CONTEXT_TAKEOVER}")?;
        }
        if self.client_no_context_takeover {
            write!(f, "; {CLIENT_NO_CONTEXT_TAKEOVER}")?;
        }
        if self.server_max_window_bits != 15 {
            write!(
                f,
                "; {SERVER_MAX_WINDOW_BITS}={}",
                self.server_max_window_bits
            )?;
        }
        if self.client_max_window_bits != 15 {
            write!(
                f,
                "; {CLIENT_MAX_WINDOW_BITS}={}",
                self.client_max_window_bits
            )?;
        }
        Ok(())
    }
}

/// Why a client rejects the server's `Sec-WebSocket-Extensions` response; the client must
/// then fail the connection (RFC 6455 §4.1, RFC 7692 §5).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeflateNegotiationError {
    /// The response names an extension the client did not offer.
    #[error("the server accepted extension {0:?}, which was not offered")]
    UnsupportedExtension(String),
    /// The response accepts permessage-deflate more than once.
    #[error("the server accepted permessage-deflate more than once")]
    DuplicateExtension,
    /// The response has a parameter RFC 7692 does not define.
    #[error("unknown permessage-deflate parameter {0:?}")]
    UnknownParameter(String),
    /// The response has the same parameter twice.
    #[error("duplicate permessage-deflate parameter {0:?}")]
    DuplicateParameter(String),
    /// A parameter has a value it may not carry, lacks the value it needs, or its value is
    /// out of range (window bits must be a decimal integer from 8 to 15).
    #[error("invalid value {value:?} for permessage-deflate parameter {name:?}")]
    InvalidValue {
        /// The parameter name.
        name: String,
        /// The value received, `None` if it had none.
        value: Option<String>,
    },
    /// The client requested a parameter that a server accepting the offer must echo,
    /// and the response leaves it out (`server_no_context_takeover`,
    /// `server_max_window_bits`).
    #[error("the server left out {0}, which the client requested")]
    MissingParameter(&'static str),
    /// `server_max_window_bits` larger than the client requested.
    #[error("server_max_window_bits={received} exceeds the {requested} requested")]
    ServerWindowTooLarge {
        /// The client's request.
        requested: u8,
        /// The server's answer.
        received: u8,
    },
    /// `client_max_window_bits` larger than the client offered.
    #[error("client_max_window_bits={received} exceeds the {offered} offered")]
    ClientWindowTooLarge {
        /// The client's offer.
        offered: u8,
        /// The server's answer.
        received: u8,
    },
}

/// The client's `Sec-WebSocket-Extensions` offer for `opts`.
///
/// It always includes `client_max_window_bits`, bare unless
/// [`CompressionOptions::client_max_window_bits`] sets a value (8 is offered as 9, the
/// smallest window zlib compresses with), and adds `server_no_context_takeover`,
/// `client_no_context_takeover` and `server_max_window_bits=N` when the options ask for
/// them.
///
/// ```
/// use squall::protocol::deflate::client_offer;
/// use squall::CompressionOptions;
///
/// assert_eq!(
///     client_offer(&CompressionOptions::default()),
///     "permessage-deflate; client_max_window_bits"
/// );
/// let opts = CompressionOptions::default()
///     .server_no_context_takeover(true)
///     .server_max_window_bits(Some(10))
///     .client_max_window_bits(Some(12));
/// assert_eq!(
///     client_offer(&opts),
///     "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
///      client_max_window_bits=12"
/// );
/// ```
pub fn client_offer(opts: &CompressionOptions) -> String {
    let mut offer = String::from(EXTENSION_NAME);
    if opts.server_no_context_takeover {
        offer.push_str("; ");
        offer.push_str(SERVER_NO_CONTEXT_TAKEOVER);
    }
    if opts.client_no_context_takeover {
        offer.push_str("; ");
        offer.push_str(CLIENT_NO_CONTEXT_TAKEOVER);
    }
    if let Some(bits) = opts.server_max_window_bits {
        offer.push_str(&format!("; {SERVER_MAX_WINDOW_BITS}={bits}"));
    }
    match client_window_hint(opts) {
        Some(bits) => offer.push_str(&format!("; {CLIENT_MAX_WINDOW_BITS}={bits}")),
        None => {
            offer.push_str("; ");
            offer.push_str(CLIENT_MAX_WINDOW_BITS);
        }
    }
    offer
}

/// The value a client offers with `client_max_window_bits`, if any.
fn client_window_hint(opts: &CompressionOptions) -> Option<u8> {
    opts.client_max_window_bits
        .map(|bits| bits.clamp(MIN_COMPRESS_WINDOW_BITS, 15))
}

/// Picks the first acceptable `permessage-deflate` offer from a client's
/// `Sec-WebSocket-Extensions` header and returns the parameters in force with the value
/// of the response header; `None` to run without compression.
///
/// Offers of other extensions are skipped. An offer is declined (and the next one tried)
/// when it
///
/// * has an unknown or duplicate parameter, a value where none is allowed
///   (`*_no_context_takeover`), or a window size that is missing (for
///   `server_max_window_bits`), not a plain decimal, or outside 8..=15;
/// * requests `server_max_window_bits=8`: zlib cannot compress with a 256-byte window;
/// * lacks `client_max_window_bits` while [`CompressionOptions::client_max_window_bits`]
///   insists on a limit.
///
/// For an accepted offer the response
///
/// * includes `server_no_context_takeover` when the client requested it or the server
///   policy wants it, and `client_no_context_takeover` when the client announced it or the
///   policy wants it;
/// * answers a requested `server_max_window_bits=N` with the smaller of `N` and the
///   policy's limit, and includes the policy's limit even when nothing was requested;
/// * includes `client_max_window_bits` only if the client offered it: with the policy's
///   limit ([`CompressionOptions::client_max_window_bits`], else
///   [`CompressionOptions::preferred_client_max_window_bits`] unless the client resets
///   after every message), the client's own value if it gave a smaller one, or not at all
///   for a bare offer with neither (a bare `client_max_window_bits` only says the client
///   *could* honour a limit).
///
/// ```
/// use squall::protocol::deflate::{server_accept, DeflateParams};
/// use squall::protocol::extensions::parse_extensions;
/// use squall::CompressionOptions;
///
/// // Chromium's offer: the default policy asks for a 12-bit client window.
/// let offers = parse_extensions(["permessage-deflate; client_max_window_bits"]).unwrap();
/// let (params, response) = server_accept(&offers, &CompressionOptions::default()).unwrap();
/// assert_eq!(params, DeflateParams { client_max_window_bits: 12, ..DeflateParams::default() });
/// assert_eq!(response, "permessage-deflate; client_max_window_bits=12");
///
/// // Without a preference the client keeps its 15 bits.
/// let opts = CompressionOptions::default().preferred_client_max_window_bits(None);
/// let (params, response) = server_accept(&offers, &opts).unwrap();
/// assert_eq!(params, DeflateParams::default());
/// assert_eq!(response, "permessage-deflate");
///
/// // The first offer asks for an 8-bit server window: declined; the second is taken.
/// let offers = parse_extensions([
///     "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover",
/// ])
/// .unwrap();
/// let (params, response) = server_accept(&offers, &CompressionOptions::default()).unwrap();
/// assert!(params.server_no_context_takeover);
/// assert_eq!(response, "permessage-deflate; server_no_context_takeover");
/// ```
pub fn server_accept(
    offers: &[ExtensionOffer],
    opts: &CompressionOptions,
) -> Option<(DeflateParams, String)> {
    offers
        .iter()
        .filter(|offer| offer.name == EXTENSION_NAME)
        .find_map(|offer| accept_one(offer, opts))
}

fn accept_one(
    offer: &ExtensionOffer,
    opts: &CompressionOptions,
) -> Option<(DeflateParams, String)> {
    let received = Received::parse(&offer.params).ok()?;

    let server_no_context_takeover =
        received.server_no_context_takeover || opts.server_no_context_takeover;
    let client_no_context_takeover =
        received.client_no_context_takeover || opts.client_no_context_takeover;

    // The server's own window: the smaller of the client's request and the policy. Both
    // are optional; either puts the parameter in the response.
    let server_window = match (received.server_max_window_bits, opts.server_max_window_bits) {
        (Some(requested), Some(policy)) => Some(requested.min(policy)),
        (requested, policy) => requested.or(policy),
    };
    if server_window.is_some_and(|bits| bits < MIN_COMPRESS_WINDOW_BITS) {
        return None;
    }

    // The client's window: only limited if the client said it can honour a limit. A
    // preference (not an insistence) only matters when the server keeps a window for the
    // client's messages, that is with client context takeover.
    let preferred = opts
        .preferred_client_max_window_bits
        .filter(|_| !client_no_context_takeover);
    let client_window = match (received.client_max_window_bits, opts.client_max_window_bits) {
        (None, None) => None,
        (None, Some(_)) => return None,
        (Some(None), None) => preferred,
        (Some(Some(hint)), None) => Some(preferred.map_or(hint, |bits| hint.min(bits))),
        (Some(None), Some(policy)) => Some(policy),
        (Some(Some(hint)), Some(policy)) => Some(hint.min(policy)),
    };

    let params = DeflateParams {
        server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits: server_window.unwrap_or(15),
        client_max_window_bits: client_window.unwrap_or(15),
    };

    let mut response = String::from(EXTENSION_NAME);
    if server_no_context_takeover {
        response.push_str("; ");
        response.push_str(SERVER_NO_CONTEXT_TAKEOVER);
    }
    if client_no_context_takeover {
        response.push_str("; ");
        response.push_str(CLIENT_NO_CONTEXT_TAKEOVER);
    }
    if let Some(bits) = server_window {
        response.push_str(&format!("; {SERVER_MAX_WINDOW_BITS}={bits}"));
    }
    if let Some(bits) = client_window {
        response.push_str(&format!("; {CLIENT_MAX_WINDOW_BITS}={bits}"));
    }
    Some((params, response))
}

/// Checks the server's `Sec-WebSocket-Extensions` response to [`client_offer`]`(opts)`
/// and returns the parameters in force, or `None` if the server did not accept
/// permessage-deflate (compression off).
///
/// Call it only when the client offered compression; without an offer, any extension in
/// the response is an error for the handshake to report.
///
/// The client's compressor uses the smaller of the server's `client_max_window_bits` and
/// its own [`CompressionOptions::client_max_window_bits`], and resets after every message
/// if either side asked for `client_no_context_takeover`; the returned parameters say so.
/// A `client_max_window_bits=8` answer is accepted, but zlib cannot compress with that
/// window: the client then sends every message uncompressed, which RFC 7692 allows.
///
/// # Errors
///
/// [`DeflateNegotiationError`] when the response names another extension or
/// permessage-deflate twice, has an unknown, duplicate or malformed parameter, leaves out
/// `server_no_context_takeover` or `server_max_window_bits` that the client requested,
/// or answers with a window larger than requested (`server_max_window_bits`) or offered
/// (`client_max_window_bits=N`).
///
/// ```
/// use squall::protocol::deflate::{client_accept, DeflateNegotiationError};
/// use squall::protocol::extensions::parse_extensions;
/// use squall::CompressionOptions;
///
/// let opts = CompressionOptions::default();
/// let response = parse_extensions(["permessage-deflate; server_max_window_bits=10"]).unwrap();
/// let params = client_accept(&response, &opts).unwrap().unwrap();
/// assert_eq!(params.server_max_window_bits, 10);
/// assert_eq!(params.client_max_window_bits, 15);
///
/// assert_eq!(client_accept(&[], &opts), Ok(None));
///
/// let response = parse_extensions(["permessage-deflate; server_max_window_bits=16"]).unwrap();
/// assert!(matches!(
///     client_accept(&response, &opts),
///     Err(DeflateNegotiationError::InvalidValue { .. })
/// ));
/// ```
pub fn client_accept(
    response_values: &[ExtensionOffer],
    opts: &CompressionOptions,
) -> Result<Option<DeflateParams>, DeflateNegotiationError> {
    let mut accepted = None;
    for extension in response_values {
        if extension.name != EXTENSION_NAME {
            return Err(DeflateNegotiationError::UnsupportedExtension(
                extension.name.clone(),
            ));
        }
        if accepted.replace(extension).is_some() {
            return Err(DeflateNegotiationError::DuplicateExtension);
        }
    }
    let Some(extension) = accepted else {
        return Ok(None);
    };
    let received = Received::parse(&extension.params)?;

    if opts.server_no_context_takeover && !received.server_no_context_takeover {
        return Err(DeflateNegotiationError::MissingParameter(
            SERVER_NO_CONTEXT_TAKEOVER,
        ));
    }

    let server_max_window_bits =
        match (opts.server_max_window_bits, received.server_max_window_bits) {
            (Some(_), None) => {
                return Err(DeflateNegotiationError::MissingParameter(
                    SERVER_MAX_WINDOW_BITS,
                ))
            }
            (Some(requested), Some(bits)) if bits > requested => {
                return Err(DeflateNegotiationError::ServerWindowTooLarge {
                    requested,
                    received: bits,
                })
            }
            (_, bits) => bits.unwrap_or(15),
        };

    // The client always offers client_max_window_bits, so the server may answer with it;
    // it must carry a value in a response (RFC 7692 §7.1.2.2).
    let hint = client_window_hint(opts);
    let client_max_window_bits = match received.client_max_window_bits {
        None => hint.unwrap_or(15),
        Some(None) => {
            return Err(DeflateNegotiationError::InvalidValue {
                name: CLIENT_MAX_WINDOW_BITS.to_owned(),
                value: None,
            })
        }
        Some(Some(bits)) => match hint {
            Some(offered) if bits > offered => {
                return Err(DeflateNegotiationError::ClientWindowTooLarge {
                    offered,
                    received: bits,
                })
            }
            _ => bits,
        },
    };

    Ok(Some(DeflateParams {
        server_no_context_takeover: received.server_no_context_takeover,
        client_no_context_takeover: received.client_no_context_takeover
            || opts.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    }))
}

/// The permessage-deflate parameters of one offer or response, checked for syntax.
/// The server's whole negotiation from the raw `Sec-WebSocket-Extensions` request values
/// (one per header, as [`UpgradeRequest::extensions`] holds them): parses them and takes
/// the first acceptable permessage-deflate offer with [`server_accept`].
///
/// Values that do not parse get no compression: the server declines every extension,
/// which RFC 6455 §9.1 allows. [`UpgradeRequest::accept`] calls this.
///
/// [`UpgradeRequest::extensions`]: crate::protocol::handshake::UpgradeRequest::extensions
/// [`UpgradeRequest::accept`]: crate::protocol::handshake::UpgradeRequest::accept
///
/// ```
/// use squall::protocol::deflate::server_negotiate;
/// use squall::CompressionOptions;
///
/// let opts = CompressionOptions::default();
/// let (_, response) = server_negotiate(["x-foo, permessage-deflate"], &opts).unwrap();
/// assert_eq!(response, "permessage-deflate");
/// assert!(server_negotiate(["permessage-deflate;"], &opts).is_none());
/// ```
#[must_use]
pub fn server_negotiate<'a>(
    values: impl IntoIterator<Item = &'a str>,
    opts: &CompressionOptions,
) -> Option<(DeflateParams, String)> {
    let offers = parse_extensions(values).ok()?;
    server_accept(&offers, opts)
}

/// The client's whole check of the raw `Sec-WebSocket-Extensions` response values (as
/// [`AcceptedResponse::extensions`] holds them) after offering [`client_offer`]`(opts)`:
/// parses them and checks them with [`client_accept`]. `Ok(None)` when the server declined.
///
/// [`AcceptedResponse::extensions`]: crate::protocol::handshake::AcceptedResponse::extensions
///
/// # Errors
///
/// [`HandshakeError::UnofferedExtension`] when the response names another extension;
/// [`HandshakeError::Malformed`] when the values do not parse, or the permessage-deflate
/// answer is one RFC 7692 does not allow (see [`DeflateNegotiationError`]).
///
/// ```
/// use squall::protocol::deflate::client_negotiate;
/// use squall::{CompressionOptions, HandshakeError};
///
/// let opts = CompressionOptions::default();
/// let params = client_negotiate(["permessage-deflate"], &opts)?.unwrap();
/// assert_eq!(params.server_max_window_bits, 15);
/// assert_eq!(client_negotiate([], &opts)?, None);
/// assert!(matches!(
///     client_negotiate(["x-foo"], &opts),
///     Err(HandshakeError::UnofferedExtension(name)) if name == "x-foo"
/// ));
/// # Ok::<(), HandshakeError>(())
/// ```
pub fn client_negotiate<'a>(
    values: impl IntoIterator<Item = &'a str>,
    opts: &CompressionOptions,
) -> Result<Option<DeflateParams>, HandshakeError> {
    let malformed = |err: &dyn fmt::Display| {
        HandshakeError::Malformed(format!("Sec-WebSocket-Extensions: {err}"))
    };
    let response = parse_extensions(values).map_err(|err| malformed(&err))?;
    match client_accept(&response, opts) {
        Ok(params) => Ok(params),
        Err(DeflateNegotiationError::UnsupportedExtension(name)) => {
            Err(HandshakeError::UnofferedExtension(name))
        }
        Err(err) => Err(malformed(&err)),
    }
}

#[derive(Debug, Default)]
struct Received {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value.
    client_max_window_bits: Option<Option<u8>>,
}

impl Received {
    /// Rejects unknown and duplicate parameters, values on the flags, a missing
    /// `server_max_window_bits` value and window sizes outside 8..=15. A value-less
    /// `client_max_window_bits` is syntactically fine (valid in offers); the response
    /// check rejects it.
    fn parse(params: &[(String, Option<String>)]) -> Result<Self, DeflateNegotiationError> {
        let mut received = Self::default();
        let mut seen = [false; 4];
        for (name, value) in params {
            let invalid = || DeflateNegotiationError::InvalidValue {
                name: name.clone(),
                value: value.clone(),
            };
            let index = match name.as_str() {
                SERVER_NO_CONTEXT_TAKEOVER => 0,
                CLIENT_NO_CONTEXT_TAKEOVER => 1,
                SERVER_MAX_WINDOW_BITS => 2,
                CLIENT_MAX_WINDOW_BITS => 3,
                _ => return Err(DeflateNegotiationError::UnknownParameter(name.clone())),
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(DeflateNegotiationError::DuplicateParameter(name.clone()));
            }
            match index {
                0 | 1 => {
                    if value.is_some() {
                        return Err(invalid());
                    }
                    if index == 0 {
                        received.server_no_context_takeover = true;
                    } else {
                        received.client_no_context_takeover = true;
                    }
                }
                2 => {
                    let bits = value.as_deref().and_then(window_bits).ok_or_else(invalid)?;
                    received.server_max_window_bits = Some(bits);
                }
                _ => {
                    received.client_max_window_bits = Some(match value {
                        None => None,
                        Some(value) => Some(window_bits(value).ok_or_else(invalid)?),
                    });
                }
            }
        }
        Ok(received)
    }
}

/// A window size as RFC 7692 §7.1.2 writes it: a decimal integer from 8 to 15 without
/// leading zeros.
fn window_bits(value: &str) -> Option<u8> {
    match value {
        "8" => Some(8),
        "9" => Some(9),
        "10" => Some(10),
        "11" => Some(11),
        "12" => Some(12),
        "13" => Some(13),
        "14" => Some(14),
        "15" => Some(15),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
