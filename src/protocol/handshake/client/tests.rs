use super::super::head::{parse_request, parse_response, HeadLimits};
use super::super::key::generate_key;
use super::*;
use http::HeaderValue;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn response(status: u16, headers: &[(&str, &str)]) -> Response<()> {
    let mut head = format!("HTTP/1.1 {status} Whatever\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    parse_response(head.as_bytes(), &HeadLimits::default())
        .unwrap()
        .unwrap()
        .0
}

const VALID: &[(&str, &str)] = &[
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Accept", ACCEPT),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut headers = VALID.to_vec();
    headers.extend_from_slice(extra);
    headers
}

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    VALID.iter().copied().filter(|(n, _)| *n != name).collect()
}

fn check(
    headers: &[(&str, &str)],
    subprotocols: &[&str],
    extensions: &[&str],
) -> Result<AcceptedResponse, HandshakeError> {
    let offered: Vec<String> = subprotocols.iter().map(|s| (*s).to_owned()).collect();
    check_response(
        &response(101, headers),
        KEY,
        &offered,
        extensions,
        Bytes::new(),
    )
}

#[test]
fn minimal_success() {
    let accepted = check(VALID, &[], &[]).unwrap();
    assert_eq!(accepted.subprotocol, None);
    assert!(accepted.extensions.is_empty());
    assert_eq!(accepted.headers.len(), 3);
}

#[test]
fn success_with_subprotocol_and_extension() {
    let accepted = check(
        &with(&[
            ("Sec-WebSocket-Protocol", "superchat"),
            (
                "Sec-WebSocket-Extensions",
                "permessage-deflate; server_no_context_takeover",
            ),
            ("Set-Cookie", "id=1"),
        ]),
        &["chat", "superchat"],
        &["permessage-deflate"],
    )
    .unwrap();
    assert_eq!(accepted.subprotocol.as_deref(), Some("superchat"));
    assert_eq!(
        accepted.extensions,
        ["permessage-deflate; server_no_context_takeover"]
    );
    assert_eq!(accepted.headers["set-cookie"], "id=1");
}

#[test]
fn lenient_forms() {
    let headers = [
        ("Upgrade", "WebSocket"),
        ("Connection", "keep-alive, upgrade"),
        ("Sec-WebSocket-Accept", " s3pPLMBiTxaQ9kYGzzhZRbK+xOo= "),
        ("Sec-WebSocket-Extensions", "Permessage-Deflate"),
    ];
    check(&headers, &[], &["permessage-deflate"]).unwrap();
}

