//! The body of a response that refused the upgrade (HTTP/1.1, RFC 9112 §6), decoded within
//! bounds for an error message.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, StatusCode};

/// The most body bytes a [`BodyDecoder`] keeps: 64 KiB.
pub const MAX_BODY: usize = 64 * 1024;
/// The most raw bytes a [`BodyDecoder`] wants: the body plus room for chunked framing.
const MAX_RAW: usize = MAX_BODY + 4 * 1024;

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
}

/// Where a chunked body's decoding stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// Waiting for a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(usize),
    /// Waiting for the CRLF after a chunk's data.
    DataEnd,
}

/// Decodes the start of the body of a response other than 101, sans-I/O: the client reads
/// it to show the server's explanation in
/// [`HandshakeError::UnexpectedStatus`](super::HandshakeError::UnexpectedStatus).
///
/// Feed it the bytes after the head with [`receive`](Self::receive), then read more while
/// [`wants_read`](Self::wants_read); at EOF, on a read error or when the driver's patience
/// runs out, [`finish`](Self::finish) gives what arrived. The framing follows RFC 9112
/// §6.3: no body for 1xx, 204 and 304; `Transfer-Encoding: chunked` (as the last coding);
/// `Content-Length`; otherwise everything until the server closes. At most [`MAX_BODY`]
/// bytes are kept and a little more than that is asked for. Broken chunked framing ends
/// the body where it breaks: it is only an excerpt.
///
/// ```
/// use squall::protocol::handshake::BodyDecoder;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("transfer-encoding", http::HeaderValue::from_static("chunked"));
/// let mut body = BodyDecoder::new(http::StatusCode::FORBIDDEN, &headers);
/// body.receive(b"5\r\nhello\r\n6\r\n wor");
/// assert!(body.wants_read());
/// body.receive(b"ld\r\n0\r\n\r\n");
/// assert!(!body.wants_read());
/// assert_eq!(body.finish(), "hello world");
/// ```
#[derive(Debug)]
pub struct BodyDecoder {
    framing: Framing,
    chunk: Chunk,
    /// Input not decoded yet: a partial chunk-size line or CRLF.
    pending: Vec<u8>,
    body: Vec<u8>,
    raw_len: usize,
    done: bool,
}

impl BodyDecoder {
    /// A decoder for the body of a response with this status and these headers.
    #[must_use]
    pub fn new(status: StatusCode, headers: &HeaderMap) -> Self {
        let framing = Framing::of(status, headers);
        Self {
            framing,
            chunk: Chunk::Size,
            pending: Vec::new(),
            body: Vec::new(),
            raw_len: 0,
            done: framing == Framing::Empty || framing == Framing::Length(0),
        }
    }

    /// Feeds bytes that followed the head (or the bytes fed before). Bytes past the end of
    /// the body are ignored. Call [`wants_read`](Self::wants_read) next.
    pub fn receive(&mut self, data: &[u8]) {
        if self.done {
            return;
        }
        self.raw_len = self.raw_len.saturating_add(data.len());
        match self.framing {
            Framing::Empty => {}
            Framing::Length(length) => {
                let wanted = length.min(MAX_BODY) - self.body.len();
                self.body.extend_from_slice(&data[..data.len().min(wanted)]);
                self.done = self.body.len() >= length.min(MAX_BODY);
            }
            Framing::UntilEof => self.keep(data),
            Framing::Chunked => {
                if self.pending.is_empty() {
                    let used = self.dechunk(data);
                    self.pending.extend_from_slice(&data[used..]);
                } else {
                    let mut input = std::mem::take(&mut self.pending);
                    input.extend_from_slice(data);
                    let used = self.dechunk(&input);
                    input.drain(..used);
                    self.pending = input;
                }
            }
        }
        if self.body.len() >= MAX_BODY || self.raw_len >= MAX_RAW {
            self.done = true;
        }
    }

    /// Whether the body may go on: `false` once it is complete, broken, or as long as is
    /// kept. A driver stops reading then (or at EOF, or when its own deadline passes).
    #[must_use]
    pub fn wants_read(&self) -> bool {
        !self.done
    }

    /// The body as far as it arrived, at most [`MAX_BODY`] bytes.
    #[must_use]
    pub fn finish(self) -> Bytes {
        Bytes::from(self.body)
    }

    /// Keeps what fits under [`MAX_BODY`].
    fn keep(&mut self, data: &[u8]) {
        let room = MAX_BODY.saturating_sub(self.body.len());
        self.body.extend_from_slice(&data[..data.len().min(room)]);
    }

