//! The server side: validating an upgrade request and answering it.

use bytes::Bytes;
use http::header::{
    ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, SEC_WEBSOCKET_EXTENSIONS,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Version};

use super::head::{has_token, list_elements, push_header, push_headers, single_value};
use super::key::is_valid_key;
use super::HandshakeError;

/// The legacy origin header of protocol versions 7 and 8, still read as Tornado does.
const SEC_WEBSOCKET_ORIGIN: &str = "sec-websocket-origin";

/// Tornado's body for a missing or invalid `Host` or `Sec-WebSocket-Key`.
const MISSING_HEADERS: &str = "Missing/Invalid WebSocket headers";

/// What a valid upgrade request offers, as found by [`validate_request`].
#[derive(Clone, Debug)]
pub struct UpgradeRequest {
    /// The `Sec-WebSocket-Key`, trimmed; [`accept`](Self::accept) answers it (or pass it
    /// to [`accept_response`](super::accept_response)).
    pub key: String,
    /// The subprotocols offered, from every `Sec-WebSocket-Protocol` header, split on commas,
    /// trimmed, empty elements skipped, in order. Empty when none was offered.
    pub subprotocols: Vec<String>,
    /// The raw `Sec-WebSocket-Extensions` header values, in order (one entry per header,
    /// which may itself list several offers); the extension negotiation parses them.
    pub extensions: Vec<String>,
    /// The `Origin` header, or else the legacy `Sec-WebSocket-Origin`; `None` when the
    /// request has neither (a non-browser client, which Tornado lets through).
    pub origin: Option<String>,
}

/// An HTTP answer other than 101: a status, extra headers and a short text body.
///
/// Write [`Rejection::to_bytes`] to the socket, then close it.
#[derive(Clone, Debug)]
pub struct Rejection {
    /// The status line's code.
    pub status: StatusCode,
    /// Extra headers (for example `Allow` or `Sec-WebSocket-Version`). `Content-Length`,
    /// `Transfer-Encoding` and `Connection` set here are ignored, since [`to_bytes`]
    /// writes its own; a `Content-Type` here replaces the default `text/plain`.
    ///
    /// [`to_bytes`]: Self::to_bytes
    pub headers: HeaderMap,
    /// The body, sent as `text/plain; charset=utf-8` unless `headers` says otherwise.
    pub body: String,
}

impl Rejection {
    /// A rejection with `status`, no extra headers and `body`.
    pub fn new(status: StatusCode, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// Tornado's answer when `check_origin` fails: 403 "Cross origin websockets not allowed".
    #[must_use]
    pub fn cross_origin() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Cross origin websockets not allowed")
    }

    /// The answer of a server at its `max_connections`: 503 "Too many connections".
    #[must_use]
    pub fn overloaded() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "Too many connections")
    }

    /// The full HTTP/1.1 response: status line, the extra headers, `Content-Type`
    /// (`text/plain; charset=utf-8` unless set in [`headers`](Self::headers)),
    /// `Content-Length`, `Connection: close`, an empty line and the body.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.body.len());
        push_status_line(&mut out, self.status);
        push_headers(&mut out, &self.headers, is_framing);
        if !self.headers.contains_key(CONTENT_TYPE) {
            push_header(&mut out, "Content-Type", DEFAULT_CONTENT_TYPE.as_bytes());
        }
        push_header(
            &mut out,
            "Content-Length",
            self.body.len().to_string().as_bytes(),
        );
        push_header(&mut out, "Connection", b"close");
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body.as_bytes());
        out
    }

    /// The rejection as an [`http::Response`], for HTTP servers that write the response
    /// themselves (hyper, axum): the status, the extra [`headers`](Self::headers) less
    /// `Content-Length`, `Transfer-Encoding` and `Connection` (the server frames the body
    /// itself), `Content-Type` as in [`to_bytes`](Self::to_bytes), and the body.
    ///
    /// ```
    /// use squall::Rejection;
    ///
    /// let response: http::Response<bytes::Bytes> = Rejection::cross_origin().into_http_response();
    /// assert_eq!(response.status(), 403);
    /// assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
    /// assert_eq!(response.body(), "Cross origin websockets not allowed");
    /// ```
    #[must_use]
    pub fn into_http_response<B: From<Bytes>>(self) -> http::Response<B> {
        let Self {
            status,
            mut headers,
            body,
        } = self;
        for name in FRAMING {
            headers.remove(name);
        }
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(DEFAULT_CONTENT_TYPE));
        }
        let mut response = http::Response::new(B::from(Bytes::from(body)));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }
}

/// A rejection's body type unless its headers name another.
const DEFAULT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// The headers that frame a message, which the writer of the response sets itself.
const FRAMING: [HeaderName; 3] = [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION];

fn is_framing(name: &HeaderName) -> bool {
    FRAMING.contains(name)
}

impl From<&HandshakeError> for Rejection {
    /// The answer to a request the server could not read: the error's
    /// [`http_status`](HandshakeError::http_status) with its message as the body.
    fn from(error: &HandshakeError) -> Self {
        Self::new(error.http_status(), error.to_string())
    }
}

pub(super) fn push_status_line(out: &mut Vec<u8>, status: StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b"\r\n");
}

pub(super) fn bad_request(body: &str) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, body)
}

