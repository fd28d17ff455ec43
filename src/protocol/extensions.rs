//! The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1), parsed into [`ExtensionOffer`]s.
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list = 1#extension
//! extension      = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//!
//! Optional whitespace (spaces and tabs) may surround every separator, and empty list
//! elements (`a, , b`) are skipped, as RFC 7230 §7 asks of recipients. A quoted value is
//! unescaped and must then be a token (RFC 6455 §9.1).

use std::fmt;

/// One element of a `Sec-WebSocket-Extensions` header: an extension name and its
/// parameters, in the order they appeared.
///
/// A client's header holds offers; a server's response holds the accepted extensions in
/// the same shape.
///
/// ```
/// use squall::protocol::extensions::{parse_extensions, ExtensionOffer};
///
/// let offers = parse_extensions(["permessage-deflate; client_max_window_bits"]).unwrap();
/// assert_eq!(
///     offers,
///     [ExtensionOffer::new("permessage-deflate").param("client_max_window_bits", None)]
/// );
/// assert_eq!(offers[0].to_string(), "permessage-deflate; client_max_window_bits");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionOffer {
    /// The extension token, such as `permessage-deflate`, as written (case kept).
    pub name: String,
    /// The parameters in order: name, and value if there was an `=` (quoted values
    /// unescaped).
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// An extension with no parameters.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Appends a parameter (builder style).
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: Option<&str>) -> Self {
        self.params.push((name.into(), value.map(str::to_owned)));
        self
    }
}

