//! The server side: validating an upgrade request and answering it.

use http::header::{
    ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION,
    TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Version};

use super::head::{has_token, list_elements, push_header, push_headers, single_value};
use super::key::{derive_accept_key, is_valid_key};

/// The legacy origin header of protocol versions 7 and 8, still read as Tornado does.
const SEC_WEBSOCKET_ORIGIN: &str = "sec-websocket-origin";

/// Tornado's body for a missing or invalid `Host` or `Sec-WebSocket-Key`.
const MISSING_HEADERS: &str = "Missing/Invalid WebSocket headers";

/// What a valid upgrade request offers, as found by [`validate_request`].
#[derive(Clone, Debug)]
pub struct UpgradeRequest {
    /// The `Sec-WebSocket-Key`, trimmed; pass it to [`accept_response`].
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

    /// The full HTTP/1.1 response: status line, the extra headers, `Content-Type`
    /// (`text/plain; charset=utf-8` unless set in [`headers`](Self::headers)),
    /// `Content-Length`, `Connection: close`, an empty line and the body.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.body.len());
        push_status_line(&mut out, self.status);
        push_headers(&mut out, &self.headers, |name| {
            name == CONTENT_LENGTH || name == TRANSFER_ENCODING || name == CONNECTION
        });
        if !self.headers.contains_key(CONTENT_TYPE) {
            push_header(&mut out, "Content-Type", b"text/plain; charset=utf-8");
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
}

fn push_status_line(out: &mut Vec<u8>, status: StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn bad_request(body: &str) -> Rejection {
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
    match single_value(headers, &HOST) {
        Some(host) if !host.trim().is_empty() => {}
        _ => return Err(bad_request(MISSING_HEADERS)),
    }
    let key = match single_value(headers, &SEC_WEBSOCKET_KEY).map(str::trim) {
        Some(key) if is_valid_key(key) => key.to_owned(),
        _ => return Err(bad_request(MISSING_HEADERS)),
    };
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

/// The header names [`accept_response`] writes itself, or that a 101 must not carry.
fn is_reserved_in_101(name: &HeaderName) -> bool {
    [
        UPGRADE,
        CONNECTION,
        SEC_WEBSOCKET_ACCEPT,
        SEC_WEBSOCKET_PROTOCOL,
        SEC_WEBSOCKET_EXTENSIONS,
        CONTENT_LENGTH,
        TRANSFER_ENCODING,
    ]
    .contains(name)
}

/// The `101 Switching Protocols` response that accepts an upgrade request.
///
/// It holds `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept` (derived
/// from `key`, the request's [`UpgradeRequest::key`]), `Sec-WebSocket-Protocol` when
/// `subprotocol` is `Some` (it must be one the client offered), `Sec-WebSocket-Extensions`
/// when `extensions` is `Some` (the negotiated response value), and then the `extra`
/// headers (for example `Set-Cookie`), with names in Title-Case.
///
/// `extra` cannot override the handshake: its `Upgrade`, `Connection`,
/// `Sec-WebSocket-Accept`, `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` headers
/// are skipped, and so are `Content-Length` and `Transfer-Encoding`, which a 101 may not
/// carry. Control characters in `subprotocol` and `extensions` are dropped, so they cannot
/// inject header lines.
#[must_use]
pub fn accept_response(
    key: &str,
    subprotocol: Option<&str>,
    extensions: Option<&str>,
    extra: &HeaderMap,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    push_status_line(&mut out, StatusCode::SWITCHING_PROTOCOLS);
    push_header(&mut out, "Upgrade", b"websocket");
    push_header(&mut out, "Connection", b"Upgrade");
    push_header(
        &mut out,
        "Sec-WebSocket-Accept",
        derive_accept_key(key.as_bytes()).as_bytes(),
    );
    if let Some(subprotocol) = subprotocol {
        push_header(&mut out, "Sec-WebSocket-Protocol", subprotocol.as_bytes());
    }
    if let Some(extensions) = extensions {
        push_header(&mut out, "Sec-WebSocket-Extensions", extensions.as_bytes());
    }
    push_headers(&mut out, extra, is_reserved_in_101);
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::head::{parse_request, parse_response, HeadLimits};
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn request(extra: &[(&str, &str)]) -> Request<()> {
        let mut head = String::from("GET /chat HTTP/1.1\r\n");
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let (req, n) = parse_request(head.as_bytes(), &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(n, head.len());
        req
    }

    const VALID: &[(&str, &str)] = &[
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", KEY),
        ("Sec-WebSocket-Version", "13"),
    ];

    fn valid_without(name: &str) -> Vec<(&'static str, &'static str)> {
        VALID
            .iter()
            .copied()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
            .collect()
    }

    fn valid_with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
        let mut headers = valid_without(name);
        headers.push((name, value));
        headers
    }

    fn rejection(headers: &[(&str, &str)]) -> Rejection {
        validate_request(&request(headers)).unwrap_err()
    }

    #[test]
    fn valid_request() {
        let upgrade = validate_request(&request(VALID)).unwrap();
        assert_eq!(upgrade.key, KEY);
        assert!(upgrade.subprotocols.is_empty());
        assert!(upgrade.extensions.is_empty());
        assert_eq!(upgrade.origin, None);
    }

    #[test]
    fn lenient_header_forms() {
        let mut headers = valid_with("Upgrade", "h2c, WebSocket");
        headers.retain(|(n, _)| *n != "Connection");
        headers.push(("Connection", "keep-alive"));
        headers.push(("connection", "UPGRADE"));
        headers.retain(|(n, _)| *n != "Sec-WebSocket-Key");
        headers.push(("sec-websocket-key", " dGhlIHNhbXBsZSBub25jZQ== "));
        let upgrade = validate_request(&request(&headers)).unwrap();
        assert_eq!(upgrade.key, KEY);
    }

    #[test]
    fn method_must_be_get() {
        let head = "POST /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n";
        let (req, _) = parse_request(head.as_bytes(), &HeadLimits::default())
            .unwrap()
            .unwrap();
        let rejection = validate_request(&req).unwrap_err();
        assert_eq!(rejection.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(rejection.headers["allow"], "GET");
    }

    #[test]
    fn http_version_must_be_11() {
        let mut head = String::from("GET /chat HTTP/1.0\r\n");
        for (name, value) in VALID {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let (req, _) = parse_request(head.as_bytes(), &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            validate_request(&req).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn upgrade_header() {
        for headers in [valid_without("Upgrade"), valid_with("Upgrade", "h2c")] {
            let rejection = rejection(&headers);
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
            assert_eq!(rejection.body, "Can \"Upgrade\" only to \"WebSocket\".");
        }
    }

    #[test]
    fn connection_header() {
        for headers in [
            valid_without("Connection"),
            valid_with("Connection", "keep-alive"),
            valid_with("Connection", "upgrade-ish"),
        ] {
            let rejection = rejection(&headers);
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
            assert_eq!(rejection.body, "\"Connection\" must be \"Upgrade\".");
        }
    }

    #[test]
    fn version_header() {
        let mut twice = valid_with("Sec-WebSocket-Version", "13");
        twice.push(("Sec-WebSocket-Version", "13"));
        for headers in [
            valid_without("Sec-WebSocket-Version"),
            valid_with("Sec-WebSocket-Version", "8"),
            valid_with("Sec-WebSocket-Version", "13, 8"),
            twice,
        ] {
            let rejection = rejection(&headers);
            assert_eq!(rejection.status, StatusCode::UPGRADE_REQUIRED);
            assert_eq!(rejection.headers["sec-websocket-version"], "13");
        }
    }

    #[test]
    fn host_header() {
        let mut twice = valid_with("Host", "a");
        twice.push(("Host", "b"));
        for headers in [valid_without("Host"), valid_with("Host", ""), twice] {
            let rejection = rejection(&headers);
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
            assert_eq!(rejection.body, MISSING_HEADERS);
        }
    }

    #[test]
    fn key_header() {
        let mut twice = valid_with("Sec-WebSocket-Key", KEY);
        twice.push(("Sec-WebSocket-Key", KEY));
        for headers in [
            valid_without("Sec-WebSocket-Key"),
            valid_with("Sec-WebSocket-Key", ""),
            valid_with("Sec-WebSocket-Key", "not base64!"),
            valid_with("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZSE="),
            valid_with("Sec-WebSocket-Key", "dGhlIHNhbXBsZQ=="),
            twice,
        ] {
            let rejection = rejection(&headers);
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
            assert_eq!(rejection.body, MISSING_HEADERS);
        }
    }

    #[test]
    fn checks_run_in_order() {
        // Everything wrong: the Upgrade check wins.
        assert_eq!(
            rejection(&[("Connection", "close")]).body,
            "Can \"Upgrade\" only to \"WebSocket\"."
        );
        // Wrong version and no key: the 426 comes first.
        let mut headers = valid_without("Sec-WebSocket-Key");
        headers.retain(|(n, _)| *n != "Sec-WebSocket-Version");
        assert_eq!(rejection(&headers).status, StatusCode::UPGRADE_REQUIRED);
    }

    #[test]
    fn subprotocols_merged_in_order() {
        let mut headers = VALID.to_vec();
        headers.push(("Sec-WebSocket-Protocol", "chat, superchat"));
        headers.push(("Sec-WebSocket-Protocol", " v2.json ,,"));
        let upgrade = validate_request(&request(&headers)).unwrap();
        assert_eq!(upgrade.subprotocols, ["chat", "superchat", "v2.json"]);
    }

    #[test]
    fn extensions_raw_in_order() {
        let mut headers = VALID.to_vec();
        headers.push((
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits",
        ));
        headers.push(("Sec-WebSocket-Extensions", "x-foo, permessage-deflate"));
        let upgrade = validate_request(&request(&headers)).unwrap();
        assert_eq!(
            upgrade.extensions,
            [
                "permessage-deflate; client_max_window_bits",
                "x-foo, permessage-deflate"
            ]
        );
    }

    #[test]
    fn origin_and_legacy_origin() {
        let upgrade = validate_request(&request(&valid_with(
            "Sec-WebSocket-Origin",
            "http://legacy.example",
        )))
        .unwrap();
        assert_eq!(upgrade.origin.as_deref(), Some("http://legacy.example"));

        let mut headers = valid_with("Sec-WebSocket-Origin", "http://legacy.example");
        headers.push(("Origin", "http://example.com"));
        let upgrade = validate_request(&request(&headers)).unwrap();
        assert_eq!(upgrade.origin.as_deref(), Some("http://example.com"));
    }

    #[test]
    fn non_ascii_values_rejected() {
        let head = format!(
            "GET / HTTP/1.1\r\n{}Sec-WebSocket-Protocol: caf\u{e9}\r\n\r\n",
            VALID
                .iter()
                .map(|(n, v)| format!("{n}: {v}\r\n"))
                .collect::<String>()
        );
        let (req, _) = parse_request(head.as_bytes(), &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            validate_request(&req).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn origin_matching() {
        assert!(origin_matches_host("http://example.com", "example.com"));
        assert!(origin_matches_host("https://example.com", "example.com"));
        assert!(origin_matches_host(
            "http://example.com/path?q#f",
            "example.com"
        ));
        assert!(origin_matches_host(
            "http://EXAMPLE.com:8080",
            "example.COM:8080"
        ));
        assert!(origin_matches_host("http://[::1]:8888", "[::1]:8888"));
        assert!(!origin_matches_host(
            "http://example.com:8080",
            "example.com"
        ));
        assert!(!origin_matches_host("http://example.com", "example.com:80"));
        assert!(!origin_matches_host("http://evil.com", "example.com"));
        assert!(!origin_matches_host(
            "http://example.com.evil.com",
            "example.com"
        ));
        assert!(!origin_matches_host("null", "example.com"));
        assert!(!origin_matches_host("null", "null"));
        assert!(!origin_matches_host("example.com", "example.com"));
        assert!(!origin_matches_host("://example.com", "example.com"));
        assert!(!origin_matches_host("1http://example.com", "example.com"));
        assert!(!origin_matches_host("http://", ""));
        assert!(!origin_matches_host("", ""));
    }

    #[test]
    fn rejection_bytes() {
        let mut rejection = Rejection::new(StatusCode::UPGRADE_REQUIRED, "Use 13.");
        rejection
            .headers
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        rejection
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from_static("999"));
        assert_eq!(
            String::from_utf8(rejection.to_bytes()).unwrap(),
            "HTTP/1.1 426 Upgrade Required\r\n\
             Sec-Websocket-Version: 13\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 7\r\n\
             Connection: close\r\n\
             \r\n\
             Use 13."
        );
        let bytes = Rejection::cross_origin().to_bytes();
        let (resp, n) = parse_response(&bytes, &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(&bytes[n..], b"Cross origin websockets not allowed");

        let mut html = Rejection::new(StatusCode::NOT_FOUND, "<p>no</p>");
        html.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        let text = String::from_utf8(html.to_bytes()).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n"));
        assert!(!text.contains("text/plain"));
    }

    #[test]
    fn accept_bytes() {
        let mut extra = HeaderMap::new();
        extra.insert("set-cookie", HeaderValue::from_static("a=b"));
        extra.insert(UPGRADE, HeaderValue::from_static("h2c"));
        extra.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("other"));
        extra.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        let bytes = accept_response(KEY, Some("chat"), Some("permessage-deflate"), &extra);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
             Sec-WebSocket-Protocol: chat\r\n\
             Sec-WebSocket-Extensions: permessage-deflate\r\n\
             Set-Cookie: a=b\r\n\
             \r\n"
        );
        let plain = accept_response(KEY, None, None, &HeaderMap::new());
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
             \r\n"
        );
    }
}
