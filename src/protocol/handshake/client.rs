//! The client side: the upgrade request and the checks on the server's answer.

use bytes::Bytes;
use http::header::{
    CONNECTION, CONTENT_LENGTH, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderMap, HeaderName, Response, StatusCode};

use super::head::{has_token, list_elements, push_header, push_headers, single_value, split_list};
use super::key::derive_accept_key;
use super::HandshakeError;

/// Whether `name` is a valid subprotocol name (RFC 6455 §4.1): a non-empty token of
/// characters U+0021 to U+007E without the separators `()<>@,;:\"/[]?={}`.
#[must_use]
pub fn is_valid_subprotocol(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| (0x21..=0x7e).contains(&byte) && !b"()<>@,;:\\\"/[]?={}".contains(&byte))
}

/// The client's upgrade request (RFC 6455 §4.1); [`to_bytes`](Self::to_bytes) writes it.
///
/// # Header rules
///
/// The request is `GET {path_and_query} HTTP/1.1`, then these headers in this order:
///
/// - `Host`: the first `Host` in [`headers`](Self::headers) if there is one (as Tornado's
///   HTTP client, which only adds `Host` when absent), else `host`, bracketed when it is
///   an IPv6 address, with `:port` unless `default_port`;
/// - `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Key`,
///   `Sec-WebSocket-Version: 13`: always these; the same names in `headers` are skipped;
/// - `Sec-WebSocket-Protocol`: the valid [`subprotocols`](Self::subprotocols) (see
///   [`is_valid_subprotocol`]; invalid ones are left out) joined with `", "`. When there
///   are none, a `Sec-WebSocket-Protocol` in `headers` is sent instead; pass
///   [`offered_subprotocols`](Self::offered_subprotocols) to [`check_response`] either way;
/// - `Sec-WebSocket-Extensions`: [`extensions`](Self::extensions) when `Some`. A
///   `Sec-WebSocket-Extensions` in `headers` is always skipped: only the extensions this
///   crate negotiates can be offered;
/// - the other `headers` (`Origin`, `Cookie`, `Authorization`, ...) in their order, with
///   Title-Case names, except `Sec-WebSocket-Accept`, `Content-Length` and
///   `Transfer-Encoding`, which are skipped (a body would be read as WebSocket frames).
///
/// `host`, `path_and_query`, `key` and `extensions` normally come from a parsed URL and
/// from this crate. As a safeguard, control characters are dropped from header values and
/// bytes not allowed in a request target (controls, space, non-ASCII) in
/// `path_and_query` are percent-encoded, so no input can inject a header line.
#[derive(Clone, Copy, Debug)]
pub struct ClientRequest<'a> {
    /// The host name or IP address to put in `Host` (IPv6 with or without brackets).
    pub host: &'a str,
    /// The port connected to.
    pub port: u16,
    /// Whether `port` is the scheme's default (80 for `ws`, 443 for `wss`); if so `Host`
    /// has no port.
    pub default_port: bool,
    /// The request target: path and query, such as `/chat?room=1` (`/` when empty).
    pub path_and_query: &'a str,
    /// The `Sec-WebSocket-Key`, from [`generate_key`](super::generate_key).
    pub key: &'a str,
    /// The subprotocols to offer, in order of preference; may be empty.
    pub subprotocols: &'a [String],
    /// The `Sec-WebSocket-Extensions` offer (from the extension negotiation), if any.
    pub extensions: Option<&'a str>,
    /// Extra headers; see the header rules above.
    pub headers: &'a HeaderMap,
}

