use super::super::accept_response;
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

#[test]
fn rejection_as_http_response_keeps_the_header_policy() {
    let mut rejection = Rejection::new(StatusCode::UPGRADE_REQUIRED, "Use 13.");
    rejection
        .headers
        .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    for framing in [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION] {
        rejection
            .headers
            .insert(framing, HeaderValue::from_static("999"));
    }
    let response: http::Response<Bytes> = rejection.into_http_response();
    assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
    let names: Vec<&str> = response.headers().keys().map(HeaderName::as_str).collect();
    assert_eq!(names, ["sec-websocket-version", "content-type"]);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.body(), "Use 13.");

    let mut html = Rejection::new(StatusCode::NOT_FOUND, "<p>no</p>");
    html.headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    let response: http::Response<Bytes> = html.into_http_response();
    assert_eq!(response.headers()[CONTENT_TYPE], "text/html");
    assert_eq!(response.headers().len(), 1);
}

#[test]
fn errors_know_their_http_status() {
    let limits = HeadLimits {
        max_head_bytes: 64,
        max_headers: 2,
    };
    let cases: [(&[u8], StatusCode); 3] = [
        (&[b'a'; 64], StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        (
            b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
        (b"GET / HTTP/1.1\r\nA b: 1\r\n\r\n", StatusCode::BAD_REQUEST),
    ];
    for (head, status) in cases {
        let error = parse_request(head, &limits).unwrap_err();
        assert_eq!(error.http_status(), status, "{error}");
        let rejection = Rejection::from(&error);
        assert_eq!(rejection.status, status);
        assert_eq!(rejection.body, error.to_string());
    }
    assert_eq!(
        HandshakeError::from(&Rejection::cross_origin()).http_status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        HandshakeError::Timeout.http_status(),
        StatusCode::REQUEST_TIMEOUT
    );
}
