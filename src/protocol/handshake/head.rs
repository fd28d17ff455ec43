//! Reading and writing HTTP/1.1 heads, with limits.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};

use super::HandshakeError;

/// Limits for reading an HTTP head (request or response).
///
/// The defaults are 16 KiB and 100 headers.
#[derive(Clone, Copy, Debug)]
pub struct HeadLimits {
    /// Most bytes the head may take, from the first byte of the request or status line to
    /// the end of the empty line that ends the head. Default 16 * 1024.
    pub max_head_bytes: usize,
    /// Most header fields the head may have. Default 100.
    pub max_headers: usize,
}

impl HeadLimits {
    /// The default limits: 16 KiB and 100 headers.
    pub const DEFAULT: Self = Self {
        max_head_bytes: 16 * 1024,
        max_headers: 100,
    };
}

impl Default for HeadLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Parses an HTTP/1.x request head from the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, and `Ok(Some((request, n)))` once the head
/// is complete: it took the first `n` bytes, and the bytes after `n` belong to the WebSocket
/// stream. The request target is kept as an [`Uri`] (normally origin-form, `/path?query`;
/// absolute-form and `*` also parse). Only the first `limits.max_head_bytes` bytes of `buf`
/// are ever looked at, so calling this again after each read costs at most that much.
///
/// # Errors
///
/// - [`HandshakeError::HeadTooLarge`] when `buf` holds `max_head_bytes` bytes or more and
///   the head is still incomplete: the driver can stop reading without buffering more;
/// - [`HandshakeError::TooManyHeaders`] when there are more than `max_headers` headers;
/// - [`HandshakeError::Malformed`] for anything httparse or `http` reject.
pub fn parse_request(
    buf: &[u8],
    limits: &HeadLimits,
) -> Result<Option<(Request<()>, usize)>, HandshakeError> {
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut parsed = httparse::Request::new(&mut slots);
    let status = parsed
        .parse(window)
        .map_err(|err| map_parse_error(err, limits))?;
    let httparse::Status::Complete(len) = status else {
        return incomplete(buf, limits);
    };
    let (Some(method), Some(path), Some(version)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(HandshakeError::Malformed(
            "incomplete request line".to_owned(),
        ));
    };
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| HandshakeError::Malformed(format!("invalid method {method:?}")))?;
    let uri = Uri::try_from(path)
        .map_err(|_| HandshakeError::Malformed(format!("invalid request target {path:?}")))?;
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = http_version(version);
    *request.headers_mut() = header_map(parsed.headers)?;
    Ok(Some((request, len)))
}

/// Runs `read` on the header fields of `head`, a complete request head that
/// [`parse_request`] accepted (on none if it is not such a head).
#[cfg(feature = "server")]
fn with_request_fields<'b, R>(
    head: &'b [u8],
    read: impl FnOnce(&[httparse::Header<'b>]) -> R,
) -> R {
    // Every field takes a line of its own, so that many slots are enough.
    let lines = head.iter().filter(|&&byte| byte == b'\n').count();
    let mut slots = vec![httparse::EMPTY_HEADER; lines];
    let mut parsed = httparse::Request::new(&mut slots);
    match parsed.parse(head) {
        Ok(httparse::Status::Complete(_)) => read(parsed.headers),
        _ => read(&[]),
    }
}

/// The header fields of `head` (see [`with_request_fields`]) as name/value pairs borrowed
/// from it.
#[cfg(feature = "server")]
pub(crate) fn request_header_fields(head: &[u8]) -> Vec<(&str, &[u8])> {
    with_request_fields(head, |fields| {
        fields
            .iter()
            .map(|field| (field.name, field.value))
            .collect()
    })
}

/// The headers of `head` (see [`with_request_fields`]) as the map [`parse_request`] built.
#[cfg(feature = "server")]
pub(crate) fn request_header_map(head: &[u8]) -> HeaderMap {
    // `parse_request` accepted every name and value of this head before.
    with_request_fields(head, |fields| header_map(fields).unwrap_or_default())
}

/// Parses an HTTP/1.x response head from the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, and `Ok(Some((response, n)))` once the
/// head is complete: it took the first `n` bytes, and the bytes after `n` belong to the
/// WebSocket stream (or, for a status other than 101, to the response body). The reason
/// phrase is not kept.
///
/// # Errors
///
/// As [`parse_request`]: [`HandshakeError::HeadTooLarge`],
/// [`HandshakeError::TooManyHeaders`] and [`HandshakeError::Malformed`].
pub fn parse_response(
    buf: &[u8],
    limits: &HeadLimits,
) -> Result<Option<(Response<()>, usize)>, HandshakeError> {
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut parsed = httparse::Response::new(&mut slots);
    let status = parsed
        .parse(window)
        .map_err(|err| map_parse_error(err, limits))?;
    let httparse::Status::Complete(len) = status else {
        return incomplete(buf, limits);
    };
    let (Some(code), Some(version)) = (parsed.code, parsed.version) else {
        return Err(HandshakeError::Malformed(
            "incomplete status line".to_owned(),
        ));
    };
    let status = StatusCode::from_u16(code)
        .map_err(|_| HandshakeError::Malformed(format!("invalid status code {code}")))?;
    let mut response = Response::new(());
    *response.status_mut() = status;
    *response.version_mut() = http_version(version);
    *response.headers_mut() = header_map(parsed.headers)?;
    Ok(Some((response, len)))
}

/// `Ok(None)`, unless the window is full and the head is still incomplete.
fn incomplete<T>(buf: &[u8], limits: &HeadLimits) -> Result<Option<T>, HandshakeError> {
    if buf.len() >= limits.max_head_bytes {
        Err(HandshakeError::HeadTooLarge {
            limit: limits.max_head_bytes,
        })
    } else {
        Ok(None)
    }
}

fn map_parse_error(err: httparse::Error, limits: &HeadLimits) -> HandshakeError {
    match err {
        httparse::Error::TooManyHeaders => HandshakeError::TooManyHeaders {
            limit: limits.max_headers,
        },
        other => HandshakeError::Malformed(other.to_string()),
    }
}

fn http_version(minor: u8) -> Version {
    // httparse only accepts HTTP/1.0 and HTTP/1.1.
    if minor == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    }
}