impl ClientRequest<'_> {
    /// The request bytes: request line, headers (see the header rules on
    /// [`ClientRequest`]) and the empty line.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"GET ");
        push_request_target(&mut out, self.path_and_query);
        out.extend_from_slice(b" HTTP/1.1\r\n");

        match self.headers.get(HOST) {
            Some(host) => push_header(&mut out, "Host", host.as_bytes()),
            None => push_header(&mut out, "Host", self.host_value().as_bytes()),
        }
        push_header(&mut out, "Upgrade", b"websocket");
        push_header(&mut out, "Connection", b"Upgrade");
        push_header(&mut out, "Sec-WebSocket-Key", self.key.as_bytes());
        push_header(&mut out, "Sec-WebSocket-Version", b"13");
        let subprotocols = self.valid_subprotocols().collect::<Vec<_>>().join(", ");
        if !subprotocols.is_empty() {
            push_header(&mut out, "Sec-WebSocket-Protocol", subprotocols.as_bytes());
        }
        if let Some(extensions) = self.extensions {
            push_header(&mut out, "Sec-WebSocket-Extensions", extensions.as_bytes());
        }
        let computed_subprotocols = !subprotocols.is_empty();
        push_headers(&mut out, self.headers, |name| {
            is_reserved_in_request(name)
                || (computed_subprotocols && name == SEC_WEBSOCKET_PROTOCOL)
        });
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The subprotocols [`to_bytes`](Self::to_bytes) offers: the valid
    /// [`subprotocols`](Self::subprotocols), or, when there are none, those of a
    /// `Sec-WebSocket-Protocol` in [`headers`](Self::headers). Pass them to
    /// [`check_response`].
    #[must_use]
    pub fn offered_subprotocols(&self) -> Vec<String> {
        let offered: Vec<String> = self.valid_subprotocols().map(str::to_owned).collect();
        if !offered.is_empty() {
            return offered;
        }
        list_elements(self.headers, SEC_WEBSOCKET_PROTOCOL.as_str())
            .map(|element| String::from_utf8_lossy(element).into_owned())
            .collect()
    }

    fn valid_subprotocols(&self) -> impl Iterator<Item = &str> + '_ {
        self.subprotocols
            .iter()
            .map(String::as_str)
            .filter(|name| is_valid_subprotocol(name))
    }

    fn host_value(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.to_owned()
        };
        if self.default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// The names [`ClientRequest::to_bytes`] always writes itself or never sends.
fn is_reserved_in_request(name: &HeaderName) -> bool {
    [
        HOST,
        UPGRADE,
        CONNECTION,
        SEC_WEBSOCKET_KEY,
        SEC_WEBSOCKET_VERSION,
        SEC_WEBSOCKET_ACCEPT,
        SEC_WEBSOCKET_EXTENSIONS,
        CONTENT_LENGTH,
        TRANSFER_ENCODING,
    ]
    .contains(name)
}

