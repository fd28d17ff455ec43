//! `connect_request`: the checks of an extended CONNECT over HTTP/2 (RFC 8441) and the
//! `200` that answers it.

use bytes::Bytes;
use http::header::{
    ALLOW, CONNECTION, HOST, ORIGIN, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};

use super::handshake::KEY;
use crate::protocol::deflate::{client_negotiate, EXTENSION_NAME};
use crate::protocol::handshake::{
    check_connect_response, origin_matches_host, validate_connect_request, validate_request,
    HandshakeError, Rejection, UpgradeRequest,
};
use crate::CompressionOptions;

/// A request's header list as HTTP/2 delivers it: pseudo-headers and fields.
struct HeaderList {
    method: Method,
    protocol: Option<String>,
    authority: Option<String>,
    headers: HeaderMap,
}

/// Reads the header list; `None` for what an HTTP/2 library refuses before a server sees
/// it (no `:method` or two, a `:protocol` that is not UTF-8 or given twice, a name or value
/// that is not one).
fn header_list(text: &[u8]) -> Option<HeaderList> {
    let mut method = None;
    let mut protocol = None;
    let mut authority = None;
    let mut headers = HeaderMap::new();
    for line in text.split(|&b| b == b'\n') {
        let (name, value) = match line.windows(2).position(|w| w == b": ") {
            Some(at) => (&line[..at], &line[at + 2..]),
            None => (line, &b""[..]),
        };
        let text = || std::str::from_utf8(value).ok().map(str::to_owned);
        match name {
            b":method" if method.is_none() => method = Some(Method::from_bytes(value).ok()?),
            b":protocol" if protocol.is_none() => protocol = Some(text()?),
            b":authority" if authority.is_none() => authority = Some(text()?),
            b":path" | b":scheme" => {}
            [b':', ..] => return None,
            _ => {
                let name = HeaderName::from_bytes(name).ok()?;
                headers.append(name, HeaderValue::from_bytes(value).ok()?);
            }
        }
    }
    Some(HeaderList {
        method: method?,
        protocol,
        authority,
        headers,
    })
}

