//! Tests across the handshake modules: a client request through the server side and back.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};

use super::*;

#[test]
fn round_trip_through_server() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "origin",
        HeaderValue::from_static("http://example.com:8080"),
    );
    let key = generate_key([42; 16]);
    let subprotocols = ["chat".to_owned(), "superchat".to_owned()];
    let req = ClientRequest {
        host: "example.com",
        port: 8080,
        default_port: false,
        path_and_query: "/ws/room?id=7",
        key: &key,
        subprotocols: &subprotocols,
        extensions: Some("permessage-deflate; client_max_window_bits"),
        headers: &headers,
    };
    let mut bytes = req.to_bytes();
    let head_len = bytes.len();
    bytes.extend_from_slice(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");

    // Byte by byte, as a server reading a slow client would see it.
    for end in 0..head_len {
        assert!(parse_request(&bytes[..end], &HeadLimits::default())
            .unwrap()
            .is_none());
    }
    let (parsed, n) = parse_request(&bytes, &HeadLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(n, head_len);
    assert_eq!(parsed.uri().path(), "/ws/room");
    assert_eq!(parsed.uri().query(), Some("id=7"));

    let upgrade = validate_request(&parsed).unwrap();
    assert_eq!(upgrade.key, key);
    assert_eq!(upgrade.subprotocols, subprotocols);
    assert_eq!(
        upgrade.extensions,
        ["permessage-deflate; client_max_window_bits"]
    );
    assert_eq!(upgrade.origin.as_deref(), Some("http://example.com:8080"));
    let host = parsed.headers()["host"].to_str().unwrap();
    assert!(origin_matches_host(
        upgrade.origin.as_deref().unwrap(),
        host
    ));

    let answer = accept_response(
        &upgrade.key,
        Some("superchat"),
        Some("permessage-deflate"),
        &HeaderMap::new(),
    );
    let (resp, n) = parse_response(&answer, &HeadLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(n, answer.len());
    let accepted = check_response(
        &resp,
        &key,
        &req.offered_subprotocols(),
        &["permessage-deflate"],
        Bytes::new(),
    )
    .unwrap();
    assert_eq!(accepted.subprotocol.as_deref(), Some("superchat"));
    assert_eq!(accepted.extensions, ["permessage-deflate"]);
}

#[test]
fn rejection_reaches_the_client_as_unexpected_status() {
    let empty = HeaderMap::new();
    let key = generate_key([3; 16]);
    let req = ClientRequest {
        host: "example.com",
        port: 80,
        default_port: true,
        path_and_query: "/ws",
        key: &key,
        subprotocols: &[],
        extensions: None,
        headers: &empty,
    };
    let mut bytes = req.to_bytes();
    // An old client version.
    let at = bytes
        .windows(b"Version: 13".len())
        .position(|w| w == b"Version: 13")
        .unwrap();
    bytes.splice(
        at..at + b"Version: 13".len(),
        b"Version: 8 ".iter().copied(),
    );
    let (parsed, _) = parse_request(&bytes, &HeadLimits::default())
        .unwrap()
        .unwrap();
    let rejection = validate_request(&parsed).unwrap_err();
    assert_eq!(
        HandshakeError::from(&rejection).to_string(),
        "upgrade request rejected with status 426 Upgrade Required"
    );

    let answer = rejection.to_bytes();
    let (resp, n) = parse_response(&answer, &HeadLimits::default())
        .unwrap()
        .unwrap();
    let body = Bytes::copy_from_slice(&answer[n..]);
    let err = check_response(&resp, &key, &[], &[], body).unwrap_err();
    let HandshakeError::UnexpectedStatus {
        status,
        headers,
        body,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(status.as_u16(), 426);
    assert_eq!(headers["sec-websocket-version"], "13");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    assert_eq!(body, "Sec-WebSocket-Version must be 13.");
    assert_eq!(
        crate::Error::from(err).to_string(),
        "server answered with status 426 Upgrade Required instead of 101 Switching Protocols: \
         \"Sec-WebSocket-Version must be 13.\""
    );
}