fn header_map(headers: &[httparse::Header<'_>]) -> Result<HeaderMap, HandshakeError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for header in headers {
        let name = HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| {
            HandshakeError::Malformed(format!("invalid header name {:?}", header.name))
        })?;
        let value = HeaderValue::from_bytes(header.value).map_err(|_| {
            HandshakeError::Malformed(format!("invalid value for header {:?}", header.name))
        })?;
        map.append(name, value);
    }
    Ok(map)
}

/// The elements of a comma-separated header list (RFC 9110 §5.6.1) across every `name`
/// header, trimmed of optional whitespace, empty elements skipped.
///
/// Commas inside quoted strings do not split.
pub(super) fn list_elements<'a>(
    headers: &'a HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| split_list(value.as_bytes()))
}

/// Splits one header value on commas outside quoted strings; trims; skips empty elements.
pub(super) fn split_list(value: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut rest = Some(value);
    std::iter::from_fn(move || loop {
        let current = rest?;
        let mut in_quotes = false;
        let mut escaped = false;
        let mut end = current.len();
        for (i, &byte) in current.iter().enumerate() {
            if escaped {
                escaped = false;
            } else if in_quotes && byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_quotes = !in_quotes;
            } else if byte == b',' && !in_quotes {
                end = i;
                break;
            }
        }
        rest = current.get(end + 1..);
        let element = current[..end].trim_ascii();
        if !element.is_empty() {
            return Some(element);
        }
    })
}

/// The value of `name` when the head has exactly one such header, in visible ASCII.
pub(super) fn single_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok()
}

/// Whether any `name` header lists `token` (ASCII case-insensitive).
pub(super) fn has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    list_elements(headers, name).any(|element| element.eq_ignore_ascii_case(token.as_bytes()))
}

/// Whether a header value may hold `byte`: anything but the controls other than HTAB, so
/// CR and LF cannot inject lines (RFC 9110 §5.5).
fn is_value_byte(byte: u8) -> bool {
    byte == b'\t' || (byte >= 0x20 && byte != 0x7f)
}

/// Appends `Name: value\r\n`, dropping from `value` the bytes a header value may not hold
/// (see [`is_value_byte`]).
pub(super) fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend(value.iter().copied().filter(|&byte| is_value_byte(byte)));
    out.extend_from_slice(b"\r\n");
}