/// Validates an arbitrary header list as an extended CONNECT, as the server does, and
/// answers it.
///
/// Input layout: `[choices, header list..]`. The header list is one field per line (`\n`),
/// `name: value` (split at the first `": "`), the pseudo-headers `:method`, `:protocol`,
/// `:authority`, `:path` and `:scheme` among them, as an HTTP/2 library delivers them; a
/// list an HTTP/2 library would refuse (no `:method`, an unknown pseudo-header, a name or
/// value that is not one) is skipped. `choices` bits 0-1 choose the subprotocol the
/// application selects: the first offered, the last, none, or one not offered; bit 2 turns
/// permessage-deflate on with the default options.
///
/// Invariants:
/// - a method other than `CONNECT`, or no `:protocol`, is 405 with `Allow: CONNECT`;
///   another `:protocol` than `websocket` (ASCII case-insensitive) is 400; then the rules
///   are those of HTTP/1.1: the same headers in an HTTP/1.1 upgrade request get from
///   `validate_request` the same verdict (the same offer, or a rejection with the same
///   status and body);
/// - an accepted request has no key, and offers its `Origin`, its non-empty subprotocols
///   and its `Sec-WebSocket-Extensions` values;
/// - a rejection is a 4xx, with `Sec-WebSocket-Version: 13` when it is 426; as a response
///   it keeps its status and body, and the client's `check_connect_response` reports it as
///   `UnexpectedStatus` with that status;
/// - the `200` built from the agreement (`Agreement::connect_headers`) carries exactly the
///   agreed subprotocol (only one offered) and extensions, passes the client's
///   `check_connect_response`, and the client's `client_negotiate` arrives at the server's
///   permessage-deflate parameters.
pub fn connect_request(data: &[u8]) {
    let (choices, text) = match data {
        [choices, text @ ..] => (*choices, text),
        [] => (0, data),
    };
    let Some(list) = header_list(text) else {
        return;
    };
    let mut request = Request::new(());
    *request.method_mut() = list.method.clone();
    *request.headers_mut() = list.headers.clone();
    let result = validate_connect_request(&request, list.protocol.as_deref());

    match list.protocol.as_deref() {
        Some(protocol) if list.method == Method::CONNECT => {
            if protocol.eq_ignore_ascii_case("websocket") {
                same_as_http1(&list.headers, &result);
            } else {
                let rejection = result.as_ref().expect_err("accepted another :protocol");
                assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
            }
        }
        _ => {
            let rejection = result
                .as_ref()
                .expect_err("accepted without CONNECT and :protocol");
            assert_eq!(rejection.status, StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(rejection.headers[ALLOW], "CONNECT");
        }
    }

    let offer = match result {
        Ok(offer) => offer,
        Err(rejection) => return check_rejection(rejection),
    };
    assert!(offer.key.is_empty(), "a key over HTTP/2: {:?}", offer.key);
    assert!(offer.subprotocols.iter().all(|name| !name.is_empty()));
    let extensions: Vec<&[u8]> = list
        .headers
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    let offered: Vec<&[u8]> = offer.extensions.iter().map(String::as_bytes).collect();
    assert_eq!(offered, extensions, "the extension offers");
    if let Some(origin) = &offer.origin {
        if let Some(authority) = &list.authority {
            // The same-host rule of `check_origin`, which reads `:authority` over HTTP/2.
            let _ = origin_matches_host(origin, authority);
        }
    } else {
        assert!(!list.headers.contains_key(ORIGIN), "the Origin was lost");
    }
    check_answer(&offer, choices);
}

/// The HTTP/1.1 verdict on the same headers in an upgrade request (the HTTP/1.1 headers
/// of its own replaced by valid ones) is `result`'s.
fn same_as_http1(headers: &HeaderMap, result: &Result<UpgradeRequest, Rejection>) {
    let mut upgrade = Request::new(());
    let fields = upgrade.headers_mut();
    *fields = headers.clone();
    fields.insert(HOST, HeaderValue::from_static("example.com"));
    fields.insert(UPGRADE, HeaderValue::from_static("websocket"));
    fields.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    fields.insert(SEC_WEBSOCKET_KEY, HeaderValue::from_static(KEY));
    match (validate_request(&upgrade), result) {
        (Ok(http1), Ok(http2)) => {
            assert_eq!(http1.subprotocols, http2.subprotocols);
            assert_eq!(http1.extensions, http2.extensions);
            assert_eq!(http1.origin, http2.origin);
        }
        (Err(http1), Err(http2)) => {
            assert_eq!(http1.status, http2.status);
            assert_eq!(http1.body, http2.body);
        }
        (http1, http2) => panic!(
            "HTTP/1.1 and HTTP/2 disagree: {:?} and {:?}",
            http1.map_err(|r| r.status),
            http2.as_ref().map_err(|r| r.status)
        ),
    }
}

fn check_rejection(rejection: Rejection) {
    assert!(rejection.status.is_client_error(), "{}", rejection.status);
    if rejection.status == StatusCode::UPGRADE_REQUIRED {
        assert_eq!(rejection.headers[SEC_WEBSOCKET_VERSION], "13");
    }
    let (status, body) = (rejection.status, rejection.body.clone());
    let response: Response<Bytes> = rejection.into_http_response();
    assert_eq!(response.status(), status);
    assert_eq!(response.body(), body.as_bytes());
    let (parts, body) = response.into_parts();
    let head = Response::from_parts(parts, ());
    match check_connect_response(&head, &[], &[], body) {
        Err(HandshakeError::UnexpectedStatus { status: read, .. }) => assert_eq!(read, status),
        other => panic!("the client read a {status} as {other:?}"),
    }
}

/// The server's `200` for `offer`, with the application's choices, as the client reads it.
fn check_answer(offer: &UpgradeRequest, choices: u8) {
    let subprotocol = match choices & 3 {
        0 => offer.subprotocols.first().cloned(),
        1 => offer.subprotocols.last().cloned(),
        2 => None,
        _ => Some("x-not-offered".to_owned()),
    };
    let options = (choices & 4 != 0).then(CompressionOptions::default);
    let agreement = offer.accept(subprotocol.clone(), options);
    let expected = subprotocol.filter(|name| offer.subprotocols.contains(name));
    assert_eq!(agreement.subprotocol, expected);

    let headers = agreement.connect_headers();
    let agreed = [
        (SEC_WEBSOCKET_PROTOCOL, &agreement.subprotocol),
        (SEC_WEBSOCKET_EXTENSIONS, &agreement.extensions),
    ];
    let mut count = 0;
    for (name, value) in agreed {
        let sent = headers.get(&name).map(HeaderValue::as_bytes);
        assert_eq!(sent, value.as_deref().map(str::as_bytes), "{name}");
        count += usize::from(value.is_some());
    }
    assert_eq!(headers.len(), count, "{headers:?}");

    let mut response = Response::new(());
    *response.headers_mut() = headers;
    let accepted = match check_connect_response(
        &response,
        &offer.subprotocols,
        &[EXTENSION_NAME],
        Bytes::new(),
    ) {
        Ok(accepted) => accepted,
        Err(error) => panic!("the client refused the server's 200: {error}"),
    };
    assert_eq!(accepted.subprotocol, agreement.subprotocol);
    let values = accepted.extensions.iter().map(String::as_str);
    // The client's own options: squall's client offers the defaults.
    match client_negotiate(values, &CompressionOptions::default()) {
        Ok(params) => assert_eq!(
            params,
            agreement.deflate.map(|(params, _)| params),
            "client and server disagree on permessage-deflate"
        ),
        Err(error) => panic!("the client refused the server's extensions: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists_are_read_as_http2_delivers_them() {
        let list = header_list(
            b":method: CONNECT\n:protocol: websocket\n:authority: a:1\n:path: /\n\
              sec-websocket-version: 13\nsec-websocket-protocol: a, b",
        )
        .unwrap();
        assert_eq!(list.method, Method::CONNECT);
        assert_eq!(list.protocol.as_deref(), Some("websocket"));
        assert_eq!(list.authority.as_deref(), Some("a:1"));
        assert_eq!(list.headers.len(), 2);
        let mut request = Request::new(());
        *request.method_mut() = list.method;
        *request.headers_mut() = list.headers;
        let offer = validate_connect_request(&request, list.protocol.as_deref()).unwrap();
        assert_eq!(offer.subprotocols, ["a", "b"]);
        // Refused by an HTTP/2 library before a server sees it.
        assert!(header_list(b":protocol: websocket").is_none());
        assert!(header_list(b":method: CONNECT\n:status: 200").is_none());
        assert!(header_list(b":method: CONNECT\nbad name: x").is_none());
    }
}