#[test]
fn unexpected_status_keeps_head_and_body() {
    let resp = response(403, &[("Content-Type", "text/plain")]);
    let err = check_response(&resp, KEY, &[], &[], Bytes::from_static(b"go away")).unwrap_err();
    let HandshakeError::UnexpectedStatus {
        status,
        headers,
        body,
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(body, "go away");
    // A 200 with all the right headers is still not an upgrade.
    let resp = response(200, VALID);
    assert!(matches!(
        check_response(&resp, KEY, &[], &[], Bytes::new()),
        Err(HandshakeError::UnexpectedStatus { status, .. }) if status == StatusCode::OK
    ));
}

#[test]
fn missing_upgrade() {
    for headers in [
        without("Upgrade"),
        [("Upgrade", "h2c")]
            .into_iter()
            .chain(without("Upgrade"))
            .collect(),
    ] {
        assert!(matches!(
            check(&headers, &[], &[]),
            Err(HandshakeError::MissingUpgrade)
        ));
    }
}

#[test]
fn missing_connection_upgrade() {
    for headers in [
        without("Connection"),
        [("Connection", "close")]
            .into_iter()
            .chain(without("Connection"))
            .collect(),
    ] {
        assert!(matches!(
            check(&headers, &[], &[]),
            Err(HandshakeError::MissingConnectionUpgrade)
        ));
    }
}

#[test]
fn invalid_accept() {
    let wrong = [("Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
        .into_iter()
        .chain(without("Sec-WebSocket-Accept"))
        .collect::<Vec<_>>();
    for headers in [
        without("Sec-WebSocket-Accept"),
        wrong,
        with(&[("Sec-WebSocket-Accept", ACCEPT)]),
    ] {
        assert!(matches!(
            check(&headers, &[], &[]),
            Err(HandshakeError::InvalidAccept)
        ));
    }
    // The accept for another key.
    let other = response(101, VALID);
    assert!(matches!(
        check_response(&other, &generate_key([1; 16]), &[], &[], Bytes::new()),
        Err(HandshakeError::InvalidAccept)
    ));
}

#[test]
fn multiple_subprotocols() {
    for extra in [
        &[("Sec-WebSocket-Protocol", "chat, superchat")][..],
        &[
            ("Sec-WebSocket-Protocol", "chat"),
            ("Sec-WebSocket-Protocol", "chat"),
        ],
    ] {
        assert!(matches!(
            check(&with(extra), &["chat", "superchat"], &[]),
            Err(HandshakeError::MultipleSubprotocols)
        ));
    }
}

#[test]
fn unoffered_subprotocol() {
    let headers = with(&[("Sec-WebSocket-Protocol", "superchat")]);
    assert!(matches!(
        check(&headers, &["chat"], &[]),
        Err(HandshakeError::UnofferedSubprotocol(name)) if name == "superchat"
    ));
    assert!(matches!(
        check(&headers, &[], &[]),
        Err(HandshakeError::UnofferedSubprotocol(name)) if name == "superchat"
    ));
    // Subprotocol names are compared exactly.
    assert!(matches!(
        check(&headers, &["SuperChat"], &[]),
        Err(HandshakeError::UnofferedSubprotocol(_))
    ));
    // An empty header selects nothing.
    let empty = with(&[("Sec-WebSocket-Protocol", "")]);
    assert_eq!(check(&empty, &[], &[]).unwrap().subprotocol, None);
}

#[test]
fn unoffered_extension() {
    let headers = with(&[("Sec-WebSocket-Extensions", "permessage-deflate")]);
    assert!(matches!(
        check(&headers, &[], &[]),
        Err(HandshakeError::UnofferedExtension(name)) if name == "permessage-deflate"
    ));
    let headers = with(&[(
        "Sec-WebSocket-Extensions",
        "permessage-deflate; client_max_window_bits=10, x-webkit-deflate-frame",
    )]);
    assert!(matches!(
        check(&headers, &[], &["permessage-deflate"]),
        Err(HandshakeError::UnofferedExtension(name)) if name == "x-webkit-deflate-frame"
    ));
    let headers = with(&[
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
        ("Sec-WebSocket-Extensions", "x-other; p=\"a,b\""),
    ]);
    assert!(matches!(
        check(&headers, &[], &["permessage-deflate"]),
        Err(HandshakeError::UnofferedExtension(name)) if name == "x-other"
    ));
}

#[test]
fn non_ascii_values_are_malformed() {
    for name in ["Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"] {
        let mut headers = VALID.to_vec();
        headers.push((name, "caf\u{e9}"));
        assert!(matches!(
            check(&headers, &["caf\u{e9}"], &["caf\u{e9}"]),
            Err(HandshakeError::Malformed(_))
        ));
    }
}

#[test]
fn subprotocol_validity() {
    assert!(is_valid_subprotocol("chat"));
    assert!(is_valid_subprotocol("v2.json.example.com"));
    assert!(is_valid_subprotocol("!#$%&'*+-.^_`|~"));
    for bad in [
        "",
        "a b",
        "a,b",
        "a;b",
        "caf\u{e9}",
        "a\r\nb",
        "a/b",
        "\"a\"",
    ] {
        assert!(!is_valid_subprotocol(bad), "{bad:?}");
    }
}

fn request<'a>(
    headers: &'a HeaderMap,
    subprotocols: &'a [String],
    extensions: Option<&'a str>,
) -> ClientRequest<'a> {
    ClientRequest {
        host: "example.com",
        port: 80,
        default_port: true,
        path_and_query: "/chat?room=1",
        key: KEY,
        subprotocols,
        extensions,
        headers,
    }
}

#[test]
fn request_bytes() {
    let mut headers = HeaderMap::new();
    headers.insert("origin", HeaderValue::from_static("http://example.com"));
    headers.insert("cookie", HeaderValue::from_static("a=b"));
    let subprotocols = ["chat".to_owned(), "superchat".to_owned()];
    let req = request(&headers, &subprotocols, Some("permessage-deflate"));
    assert_eq!(
        String::from_utf8(req.to_bytes()).unwrap(),
        "GET /chat?room=1 HTTP/1.1\r\n\
         Host: example.com\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: chat, superchat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate\r\n\
         Origin: http://example.com\r\n\
         Cookie: a=b\r\n\
         \r\n"
    );
    let empty = HeaderMap::new();
    let minimal = request(&empty, &[], None);
    assert_eq!(
        String::from_utf8(minimal.to_bytes()).unwrap(),
        "GET /chat?room=1 HTTP/1.1\r\n\
         Host: example.com\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\
         \r\n"
    );
}

#[test]
fn request_host_forms() {
    let empty = HeaderMap::new();
    let host = |host: &'static str, port: u16, default_port: bool| {
        let req = ClientRequest {
            host,
            port,
            default_port,
            ..request(&empty, &[], None)
        };
        let bytes = req.to_bytes();
        let (parsed, _) = parse_request(&bytes, &HeadLimits::default())
            .unwrap()
            .unwrap();
        parsed.headers()["host"].to_str().unwrap().to_owned()
    };
    assert_eq!(host("example.com", 443, true), "example.com");
    assert_eq!(host("example.com", 8080, false), "example.com:8080");
    assert_eq!(host("::1", 8080, false), "[::1]:8080");
    assert_eq!(host("[::1]", 80, true), "[::1]");
    assert_eq!(host("127.0.0.1", 9000, false), "127.0.0.1:9000");
}