/// `value` as a [`HeaderValue`], less the bytes [`push_header`] drops: the same header
/// [`push_header`] writes, for servers that write the response themselves.
pub(super) fn clean_value(value: &[u8]) -> HeaderValue {
    let value = if value.iter().all(|&byte| is_value_byte(byte)) {
        HeaderValue::from_bytes(value)
    } else {
        let clean: Vec<u8> = value
            .iter()
            .copied()
            .filter(|&b| is_value_byte(b))
            .collect();
        HeaderValue::from_bytes(&clean)
    };
    // Without those bytes, every byte string is a valid header value.
    value.unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Appends the user headers of `map` whose names `skip` does not reject, with their names
/// in Title-Case (`sec-websocket-protocol` becomes `Sec-Websocket-Protocol`), as Tornado
/// writes them.
pub(super) fn push_headers(out: &mut Vec<u8>, map: &HeaderMap, skip: impl Fn(&HeaderName) -> bool) {
    for (name, value) in map {
        if skip(name) {
            continue;
        }
        let mut upper = true;
        for &byte in name.as_str().as_bytes() {
            out.push(if upper {
                byte.to_ascii_uppercase()
            } else {
                byte
            });
            upper = byte == b'-';
        }
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\n\
        Host: server.example.com\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Origin: http://example.com\r\n\
        Sec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Version: 13\r\n\
        \r\n";

    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
        Sec-WebSocket-Protocol: chat\r\n\
        \r\n";

    fn limits() -> HeadLimits {
        HeadLimits::default()
    }

    #[test]
    fn default_limits() {
        let limits = HeadLimits::default();
        assert_eq!(limits.max_head_bytes, 16 * 1024);
        assert_eq!(limits.max_headers, 100);
    }

    #[test]
    fn request_rfc6455_example() {
        let (req, n) = parse_request(REQUEST, &limits()).unwrap().unwrap();
        assert_eq!(n, REQUEST.len());
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.uri().path(), "/chat");
        assert_eq!(req.uri().query(), Some("room=1"));
        assert_eq!(req.version(), Version::HTTP_11);
        assert_eq!(req.headers().len(), 7);
        assert_eq!(req.headers()["host"], "server.example.com");
        assert_eq!(req.headers()["sec-websocket-version"], "13");
    }

    #[test]
    fn request_byte_by_byte() {
        for end in 0..REQUEST.len() {
            assert!(
                parse_request(&REQUEST[..end], &limits()).unwrap().is_none(),
                "prefix of {end} bytes"
            );
        }
        let (_, n) = parse_request(REQUEST, &limits()).unwrap().unwrap();
        assert_eq!(n, REQUEST.len());
    }

    #[test]
    fn request_leftover_bytes() {
        let mut buf = REQUEST.to_vec();
        buf.extend_from_slice(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]);
        let (_, n) = parse_request(&buf, &limits()).unwrap().unwrap();
        assert_eq!(n, REQUEST.len());
        assert_eq!(&buf[n..], &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]);
    }

    #[test]
    fn request_repeated_headers_kept_in_order() {
        let buf = b"GET / HTTP/1.1\r\nSec-WebSocket-Protocol: a\r\nX: 1\r\nsec-websocket-protocol: b\r\n\r\n";
        let (req, _) = parse_request(buf, &limits()).unwrap().unwrap();
        let values: Vec<_> = req
            .headers()
            .get_all("sec-websocket-protocol")
            .iter()
            .collect();
        assert_eq!(values, ["a", "b"]);
    }

    #[test]
    fn request_http10_and_absolute_form() {
        let buf = b"GET http://example.com/ws HTTP/1.0\r\n\r\n";
        let (req, n) = parse_request(buf, &limits()).unwrap().unwrap();
        assert_eq!(n, buf.len());
        assert_eq!(req.version(), Version::HTTP_10);
        assert_eq!(req.uri().host(), Some("example.com"));
        assert_eq!(req.uri().path(), "/ws");
    }

    #[test]
    fn head_too_large_even_if_incomplete() {
        let limits = HeadLimits {
            max_head_bytes: 64,
            max_headers: 100,
        };
        let mut buf = b"GET / HTTP/1.1\r\nX-Filler: ".to_vec();
        buf.resize(63, b'a');
        assert!(parse_request(&buf, &limits).unwrap().is_none());
        buf.push(b'a');
        assert!(matches!(
            parse_request(&buf, &limits),
            Err(HandshakeError::HeadTooLarge { limit: 64 })
        ));
        buf.resize(1024 * 1024, b'a');
        assert!(matches!(
            parse_request(&buf, &limits),
            Err(HandshakeError::HeadTooLarge { limit: 64 })
        ));
    }

    #[test]
    fn head_exactly_at_limit_is_accepted() {
        let limits = HeadLimits {
            max_head_bytes: REQUEST.len(),
            max_headers: 100,
        };
        let mut buf = REQUEST.to_vec();
        buf.extend_from_slice(b"frames");
        let (_, n) = parse_request(&buf, &limits).unwrap().unwrap();
        assert_eq!(n, REQUEST.len());

        let limits = HeadLimits {
            max_head_bytes: REQUEST.len() - 1,
            max_headers: 100,
        };
        assert!(matches!(
            parse_request(&buf, &limits),
            Err(HandshakeError::HeadTooLarge { .. })
        ));
    }

    #[test]
    fn too_many_headers() {
        let limits = HeadLimits {
            max_head_bytes: 16 * 1024,
            max_headers: 3,
        };
        let ok = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert!(parse_request(ok, &limits).unwrap().is_some());
        let too_many = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
        assert!(matches!(
            parse_request(too_many, &limits),
            Err(HandshakeError::TooManyHeaders { limit: 3 })
        ));
        // Detected before the head is complete.
        let incomplete = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n";
        assert!(matches!(
            parse_request(incomplete, &limits),
            Err(HandshakeError::TooManyHeaders { limit: 3 })
        ));
        assert!(matches!(
            parse_response(
                b"HTTP/1.1 101 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
                &limits
            ),
            Err(HandshakeError::TooManyHeaders { limit: 3 })
        ));
    }

    #[test]
    fn malformed_requests() {
        let cases: &[&[u8]] = &[
            b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
            b"GET / HTTP/1.1\r\n: empty name\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / FTP/1.1\r\n\r\n",
            b"GET\r\n\r\n",
            b"G(T / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: \x00\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: 1\r\n folded\r\n\r\n",
            b"GET /a b HTTP/1.1\r\n\r\n",
            b"GET /\x7f HTTP/1.1\r\n\r\n",
        ];
        for case in cases {
            assert!(
                matches!(
                    parse_request(case, &limits()),
                    Err(HandshakeError::Malformed(_))
                ),
                "{:?} gave {:?}",
                String::from_utf8_lossy(case),
                parse_request(case, &limits())
            );
        }
    }

    #[test]
    fn response_byte_by_byte_and_leftover() {
        for end in 0..RESPONSE.len() {
            assert!(parse_response(&RESPONSE[..end], &limits())
                .unwrap()
                .is_none());
        }
        let mut buf = RESPONSE.to_vec();
        buf.extend_from_slice(b"\x81\x05Hello");
        let (resp, n) = parse_response(&buf, &limits()).unwrap().unwrap();
        assert_eq!(n, RESPONSE.len());
        assert_eq!(&buf[n..], b"\x81\x05Hello");
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(resp.version(), Version::HTTP_11);
        assert_eq!(resp.headers()["sec-websocket-protocol"], "chat");
    }

    #[test]
    fn response_limits_and_malformed() {
        let limits = HeadLimits {
            max_head_bytes: 32,
            max_headers: 100,
        };
        assert!(matches!(
            parse_response(&RESPONSE[..40], &limits),
            Err(HandshakeError::HeadTooLarge { limit: 32 })
        ));
        for case in [
            &b"HTTP/1.1 1x1 Switching\r\n\r\n"[..],
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/1.1 101 OK\r\nX y: z\r\n\r\n",
            b"HTTX/1.1 101 OK\r\n\r\n",
        ] {
            assert!(
                matches!(
                    parse_response(case, &HeadLimits::default()),
                    Err(HandshakeError::Malformed(_))
                ),
                "{:?}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn list_splitting() {
        let split = |value: &'static [u8]| split_list(value).collect::<Vec<_>>();
        assert_eq!(split(b"a, b ,c"), [&b"a"[..], b"b", b"c"]);
        assert_eq!(split(b" , a,,\t"), [&b"a"[..]]);
        assert_eq!(split(b""), Vec::<&[u8]>::new());
        assert_eq!(
            split(b"x; p=\"1,2\", y; q=\"\\\",\""),
            [&b"x; p=\"1,2\""[..], b"y; q=\"\\\",\""]
        );
        let mut headers = HeaderMap::new();
        headers.append("connection", HeaderValue::from_static("keep-alive"));
        headers.append("connection", HeaderValue::from_static("Upgrade, close"));
        assert!(has_token(&headers, "connection", "upgrade"));
        assert!(!has_token(&headers, "connection", "upgrad"));
        assert!(!has_token(&headers, "upgrade", "websocket"));
    }

    #[test]
    fn header_writing() {
        let mut out = Vec::new();
        push_header(&mut out, "Host", b"evil\r\nX-Injected: 1");
        assert_eq!(out, b"Host: evilX-Injected: 1\r\n");
        let mut map = HeaderMap::new();
        map.append("x-custom-header", HeaderValue::from_static("1"));
        map.append("cookie", HeaderValue::from_static("a=b"));
        map.append("x-custom-header", HeaderValue::from_static("2"));
        let mut out = Vec::new();
        push_headers(&mut out, &map, |name| name == "cookie");
        assert_eq!(out, b"X-Custom-Header: 1\r\nX-Custom-Header: 2\r\n");
    }
}
