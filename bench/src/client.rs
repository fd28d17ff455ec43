//! The load generator's WebSocket client: the least work that still speaks the protocol.
//!
//! Requests are encoded and masked once, then written again and again; responses are parsed
//! only far enough to count whole frames and check their opcode and length.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Text frame opcode.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame opcode.
pub const OP_BINARY: u8 = 0x2;
/// Close frame opcode.
pub const OP_CLOSE: u8 = 0x8;

/// The mask every generated frame uses (any key is valid; servers must not care).
const MASK: [u8; 4] = [0x5a, 0x3c, 0x96, 0xe1];

/// The opening handshake request (RFC 6455 §4.1) with the RFC's sample key.
pub fn upgrade_request(addr: SocketAddr, path: &str) -> Vec<u8> {
    upgrade_request_with(addr, path, &[])
}

/// [`upgrade_request`] with `extra` header lines (`"Name: value"`, no line breaks) after the
/// five it always has, for requests the size of a browser's.
pub fn upgrade_request_with(addr: SocketAddr, path: &str, extra: &[String]) -> Vec<u8> {
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for line in extra {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// Connects and completes the opening handshake; the stream is then ready for frames.
///
/// # Errors
/// Connection errors, or a response other than `101`.
pub async fn connect(addr: SocketAddr, request: &[u8]) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream.write_all(request).await?;
    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::other("server closed during the handshake"));
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            if !head.starts_with(b"HTTP/1.1 101") {
                let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
                return Err(io::Error::other(format!(
                    "handshake refused: {}",
                    String::from_utf8_lossy(line)
                )));
            }
            if end + 4 != head.len() {
                return Err(io::Error::other("server sent frames before any request"));
            }
            return Ok(stream);
        }
        if head.len() > 16 * 1024 {
            return Err(io::Error::other("handshake response too long"));
        }
    }
}

/// One complete, masked client frame.
pub fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 14);
    frame.push(0x80 | opcode);
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xFFFF => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&MASK);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    frame
}

/// Counts complete server frames in a byte stream, checking opcode and payload length.
#[derive(Clone, Debug)]
pub struct FrameCounter {
    expect_opcode: u8,
    expect_len: u64,
    /// Bytes of a header split across reads.
    header: [u8; 10],
    header_len: usize,
    /// Payload bytes of the current frame still to skip.
    remaining: u64,
    in_payload: bool,
}

/// How long a server frame header is, from its first two bytes.
fn header_len(b1: u8) -> usize {
    match b1 & 0x7F {
        126 => 4,
        127 => 10,
        _ => 2,
    }
}

impl FrameCounter {
    /// Expects frames with this opcode and payload length.
    pub fn new(expect_opcode: u8, expect_len: u64) -> Self {
        Self {
            expect_opcode,
            expect_len,
            header: [0; 10],
            header_len: 0,
            remaining: 0,
            in_payload: false,
        }
    }

    /// Checks a complete header and enters its payload; returns whether the frame is done.
    fn start(&mut self, header: &[u8]) -> Result<bool, String> {
        let opcode = header[0] & 0x0F;
        if header[0] & 0x80 == 0 || opcode != self.expect_opcode {
            return Err(format!(
                "unexpected frame: first byte {:#04x} (expected FIN and opcode {:#x})",
                header[0], self.expect_opcode
            ));
        }
        if header[1] & 0x80 != 0 {
            return Err("masked server frame".to_owned());
        }
        let len = match header[1] & 0x7F {
            126 => u64::from(u16::from_be_bytes([header[2], header[3]])),
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&header[2..10]);
                u64::from_be_bytes(b)
            }
            short => u64::from(short),
        };
        if len != self.expect_len {
            return Err(format!(
                "frame of {len} bytes, expected {}",
                self.expect_len
            ));
        }
        self.remaining = len;
        self.in_payload = len > 0;
        Ok(len == 0)
    }

    /// Feeds received bytes; returns how many frames they completed.
    ///
    /// # Errors
    /// A frame with another opcode or length, or a masked one.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<u64, String> {
        let mut done = 0;
        while !data.is_empty() {
            if self.in_payload {
                let take = self.remaining.min(data.len() as u64);
                data = &data[take as usize..];
                self.remaining -= take;
                if self.remaining == 0 {
                    self.in_payload = false;
                    done += 1;
                }
                continue;
            }
            if self.header_len == 0 && data.len() >= 2 && data.len() >= header_len(data[1]) {
                let len = header_len(data[1]);
                let (header, rest) = data.split_at(len);
                data = rest;
                done += u64::from(self.start(header)?);
                continue;
            }
            // A header split across reads: gather it byte by byte.
            self.header[self.header_len] = data[0];
            self.header_len += 1;
            data = &data[1..];
            if self.header_len >= 2 && self.header_len == header_len(self.header[1]) {
                let header = self.header;
                let len = self.header_len;
                self.header_len = 0;
                done += u64::from(self.start(&header[..len])?);
            }
        }
        Ok(done)
    }
}

