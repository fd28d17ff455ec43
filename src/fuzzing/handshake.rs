//! `handshake_request` and `handshake_response`: the HTTP head parsers and what reads
//! their output.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::protocol::deflate::{client_accept, client_negotiate, DeflateParams, EXTENSION_NAME};
use crate::protocol::extensions::parse_extensions;
use crate::protocol::handshake::{
    check_response, derive_accept_key, origin_matches_host, parse_request, parse_response,
    validate_request, HandshakeError, HeadLimits,
};
use crate::protocol::{Config, Connection, Role};
use crate::CompressionOptions;

/// The key the response target's client sent (RFC 6455 §1.3).
pub(super) const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The subprotocols the response target's client offered.
const OFFERED: [&str; 2] = ["chat", "superchat"];

/// Parses arbitrary bytes as an upgrade request, then runs the server's checks and answers.
///
/// Input layout: `[limits, head..]`. `limits` bits 0-2 choose `max_head_bytes` (16 KiB,
/// 16, 64, 256, 512, 1024, 4096 or 8192) and bits 3-5 `max_headers` (100, 0, 1, 2, 4, 8,
/// 16 or 64); 0 is the default limits.
///
/// Invariants (see also the head invariants on [`handshake_response`]):
/// - a request that passes `validate_request` has a valid key; the 101 answer built from
///   it by `UpgradeRequest::accept` (echoing its first subprotocol, with the default
///   compression options) parses in full, has the headers of `Agreement::headers`, passes
///   the client's `check_response`, and the client's `client_negotiate` arrives at the
///   server's parameters;
/// - a rejected request gets a response that parses, with the rejection's 4xx status and
///   its body after the head, which the client reports as `UnexpectedStatus`.
pub fn handshake_request(data: &[u8]) {
    let (limits, head) = head_input(data);
    let result = parse_request(head, &limits);
    let parsed = result.as_ref().map(|parsed| {
        parsed
            .as_ref()
            .map(|(request, len)| (request.headers().len(), *len))
    });
    check_head(parsed, head, &limits, |bytes| {
        parse_request(bytes, &limits).map(|parsed| parsed.map(|(_, len)| len))
    });
    let Ok(Some((request, _))) = result else {
        return;
    };
    let upgrade = match validate_request(&request) {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            assert!(rejection.status.is_client_error(), "{}", rejection.status);
            let bytes = rejection.to_bytes();
            let (response, len) = parse_whole_response(&bytes);
            assert_eq!(response.status(), rejection.status);
            assert_eq!(
                &bytes[len..],
                rejection.body.as_bytes(),
                "body after the head"
            );
            let checked = check_response(&response, KEY, &[], &[], Bytes::new());
            let status = match &checked {
                Err(HandshakeError::UnexpectedStatus { status, .. }) => Some(*status),
                _ => None,
            };
            assert_eq!(status, Some(rejection.status), "read as {checked:?}");
            return;
        }
    };
    assert_eq!(upgrade.key.len(), 24, "accepted key {:?}", upgrade.key);
    assert!(upgrade.subprotocols.iter().all(|name| !name.is_empty()));
    if let (Some(origin), Some(host)) = (&upgrade.origin, request.headers().get(http::header::HOST))
    {
        let _ = origin_matches_host(origin, host.to_str().unwrap_or_default());
    }

    // The server answers: first subprotocol offered, the deflate offer it can take.
    let subprotocol = upgrade.subprotocols.first().cloned();
    let opts = CompressionOptions::default();
    let agreement = upgrade.accept(subprotocol.clone(), Some(opts.clone()));
    let answer = agreement.response(&HeaderMap::new());
    let (response, _) = parse_whole_response(&answer);
    assert_eq!(
        response.headers(),
        &agreement.headers(),
        "101 bytes and headers differ"
    );

    // The client reads it.
    let accepted = match check_response(
        &response,
        &upgrade.key,
        &upgrade.subprotocols,
        &[EXTENSION_NAME],
        Bytes::new(),
    ) {
        Ok(accepted) => accepted,
        Err(error) => panic!("the client refused the server's answer: {error}"),
    };
    assert_eq!(accepted.subprotocol, subprotocol);
    let values = accepted.extensions.iter().map(String::as_str);
    match client_negotiate(values, &opts) {
        Ok(params) => assert_eq!(
            params,
            agreement.deflate.map(|(params, _)| params),
            "client and server disagree on permessage-deflate"
        ),
        Err(error) => panic!("the client refused the server's extensions: {error}"),
    }
}

