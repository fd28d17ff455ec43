//! The start of the body of a response that refused the upgrade, read within bounds.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The most body bytes kept in [`HandshakeError::UnexpectedStatus`](crate::HandshakeError).
pub(super) const MAX_BODY: usize = 64 * 1024;
/// Raw bytes read at most: the body plus room for chunked framing.
const MAX_RAW: usize = MAX_BODY + 4 * 1024;
/// How long to wait for the rest of the body once the head arrived.
pub(super) const BODY_TIMEOUT: Duration = Duration::from_secs(2);

/// How the end of the body is found (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// No body: 1xx, 204 and 304.
    Empty,
    /// `Content-Length` bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes.
    UntilEof,
}

impl Framing {
    fn of(status: StatusCode, headers: &HeaderMap) -> Self {
        if status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
        {
            return Self::Empty;
        }
        let chunked = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .last()
            .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"));
        if chunked {
            return Self::Chunked;
        }
        headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map_or(Self::UntilEof, |length| {
                Self::Length(usize::try_from(length).unwrap_or(usize::MAX))
            })
    }

    /// Whether `raw` holds the whole body (or all of it that will be kept).
    fn is_complete(self, raw: &[u8]) -> bool {
        match self {
            Self::Empty => true,
            Self::Length(length) => raw.len() >= length.min(MAX_BODY),
            Self::Chunked => dechunk(raw).1,
            Self::UntilEof => false,
        }
    }

    fn decode(self, mut raw: Vec<u8>) -> Bytes {
        let mut body = match self {
            Self::Empty => Vec::new(),
            Self::Length(length) => {
                raw.truncate(length);
                raw
            }
            Self::Chunked => dechunk(&raw).0,
            Self::UntilEof => raw,
        };
        body.truncate(MAX_BODY);
        Bytes::from(body)
    }
}

/// Reads the body of a non-101 response: `raw` holds the bytes that followed the head.
/// Stops at the body's end, at [`MAX_BODY`], at EOF, on a read error or after `timeout`
/// (normally [`BODY_TIMEOUT`]), and returns what arrived by then.
pub(super) async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    status: StatusCode,
    headers: &HeaderMap,
    mut raw: Vec<u8>,
    timeout: Duration,
) -> Bytes {
    let framing = Framing::of(status, headers);
    let _ = tokio::time::timeout(timeout, async {
        while !framing.is_complete(&raw) && raw.len() < MAX_RAW {
            raw.reserve(4096);
            match stream.read_buf(&mut raw).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    framing.decode(raw)
}

/// Decodes as much of a chunked body as `raw` holds; the flag is true once the last chunk
/// arrived (or the framing is broken, so waiting for more is pointless).
fn dechunk(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    let mut rest = raw;
    loop {
        let (header_len, size) = match httparse::parse_chunk_size(rest) {
            Ok(httparse::Status::Complete(parsed)) => parsed,
            Ok(httparse::Status::Partial) => return (body, false),
            Err(_) => return (body, true),
        };
        if size == 0 {
            return (body, true);
        }
        rest = &rest[header_len..];
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if rest.len() < size {
            body.extend_from_slice(rest);
            return (body, false);
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size..];
        match rest {
            [b'\r', b'\n', tail @ ..] => rest = tail,
            [] | [b'\r'] => return (body, false),
            _ => return (body, true),
        }
        if body.len() >= MAX_BODY {
            return (body, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let of = |status: u16, pairs| {
            Framing::of(StatusCode::from_u16(status).unwrap(), &headers(pairs))
        };
        assert_eq!(of(204, &[("content-length", "5")]), Framing::Empty);
        assert_eq!(of(304, &[]), Framing::Empty);
        assert_eq!(of(403, &[("content-length", " 12 ")]), Framing::Length(12));
        assert_eq!(of(403, &[("content-length", "x")]), Framing::UntilEof);
        assert_eq!(
            of(
                200,
                &[
                    ("transfer-encoding", "gzip, chunked"),
                    ("content-length", "3")
                ]
            ),
            Framing::Chunked
        );
        assert_eq!(
            of(200, &[("transfer-encoding", "chunked, gzip")]),
            Framing::UntilEof
        );
    }

    #[test]
    fn dechunks_complete_partial_and_broken_bodies() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            (b"hello world".to_vec(), true)
        );
        assert_eq!(
            dechunk(b"5;ext=1\r\nhello\r\n0\r\n"),
            (b"hello".to_vec(), true)
        );
        assert_eq!(dechunk(b"5\r\nhel"), (b"hel".to_vec(), false));
        assert_eq!(dechunk(b"5\r\nhello\r"), (b"hello".to_vec(), false));
        assert_eq!(dechunk(b"5\r\nhello"), (b"hello".to_vec(), false));
        assert_eq!(dechunk(b"5"), (Vec::new(), false));
        assert_eq!(dechunk(b"zz\r\n"), (Vec::new(), true));
        assert_eq!(dechunk(b"2\r\nhixx"), (b"hi".to_vec(), true));
    }

    #[tokio::test]
    async fn reads_by_length_and_keeps_the_connection_bytes_apart() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"lo world and more").await.unwrap();
        let h = headers(&[("content-length", "11")]);
        let body = read_body(
            &mut client,
            StatusCode::FORBIDDEN,
            &h,
            b"hel".to_vec(),
            BODY_TIMEOUT,
        )
        .await;
        assert_eq!(body, "hello world");
    }

    #[tokio::test]
    async fn reads_until_eof_within_the_cap() {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        server.write_all(&vec![b'x'; MAX_BODY * 2]).await.unwrap();
        drop(server);
        let body = read_body(
            &mut client,
            StatusCode::OK,
            &HeaderMap::new(),
            Vec::new(),
            BODY_TIMEOUT,
        )
        .await;
        assert_eq!(body.len(), MAX_BODY);
    }

    #[tokio::test]
    async fn a_server_that_stops_sending_does_not_hang_the_read() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"partial").await.unwrap();
        let h = headers(&[("content-length", "100")]);
        let short = Duration::from_millis(50);
        let body = read_body(&mut client, StatusCode::FORBIDDEN, &h, Vec::new(), short).await;
        assert_eq!(body, "partial");
        drop(server);
    }
}