/// Checks that `req` is a WebSocket upgrade request (RFC 6455 §4.2.1) and returns what it
/// offers.
///
/// The checks run in this order, as in Tornado, and the first failure is returned:
///
/// 1. the method is `GET`, else 405 with `Allow: GET`;
/// 2. the HTTP version is 1.1 or later, else 400;
/// 3. an `Upgrade` header lists `websocket` (ASCII case-insensitive), else 400
///    `Can "Upgrade" only to "WebSocket".`;
/// 4. a `Connection` header lists `upgrade`, else 400 `"Connection" must be "Upgrade".`;
/// 5. `Sec-WebSocket-Version` is exactly one header with value `13`, else
///    426 Upgrade Required with `Sec-WebSocket-Version: 13`;
/// 6. exactly one non-empty `Host` header, else 400 `Missing/Invalid WebSocket headers`;
/// 7. exactly one `Sec-WebSocket-Key`, the base64 of 16 bytes, else the same 400;
/// 8. `Origin`, `Sec-WebSocket-Origin`, `Sec-WebSocket-Protocol` and
///    `Sec-WebSocket-Extensions` are visible ASCII, else the same 400.
///
/// The origin is **not** checked here: Tornado's `check_origin` (403) is user code, and
/// runs between steps 4 and 5 in Tornado. Check [`UpgradeRequest::origin`] after this
/// returns, with [`origin_matches_host`] for Tornado's default policy, and answer
/// [`Rejection::cross_origin`] when it fails.
///
/// # Errors
///
/// The [`Rejection`] to send, as listed above.
#[allow(
    clippy::result_large_err,
    reason = "the rejection is serialized at once, once per connection; boxing it would only move the cost"
)]
pub fn validate_request(req: &Request<()>) -> Result<UpgradeRequest, Rejection> {
    let headers = req.headers();
    if req.method() != Method::GET {
        let mut rejection = Rejection::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        rejection
            .headers
            .insert(ALLOW, HeaderValue::from_static("GET"));
        return Err(rejection);
    }
    if req.version() < Version::HTTP_11 {
        return Err(bad_request("WebSocket requires HTTP/1.1 or later."));
    }
    if !has_token(headers, UPGRADE.as_str(), "websocket") {
        return Err(bad_request("Can \"Upgrade\" only to \"WebSocket\"."));
    }
    if !has_token(headers, CONNECTION.as_str(), "upgrade") {
        return Err(bad_request("\"Connection\" must be \"Upgrade\"."));
    }
    check_version(headers)?;
    match single_value(headers, &HOST) {
        Some(host) if !host.trim().is_empty() => {}
        _ => return Err(bad_request(MISSING_HEADERS)),
    }
    let key = match single_value(headers, &SEC_WEBSOCKET_KEY).map(str::trim) {
        Some(key) if is_valid_key(key) => key.to_owned(),
        _ => return Err(bad_request(MISSING_HEADERS)),
    };
    offer(headers, key)
}

/// Step 5 of [`validate_request`], the same over HTTP/2: `Sec-WebSocket-Version: 13`, else 426.
#[allow(clippy::result_large_err)]
pub(super) fn check_version(headers: &HeaderMap) -> Result<(), Rejection> {
    if single_value(headers, &SEC_WEBSOCKET_VERSION).map(str::trim) != Some("13") {
        let mut rejection = Rejection::new(
            StatusCode::UPGRADE_REQUIRED,
            "Sec-WebSocket-Version must be 13.",
        );
        rejection
            .headers
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return Err(rejection);
    }
    Ok(())
}

/// Step 8 of [`validate_request`], the same over HTTP/2: what the request offers.
#[allow(clippy::result_large_err)]
pub(super) fn offer(headers: &HeaderMap, key: String) -> Result<UpgradeRequest, Rejection> {
    let origin = headers
        .get(ORIGIN)
        .or_else(|| headers.get(SEC_WEBSOCKET_ORIGIN))
        .map(|value| value.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| bad_request(MISSING_HEADERS))?;
    if headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .any(|value| value.to_str().is_err())
    {
        return Err(bad_request(MISSING_HEADERS));
    }
    let subprotocols = list_elements(headers, SEC_WEBSOCKET_PROTOCOL.as_str())
        .map(|element| String::from_utf8_lossy(element).into_owned())
        .collect();
    let extensions = headers
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .map(|value| value.to_str().map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad_request(MISSING_HEADERS))?;
    Ok(UpgradeRequest {
        key,
        subprotocols,
        extensions,
        origin,
    })
}

/// Tornado's default `check_origin`: whether the authority of the `origin` URL
/// (`host[:port]`, what Python's `urlparse(origin).netloc` gives) equals the `Host`
/// header, both lowercased.
///
/// `"null"`, an origin without a `scheme://authority` part, and an empty authority never
/// match. As in Tornado, ports are compared as written: `http://example.com` does not match
/// `Host: example.com:80`.
///
/// # Examples
///
/// ```
/// use squall::protocol::handshake::origin_matches_host;
///
/// assert!(origin_matches_host("https://Example.com", "example.com"));
/// assert!(!origin_matches_host("http://example.com:8080", "example.com"));
/// assert!(!origin_matches_host("null", "example.com"));
/// ```
#[must_use]
pub fn origin_matches_host(origin: &str, host: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let valid_scheme = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.'));
    if !valid_scheme {
        return false;
    }
    let netloc = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.trim();
    !netloc.is_empty() && netloc.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests;