/// Writes the extension in header syntax: `name; param; param=value`. A value that is not
/// a token is written as a quoted string.
impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            match value {
                Some(value) if is_token(value) => write!(f, "={value}")?,
                Some(value) => {
                    f.write_str("=\"")?;
                    for c in value.chars() {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?;
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// A `Sec-WebSocket-Extensions` value that does not follow the RFC 6455 §9.1 grammar.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed Sec-WebSocket-Extensions header (value {value}, byte {offset}): {reason}")]
pub struct ExtensionParseError {
    value: usize,
    offset: usize,
    reason: &'static str,
}

impl ExtensionParseError {
    /// Which header value (0-based, in the order given to [`parse_extensions`]) is malformed.
    pub fn value_index(&self) -> usize {
        self.value
    }

    /// The byte offset in that value where parsing stopped.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was expected there.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// Parses every `Sec-WebSocket-Extensions` header value of a request or response, in
/// order, into one list: a header may be repeated, and its values then concatenate as if
/// joined by commas (RFC 6455 §9.1).
///
/// Extension and parameter names are kept as written; nothing is interpreted, so unknown
/// extensions parse fine and are left for the caller to ignore. No value, or only empty
/// values, gives an empty list.
///
/// # Errors
///
/// [`ExtensionParseError`] if any value breaks the grammar: a missing or non-token name, a
/// `;` with no parameter after it, an unterminated or non-token quoted string, a non-ASCII
/// byte, or two elements not separated by a comma.
///
/// # Examples
///
/// ```
/// use squall::protocol::extensions::parse_extensions;
///
/// let offers = parse_extensions([
///     "permessage-deflate; client_no_context_takeover; server_max_window_bits=\"10\"",
///     "x-webkit-deflate-frame, permessage-deflate",
/// ])
/// .unwrap();
/// let names: Vec<&str> = offers.iter().map(|offer| offer.name.as_str()).collect();
/// assert_eq!(names, ["permessage-deflate", "x-webkit-deflate-frame", "permessage-deflate"]);
/// assert_eq!(
///     offers[0].params[1],
///     ("server_max_window_bits".to_owned(), Some("10".to_owned()))
/// );
///
/// assert!(parse_extensions(["permessage-deflate;"]).is_err());
/// assert!(parse_extensions(["permessage-deflate; a=\"b c\""]).is_err());
/// ```
pub fn parse_extensions<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
    let mut offers = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        let mut parser = Parser {
            bytes: value.as_bytes(),
            pos: 0,
            value: index,
        };
        parser.list(&mut offers)?;
    }
    Ok(offers)
}

/// A cursor over one header value.
struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    value: usize,
}

impl Parser<'_> {
    fn list(&mut self, offers: &mut Vec<ExtensionOffer>) -> Result<(), ExtensionParseError> {
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Ok(()),
                // An empty list element.
                Some(b',') => self.pos += 1,
                Some(_) => {
                    offers.push(self.extension()?);
                    self.skip_whitespace();
                    match self.peek() {
                        None => return Ok(()),
                        Some(b',') => self.pos += 1,
                        Some(_) => return Err(self.error("expected ',' or ';'")),
                    }
                }
            }
        }
    }

    fn extension(&mut self) -> Result<ExtensionOffer, ExtensionParseError> {
        let name = self.token("expected an extension name")?;
        let mut offer = ExtensionOffer::new(name);
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b';') {
                return Ok(offer);
            }
            self.pos += 1;
            self.skip_whitespace();
            let name = self.token("expected a parameter name")?;
            self.skip_whitespace();
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip_whitespace();
                Some(if self.peek() == Some(b'"') {
                    self.quoted_string()?
                } else {
                    self.token("expected a token or a quoted string")?
                })
            } else {
                None
            };
            offer.params.push((name, value));
        }
    }

    fn token(&mut self, reason: &'static str) -> Result<String, ExtensionParseError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(reason));
        }
        Ok(String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned())
    }

    fn quoted_string(&mut self) -> Result<String, ExtensionParseError> {
        let start = self.pos;
        self.pos += 1; // the opening quote
        let mut value = String::new();
        loop {
            match self.peek() {
                None => {
                    self.pos = start;
                    return Err(self.error("unterminated quoted string"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(byte) if byte.is_ascii() => value.push(char::from(byte)),
                        _ => return Err(self.error("expected an ASCII character after '\\'")),
                    }
                    self.pos += 1;
                }
                Some(byte) if byte.is_ascii() && !byte.is_ascii_control() || byte == b'\t' => {
                    value.push(char::from(byte));
                    self.pos += 1;
                }
                Some(_) => return Err(self.error("invalid character in quoted string")),
            }
        }
        if is_token(&value) {
            Ok(value)
        } else {
            self.pos = start;
            Err(self.error("a quoted value must unescape to a token"))
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error(&self, reason: &'static str) -> ExtensionParseError {
        ExtensionParseError {
            value: self.value,
            offset: self.pos,
            reason,
        }
    }
}

/// RFC 7230 `tchar`: the RFC 2616 token characters (visible ASCII except separators).
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Whether `s` is a non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(name: &str, params: &[(&str, Option<&str>)]) -> ExtensionOffer {
        params
            .iter()
            .fold(ExtensionOffer::new(name), |offer, &(n, v)| {
                offer.param(n, v)
            })
    }

    #[test]
    fn single_extension_without_params() {
        assert_eq!(
            parse_extensions(["permessage-deflate"]).unwrap(),
            [offer("permessage-deflate", &[])]
        );
    }

    #[test]
    fn chromium_offer() {
        assert_eq!(
            parse_extensions(["permessage-deflate; client_max_window_bits"]).unwrap(),
            [offer(
                "permessage-deflate",
                &[("client_max_window_bits", None)]
            )]
        );
    }

    #[test]
    fn params_with_token_and_quoted_values() {
        let parsed = parse_extensions([
            "permessage-deflate;server_max_window_bits=10 ; client_max_window_bits = \"12\";x",
        ])
        .unwrap();
        assert_eq!(
            parsed,
            [offer(
                "permessage-deflate",
                &[
                    ("server_max_window_bits", Some("10")),
                    ("client_max_window_bits", Some("12")),
                    ("x", None),
                ]
            )]
        );
    }

    #[test]
    fn quoted_pair_unescapes() {
        let parsed = parse_extensions([r#"a; b="\1\5""#]).unwrap();
        assert_eq!(parsed, [offer("a", &[("b", Some("15"))])]);
    }

    #[test]
    fn order_is_kept_across_elements_and_values() {
        let parsed = parse_extensions([
            "permessage-deflate; server_max_window_bits=8, foo",
            "\tpermessage-deflate ;client_no_context_takeover , bar;baz=1",
        ])
        .unwrap();
        assert_eq!(
            parsed,
            [
                offer(
                    "permessage-deflate",
                    &[("server_max_window_bits", Some("8"))]
                ),
                offer("foo", &[]),
                offer(
                    "permessage-deflate",
                    &[("client_no_context_takeover", None)]
                ),
                offer("bar", &[("baz", Some("1"))]),
            ]
        );
    }

    #[test]
    fn empty_elements_and_values_are_skipped() {
        assert_eq!(parse_extensions([""]).unwrap(), []);
        assert_eq!(parse_extensions(["  ,\t, "]).unwrap(), []);
        assert_eq!(
            parse_extensions(["a,,b,", ""]).unwrap(),
            [offer("a", &[]), offer("b", &[])]
        );
        assert_eq!(parse_extensions(std::iter::empty()).unwrap(), []);
    }

    #[test]
    fn duplicate_params_are_kept_for_the_caller_to_judge() {
        assert_eq!(
            parse_extensions(["a; x; x=1"]).unwrap(),
            [offer("a", &[("x", None), ("x", Some("1"))])]
        );
    }

    #[test]
    fn malformed_values_are_errors() {
        for bad in [
            ";",
            "a;",
            "a; ",
            "a;;b",
            "a; =1",
            "a; b=",
            "a; b= ;c",
            "a b",
            "a; b c",
            "a; b=1 2",
            "a; b=\"1",
            "a; b=\"\"",
            "a; b=\"1 2\"",
            "a; b=\"1\\",
            "a; b=\"1\" x",
            "a; b=\"\u{e9}\"",
            "d\u{e9}flate",
            "a=1",
            "a/b",
            "a; b=c=d",
            "\"a\"",
            "a; b=\"x\x01\"",
        ] {
            assert!(parse_extensions([bad]).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn error_points_at_the_value_and_offset() {
        let err = parse_extensions(["a", "b; c=d e"]).unwrap_err();
        assert_eq!(err.value_index(), 1);
        assert_eq!(err.offset(), 7);
        assert_eq!(err.reason(), "expected ',' or ';'");
        assert!(err.to_string().contains("value 1, byte 7"));
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "permessage-deflate",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
        ] {
            let parsed = parse_extensions([text]).unwrap();
            assert_eq!(parsed[0].to_string(), text);
        }
        let odd = offer("x", &[("y", Some("a \"b\\"))]);
        assert_eq!(odd.to_string(), r#"x; y="a \"b\\""#);
    }
}