/// Sends a close frame (1000) and waits for the server to close TCP, as a polite client.
///
/// # Errors
/// I/O errors, or no EOF within `timeout`.
pub async fn close(mut stream: TcpStream, timeout: Duration) -> io::Result<()> {
    stream
        .write_all(&masked_frame(OP_CLOSE, &1000u16.to_be_bytes()))
        .await?;
    let mut sink = [0u8; 256];
    tokio::time::timeout(timeout, async {
        loop {
            if stream.read(&mut sink).await? == 0 {
                return Ok(());
            }
        }
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no EOF after close"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_frame(len: usize) -> Vec<u8> {
        let mut f = vec![0x82];
        match len {
            0..=125 => f.push(len as u8),
            126..=0xFFFF => {
                f.push(126);
                f.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                f.push(127);
                f.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        f.extend(std::iter::repeat_n(7u8, len));
        f
    }

    #[test]
    fn extra_headers_go_before_the_blank_line() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let plain = upgrade_request(addr, "/");
        let extra = [
            "User-Agent: test/1".to_owned(),
            "Pragma: no-cache".to_owned(),
        ];
        let with = upgrade_request_with(addr, "/", &extra);
        let text = String::from_utf8(with).unwrap();
        assert!(text.ends_with("Pragma: no-cache\r\n\r\n"), "{text:?}");
        assert_eq!(text.matches("\r\n\r\n").count(), 1);
        assert_eq!(
            text.len(),
            plain.len() + "User-Agent: test/1\r\nPragma: no-cache\r\n".len()
        );
    }

    #[test]
    fn counts_frames_across_any_split() {
        for len in [0usize, 16, 125, 126, 1024, 70_000] {
            let mut stream = Vec::new();
            for _ in 0..3 {
                stream.extend(server_frame(len));
            }
            for chunk in [1usize, 2, 3, 7, 1000, stream.len()] {
                let mut counter = FrameCounter::new(OP_BINARY, len as u64);
                let total: u64 = stream.chunks(chunk).map(|c| counter.feed(c).unwrap()).sum();
                assert_eq!(total, 3, "len {len} chunk {chunk}");
            }
        }
    }

    #[test]
    fn rejects_wrong_length_and_opcode() {
        let mut counter = FrameCounter::new(OP_BINARY, 16);
        assert!(counter.feed(&server_frame(17)).is_err());
        let mut counter = FrameCounter::new(OP_BINARY, 0);
        assert!(counter.feed(&[0x88, 0x00]).is_err());
    }

    #[test]
    fn masks_like_the_rfc() {
        // RFC 6455 §5.7 uses another key; check the round trip instead.
        let frame = masked_frame(OP_BINARY, b"Hello");
        assert_eq!(&frame[..2], &[0x82, 0x85]);
        let unmasked: Vec<u8> = frame[6..]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ frame[2 + i % 4])
            .collect();
        assert_eq!(unmasked, b"Hello");
    }
}
