//! The handshake over HTTP/2: the extended CONNECT of RFC 8441, server and client side.

use bytes::Bytes;
use http::header::ALLOW;
use http::{HeaderValue, Method, Request, Response, StatusCode};

use super::client::{accepted, AcceptedResponse};
use super::server::{bad_request, check_version, offer, Rejection, UpgradeRequest};
use super::HandshakeError;

/// Checks that `req`, received over HTTP/2 with the `:protocol` pseudo-header `protocol`,
/// is a WebSocket extended CONNECT (RFC 8441 §4) and returns what it offers.
///
/// The rules are those of [`validate_request`](super::validate_request), adapted as RFC
/// 8441 §5 says: the method is `CONNECT`, else 405 with `Allow: CONNECT`; `:protocol` is
/// `websocket`, else 400 (a `CONNECT` without it asks for a tunnel, which is refused the
/// same way: 405); `Sec-WebSocket-Version` is `13`, else 426; `Origin`,
/// `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` as over HTTP/1.1. There is no
/// `Sec-WebSocket-Key` ([`UpgradeRequest::key`] is empty) and the answer is a `200` with
/// the [`Agreement`](super::Agreement)'s subprotocol and extensions, no
/// `Sec-WebSocket-Accept`. The same-host origin rule reads `:authority`, which the HTTP/2
/// library gives as the request target's authority.
///
/// ```
/// use squall::protocol::handshake::validate_connect_request;
///
/// let request = http::Request::connect("https://example.com/chat")
///     .header("sec-websocket-version", "13")
///     .header("sec-websocket-protocol", "chat, superchat")
///     .body(())
///     .unwrap();
/// let offer = validate_connect_request(&request, Some("websocket")).expect("valid upgrade");
/// assert_eq!(offer.subprotocols, ["chat", "superchat"]);
/// assert_eq!(validate_connect_request(&request, None).unwrap_err().status, 405);
/// ```
///
/// # Errors
///
/// The [`Rejection`] to send, as listed above.
#[allow(
    clippy::result_large_err,
    reason = "the rejection becomes the response at once, once per stream"
)]
pub fn validate_connect_request(
    req: &Request<()>,
    protocol: Option<&str>,
) -> Result<UpgradeRequest, Rejection> {
    let Some(protocol) = protocol.filter(|_| req.method() == Method::CONNECT) else {
        let mut rejection = Rejection::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        rejection
            .headers
            .insert(ALLOW, HeaderValue::from_static("CONNECT"));
        return Err(rejection);
    };
    if !protocol.eq_ignore_ascii_case("websocket") {
        return Err(bad_request("Can \"Upgrade\" only to \"WebSocket\"."));
    }
    check_version(req.headers())?;
    offer(req.headers(), String::new())
}

/// Checks the answer to a WebSocket extended CONNECT (RFC 8441 §4): a 2xx status, then the
/// checks of [`check_response`](super::check_response) that HTTP/2 keeps (the subprotocol
/// and the extensions; there is no `Upgrade`, `Connection` or `Sec-WebSocket-Accept`).
///
/// ```
/// use squall::protocol::handshake::check_connect_response;
///
/// let response = http::Response::builder()
///     .status(200)
///     .header("sec-websocket-protocol", "chat")
///     .body(())
///     .unwrap();
/// let accepted = check_connect_response(&response, &["chat".to_owned()], &[], Default::default())?;
/// assert_eq!(accepted.subprotocol.as_deref(), Some("chat"));
/// # Ok::<(), squall::HandshakeError>(())
/// ```
///
/// # Errors
/// [`HandshakeError::UnexpectedStatus`] (with `body`) for a status other than 2xx, and the
/// subprotocol and extension errors of `check_response`.
pub fn check_connect_response(
    resp: &Response<()>,
    offered_subprotocols: &[String],
    offered_extensions: &[&str],
    body: Bytes,
) -> Result<AcceptedResponse, HandshakeError> {
    if !resp.status().is_success() {
        return Err(HandshakeError::UnexpectedStatus {
            status: resp.status(),
            headers: Box::new(resp.headers().clone()),
            body,
        });
    }
    accepted(resp.headers(), offered_subprotocols, offered_extensions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::connect("https://example.com/ws");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn the_rules_are_those_of_http_1_1() {
        let ok = connect(&[
            ("sec-websocket-version", "13"),
            ("origin", "https://example.com"),
            ("sec-websocket-extensions", "permessage-deflate"),
        ]);
        let offer = validate_connect_request(&ok, Some("websocket")).unwrap();
        assert_eq!(offer.origin.as_deref(), Some("https://example.com"));
        assert_eq!(offer.extensions, ["permessage-deflate"]);
        assert!(offer.key.is_empty());

        let status = |req: &Request<()>, protocol| {
            validate_connect_request(req, protocol).unwrap_err().status
        };
        assert_eq!(status(&ok, None), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(status(&ok, Some("webtransport")), StatusCode::BAD_REQUEST);
        let get = Request::get("https://example.com/ws").body(()).unwrap();
        assert_eq!(
            status(&get, Some("websocket")),
            StatusCode::METHOD_NOT_ALLOWED
        );
        let old = connect(&[("sec-websocket-version", "8")]);
        assert_eq!(
            status(&old, Some("websocket")),
            StatusCode::UPGRADE_REQUIRED
        );
        let bad_origin = Request::connect("https://example.com/ws")
            .header("sec-websocket-version", "13")
            .header("origin", HeaderValue::from_bytes(b"\xff").unwrap())
            .body(())
            .unwrap();
        assert_eq!(
            status(&bad_origin, Some("websocket")),
            StatusCode::BAD_REQUEST
        );
    }
}