    /// Decodes as much of `input` as is complete; returns how many bytes it used (the rest
    /// is a partial size line or CRLF, to be completed by the next input).
    fn dechunk(&mut self, input: &[u8]) -> usize {
        let mut used = 0;
        while !self.done && used < input.len() {
            let rest = &input[used..];
            match self.chunk {
                Chunk::Size => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((line, 0))) => {
                        used += line;
                        self.done = true;
                    }
                    Ok(httparse::Status::Complete((line, size))) => {
                        used += line;
                        self.chunk = Chunk::Data(usize::try_from(size).unwrap_or(usize::MAX));
                    }
                    Ok(httparse::Status::Partial) => break,
                    Err(_) => self.done = true,
                },
                Chunk::Data(left) => {
                    let taken = left.min(rest.len());
                    self.keep(&rest[..taken]);
                    used += taken;
                    self.chunk = match left - taken {
                        0 => Chunk::DataEnd,
                        left => Chunk::Data(left),
                    };
                }
                Chunk::DataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        used += 2;
                        self.chunk = Chunk::Size;
                    }
                    [b'\r'] => break,
                    _ => self.done = true,
                },
            }
        }
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
            .collect()
    }

    fn decoder(status: u16, pairs: &[(&'static str, &'static str)]) -> BodyDecoder {
        BodyDecoder::new(StatusCode::from_u16(status).unwrap(), &headers(pairs))
    }

    /// Feeds `raw` whole, then split at every point, then byte by byte: the same result.
    fn decode(pairs: &[(&'static str, &'static str)], raw: &[u8]) -> (Vec<u8>, bool) {
        let mut whole = decoder(200, pairs);
        whole.receive(raw);
        let expected = (whole.body.clone(), whole.wants_read());
        for split in 0..=raw.len() {
            let mut parts = decoder(200, pairs);
            parts.receive(&raw[..split]);
            parts.receive(&raw[split..]);
            assert_eq!(
                (parts.body.clone(), parts.wants_read()),
                expected,
                "split at {split}"
            );
        }
        let mut bytes = decoder(200, pairs);
        for byte in raw {
            bytes.receive(std::slice::from_ref(byte));
        }
        assert_eq!(
            (bytes.body.clone(), bytes.wants_read()),
            expected,
            "byte by byte"
        );
        (expected.0, !expected.1)
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let of = |status: u16, pairs| decoder(status, pairs).framing;
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
        assert!(!decoder(204, &[]).wants_read());
        assert!(!decoder(403, &[("content-length", "0")]).wants_read());
    }

    #[test]
    fn dechunks_complete_partial_and_broken_bodies() {
        let chunked = &[("transfer-encoding", "chunked")];
        let cases: [(&[u8], &[u8], bool); 8] = [
            (
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                b"hello world",
                true,
            ),
            (b"5;ext=1\r\nhello\r\n0\r\n", b"hello", true),
            (b"5\r\nhel", b"hel", false),
            (b"5\r\nhello\r", b"hello", false),
            (b"5\r\nhello", b"hello", false),
            (b"5", b"", false),
            (b"zz\r\n", b"", true),
            (b"2\r\nhixx", b"hi", true),
        ];
        for (raw, body, done) in cases {
            assert_eq!(
                decode(chunked, raw),
                (body.to_vec(), done),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn reads_by_length_and_ignores_what_follows() {
        let length = &[("content-length", "11")];
        assert_eq!(
            decode(length, b"hello world and more"),
            (b"hello world".to_vec(), true)
        );
        assert_eq!(decode(length, b"hello"), (b"hello".to_vec(), false));
    }

    #[test]
    fn keeps_at_most_max_body() {
        let mut until_eof = decoder(200, &[]);
        until_eof.receive(&vec![b'x'; MAX_BODY - 1]);
        assert!(until_eof.wants_read());
        until_eof.receive(b"yz");
        assert!(!until_eof.wants_read());
        assert_eq!(until_eof.finish().len(), MAX_BODY);

        let mut long = decoder(200, &[("content-length", "1000000")]);
        long.receive(&vec![b'x'; MAX_BODY + 10]);
        assert!(!long.wants_read());
        assert_eq!(long.finish().len(), MAX_BODY);

        let mut chunked = decoder(200, &[("transfer-encoding", "chunked")]);
        chunked.receive(b"100000\r\n");
        chunked.receive(&vec![b'x'; MAX_BODY + 10]);
        assert!(!chunked.wants_read());
        assert_eq!(chunked.finish().len(), MAX_BODY);
    }

    #[test]
    fn stops_asking_after_max_raw_bytes() {
        // Tiny chunks: much framing, little body.
        let mut chunked = decoder(200, &[("transfer-encoding", "chunked")]);
        while chunked.wants_read() {
            chunked.receive(b"1\r\nx\r\n");
        }
        assert!(chunked.raw_len >= MAX_RAW);
        assert!(chunked.finish().len() < MAX_BODY);
    }
}