/// Appends `path_and_query` as an origin-form request target: a leading `/` is added when
/// missing, and bytes a request target may not hold are percent-encoded.
fn push_request_target(out: &mut Vec<u8>, path_and_query: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if !path_and_query.starts_with('/') {
        out.push(b'/');
    }
    for &byte in path_and_query.as_bytes() {
        if byte <= 0x20 || byte >= 0x7f {
            out.extend_from_slice(&[
                b'%',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.push(byte);
        }
    }
}

/// What the server agreed to in its 101 response, as found by [`check_response`].
#[derive(Clone, Debug)]
pub struct AcceptedResponse {
    /// The subprotocol the server selected, one of those offered; `None` if it selected
    /// none.
    pub subprotocol: Option<String>,
    /// The raw `Sec-WebSocket-Extensions` header values, in order; the extension
    /// negotiation parses them. Every extension named there was offered.
    pub extensions: Vec<String>,
    /// All the response headers (for example `Set-Cookie`).
    pub headers: HeaderMap,
}

/// Checks the server's answer to the upgrade request (RFC 6455 §4.1) and returns what it
/// agreed to.
///
/// `key` is the `Sec-WebSocket-Key` sent; `offered_subprotocols` the subprotocols offered
/// (see [`ClientRequest::offered_subprotocols`]); `offered_extensions` the names of the
/// extensions offered, such as `["permessage-deflate"]`. `body` is only used when the
/// status is not 101: it is the start of the response body, as much as the driver chose
/// to read (`Bytes::new()` when none), and is returned in
/// [`HandshakeError::UnexpectedStatus`].
///
/// # Errors
///
/// Checked in this order, the first failure is returned:
///
/// - [`HandshakeError::UnexpectedStatus`] when the status is not 101;
/// - [`HandshakeError::MissingUpgrade`] when no `Upgrade` header lists `websocket`
///   (ASCII case-insensitive);
/// - [`HandshakeError::MissingConnectionUpgrade`] when no `Connection` header lists
///   `upgrade`;
/// - [`HandshakeError::InvalidAccept`] when there is not exactly one
///   `Sec-WebSocket-Accept`, equal to [`derive_accept_key`] of `key`;
/// - [`HandshakeError::MultipleSubprotocols`] when `Sec-WebSocket-Protocol` headers list
///   more than one value, and [`HandshakeError::UnofferedSubprotocol`] when the value
///   was not offered (compared exactly; any value when none was offered);
/// - [`HandshakeError::UnofferedExtension`] when `Sec-WebSocket-Extensions` names an
///   extension not in `offered_extensions` (names compared ASCII case-insensitively);
/// - [`HandshakeError::Malformed`] when a `Sec-WebSocket-Protocol` or
///   `Sec-WebSocket-Extensions` value is not visible ASCII.
pub fn check_response(
    resp: &Response<()>,
    key: &str,
    offered_subprotocols: &[String],
    offered_extensions: &[&str],
    body: Bytes,
) -> Result<AcceptedResponse, HandshakeError> {
    let headers = resp.headers();
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Err(HandshakeError::UnexpectedStatus {
            status: resp.status(),
            headers: Box::new(headers.clone()),
            body,
        });
    }
    if !has_token(headers, UPGRADE.as_str(), "websocket") {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !has_token(headers, CONNECTION.as_str(), "upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }
    let expected = derive_accept_key(key.as_bytes());
    if single_value(headers, &SEC_WEBSOCKET_ACCEPT).map(str::trim) != Some(expected.as_str()) {
        return Err(HandshakeError::InvalidAccept);
    }
    accepted(headers, offered_subprotocols, offered_extensions)
}

/// The last checks of [`check_response`], the same over HTTP/2: the subprotocol and the
/// extensions the server chose.
pub(super) fn accepted(
    headers: &HeaderMap,
    offered_subprotocols: &[String],
    offered_extensions: &[&str],
) -> Result<AcceptedResponse, HandshakeError> {
    ascii_values(headers, &SEC_WEBSOCKET_PROTOCOL)?;
    let mut selected = list_elements(headers, SEC_WEBSOCKET_PROTOCOL.as_str());
    let subprotocol = match (selected.next(), selected.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => return Err(HandshakeError::MultipleSubprotocols),
        (Some(name), None) => {
            let name = String::from_utf8_lossy(name).into_owned();
            if !offered_subprotocols.contains(&name) {
                return Err(HandshakeError::UnofferedSubprotocol(name));
            }
            Some(name)
        }
    };

    let extensions = ascii_values(headers, &SEC_WEBSOCKET_EXTENSIONS)?;
    for value in &extensions {
        for extension in split_list(value.as_bytes()) {
            let name = extension
                .split(|&byte| byte == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if !offered_extensions
                .iter()
                .any(|offered| offered.as_bytes().eq_ignore_ascii_case(name))
            {
                return Err(HandshakeError::UnofferedExtension(
                    String::from_utf8_lossy(name).into_owned(),
                ));
            }
        }
    }

    Ok(AcceptedResponse {
        subprotocol,
        extensions,
        headers: headers.clone(),
    })
}

/// Every `name` header value as a string, or [`HandshakeError::Malformed`] if one is not
/// visible ASCII.
fn ascii_values(headers: &HeaderMap, name: &HeaderName) -> Result<Vec<String>, HandshakeError> {
    headers
        .get_all(name)
        .iter()
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| HandshakeError::Malformed(format!("invalid {name} header value")))
        })
        .collect()
}

#[cfg(test)]
mod tests;