#[test]
fn request_header_overrides() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("virtual.example"));
    headers.insert("upgrade", HeaderValue::from_static("h2c"));
    headers.insert("connection", HeaderValue::from_static("close"));
    headers.insert("sec-websocket-key", HeaderValue::from_static("forged"));
    headers.insert("sec-websocket-version", HeaderValue::from_static("8"));
    headers.insert("sec-websocket-accept", HeaderValue::from_static("x"));
    headers.insert(
        "sec-websocket-extensions",
        HeaderValue::from_static("x-foo"),
    );
    headers.insert("sec-websocket-protocol", HeaderValue::from_static("user"));
    headers.insert("content-length", HeaderValue::from_static("5"));
    headers.insert("authorization", HeaderValue::from_static("Bearer t"));

    // Computed subprotocols replace the user's header.
    let offered = ["chat".to_owned()];
    let req = request(&headers, &offered, None);
    let bytes = req.to_bytes();
    let (parsed, n) = parse_request(&bytes, &HeadLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(n, bytes.len());
    let h = parsed.headers();
    assert_eq!(h["host"], "virtual.example");
    assert_eq!(h.get_all("host").iter().count(), 1);
    assert_eq!(
        h.get_all("upgrade").iter().collect::<Vec<_>>(),
        ["websocket"]
    );
    assert_eq!(
        h.get_all("connection").iter().collect::<Vec<_>>(),
        ["Upgrade"]
    );
    assert_eq!(
        h.get_all("sec-websocket-key").iter().collect::<Vec<_>>(),
        [KEY]
    );
    assert_eq!(
        h.get_all("sec-websocket-version")
            .iter()
            .collect::<Vec<_>>(),
        ["13"]
    );
    assert!(!h.contains_key("sec-websocket-accept"));
    assert!(!h.contains_key("sec-websocket-extensions"));
    assert!(!h.contains_key("content-length"));
    assert_eq!(
        h.get_all("sec-websocket-protocol")
            .iter()
            .collect::<Vec<_>>(),
        ["chat"]
    );
    assert_eq!(h["authorization"], "Bearer t");
    assert_eq!(req.offered_subprotocols(), ["chat"]);

    // Without computed subprotocols the user's header is sent.
    let req = request(&headers, &[], None);
    let bytes = req.to_bytes();
    let (parsed, _) = parse_request(&bytes, &HeadLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(parsed.headers()["sec-websocket-protocol"], "user");
    assert_eq!(req.offered_subprotocols(), ["user"]);
}

#[test]
fn request_sanitizes_inputs() {
    let empty = HeaderMap::new();
    let subprotocols = ["ok".to_owned(), "bad\r\nX-Injected: 1".to_owned()];
    let req = ClientRequest {
        host: "example.com\r\nX-Injected: 1",
        path_and_query: "chat room?q=caf\u{e9}\r\n",
        extensions: Some("permessage-deflate\r\nX-Injected: 2"),
        ..request(&empty, &subprotocols, None)
    };
    let bytes = req.to_bytes();
    let (parsed, n) = parse_request(&bytes, &HeadLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(n, bytes.len());
    assert_eq!(parsed.uri(), "/chat%20room?q=caf%C3%A9%0D%0A");
    assert!(!parsed.headers().contains_key("x-injected"));
    assert_eq!(parsed.headers()["sec-websocket-protocol"], "ok");
    assert_eq!(req.offered_subprotocols(), ["ok"]);

    let req = ClientRequest {
        path_and_query: "",
        ..request(&empty, &[], None)
    };
    assert!(req.to_bytes().starts_with(b"GET / HTTP/1.1\r\n"));
}