/// Parses arbitrary bytes as the answer to an upgrade request, then runs the client's
/// checks.
///
/// Input layout: `[limits, head..]`, as for [`handshake_request`]. The client sent RFC
/// 6455's sample key, `dGhlIHNhbXBsZSBub25jZQ==`, and offered the subprotocols `chat` and
/// `superchat` and permessage-deflate with the default options.
///
/// Invariants, for both head parsers:
/// - a parsed head is never longer than `max_head_bytes` nor holds more than `max_headers`
///   headers; it ends with a line feed, parses the same without the bytes after it, and is
///   incomplete one byte short;
/// - "more bytes needed" only under `max_head_bytes`; `HeadTooLarge` only at or over it;
///   errors are `HeadTooLarge`, `TooManyHeaders` or `Malformed`, with the limits in force.
///
/// And for the response:
/// - `check_response` accepts only a 101 with a subprotocol offered, if any, and only
///   offered extensions; otherwise a non-101 is `UnexpectedStatus` with its status;
/// - when `client_accept` takes the permessage-deflate response, its parameters are in
///   range and honour the client's requests, and a client connection can be built on them.
pub fn handshake_response(data: &[u8]) {
    let (limits, head) = head_input(data);
    let result = parse_response(head, &limits);
    let parsed = result.as_ref().map(|parsed| {
        parsed
            .as_ref()
            .map(|(response, len)| (response.headers().len(), *len))
    });
    check_head(parsed, head, &limits, |bytes| {
        parse_response(bytes, &limits).map(|parsed| parsed.map(|(_, len)| len))
    });
    let Ok(Some((response, _))) = result else {
        return;
    };
    let offered = OFFERED.map(str::to_owned);
    let accepted = match check_response(&response, KEY, &offered, &[EXTENSION_NAME], Bytes::new()) {
        Ok(accepted) => accepted,
        Err(HandshakeError::UnexpectedStatus { status, .. }) => {
            assert_ne!(status, StatusCode::SWITCHING_PROTOCOLS);
            assert_eq!(status, response.status());
            return;
        }
        Err(_) => return,
    };
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(
        response.headers()["sec-websocket-accept"]
            .as_bytes()
            .trim_ascii(),
        derive_accept_key(KEY.as_bytes()).as_bytes()
    );
    if let Some(subprotocol) = &accepted.subprotocol {
        assert!(offered.contains(subprotocol), "took {subprotocol:?}");
    }
    let Ok(extensions) = parse_extensions(accepted.extensions.iter().map(String::as_str)) else {
        return;
    };
    assert!(
        extensions
            .iter()
            .all(|extension| extension.name.eq_ignore_ascii_case(EXTENSION_NAME)),
        "accepted an extension not offered: {extensions:?}"
    );
    let opts = CompressionOptions::default();
    if let Ok(Some(params)) = client_accept(&extensions, &opts) {
        check_client_params(&params, &opts);
        let config = Config {
            deflate: Some((params, opts)),
            mask_seed: Some([0; 32]),
            ..Config::default()
        };
        let conn = Connection::new(Role::Client, config, Instant::now());
        assert!(conn.is_compressed());
    }
}

/// What the client's negotiation result must honour: windows in range and every
/// requested limit.
pub(super) fn check_client_params(params: &DeflateParams, opts: &CompressionOptions) {
    assert!(
        (8..=15).contains(&params.server_max_window_bits),
        "{params:?}"
    );
    assert!(
        (8..=15).contains(&params.client_max_window_bits),
        "{params:?}"
    );
    if opts.server_no_context_takeover {
        assert!(params.server_no_context_takeover, "{params:?} for {opts:?}");
    }
    if opts.client_no_context_takeover {
        assert!(params.client_no_context_takeover, "{params:?} for {opts:?}");
    }
    if let Some(requested) = opts.server_max_window_bits {
        assert!(
            params.server_max_window_bits <= requested,
            "{params:?} for {opts:?}"
        );
    }
    if let Some(offered) = opts.client_max_window_bits {
        assert!(
            params.client_max_window_bits <= offered.max(9),
            "{params:?} for {opts:?}"
        );
    }
}

fn head_input(data: &[u8]) -> (HeadLimits, &[u8]) {
    let (selector, head) = match data {
        [selector, head @ ..] => (*selector, head),
        [] => (0, data),
    };
    let limits = HeadLimits {
        max_head_bytes: [16 * 1024, 16, 64, 256, 512, 1024, 4096, 8192][usize::from(selector & 7)],
        max_headers: [100, 0, 1, 2, 4, 8, 16, 64][usize::from((selector >> 3) & 7)],
    };
    (limits, head)
}

/// The head invariants, given the parse result as (header count, head length) and a way
/// to parse other bytes under the same limits.
fn check_head(
    result: Result<Option<(usize, usize)>, &HandshakeError>,
    head: &[u8],
    limits: &HeadLimits,
    reparse: impl Fn(&[u8]) -> Result<Option<usize>, HandshakeError>,
) {
    match result {
        Ok(Some((headers, len))) => {
            assert!(
                len <= limits.max_head_bytes,
                "accepted a head of {len} bytes over the limit of {}",
                limits.max_head_bytes
            );
            assert!(len > 0 && len <= head.len(), "head of {len} bytes");
            assert!(headers <= limits.max_headers, "{headers} headers");
            assert!(
                head[..len].ends_with(b"\n"),
                "head does not end with a line"
            );
            assert_eq!(reparse(&head[..len]).ok(), Some(Some(len)), "alone");
            assert!(
                matches!(reparse(&head[..len - 1]), Ok(None)),
                "complete one byte short"
            );
        }
        Ok(None) => assert!(
            head.len() < limits.max_head_bytes,
            "wants more than max_head_bytes"
        ),
        Err(HandshakeError::HeadTooLarge { limit }) => {
            assert_eq!(*limit, limits.max_head_bytes);
            assert!(head.len() >= *limit, "HeadTooLarge under the limit");
        }
        Err(HandshakeError::TooManyHeaders { limit }) => {
            assert_eq!(*limit, limits.max_headers);
        }
        Err(HandshakeError::Malformed(_)) => {}
        Err(other) => panic!("a head parser returned {other:?}"),
    }
}

/// Parses bytes this crate wrote as a complete response head.
fn parse_whole_response(bytes: &[u8]) -> (http::Response<()>, usize) {
    let limits = HeadLimits {
        max_head_bytes: bytes.len().max(HeadLimits::DEFAULT.max_head_bytes),
        ..HeadLimits::DEFAULT
    };
    match parse_response(bytes, &limits) {
        Ok(Some(parsed)) => parsed,
        other => panic!(
            "our own response does not parse ({other:?}): {:?}",
            String::from_utf8_lossy(bytes)
        ),
    }
}
