//! The "near-free" echo: the least work a WebSocket echo can do, as a ceiling reference.
//!
//! It answers the opening handshake from the `Sec-WebSocket-Key` line alone, then streams
//! every frame back as it arrives: each read is unmasked in place and written with one
//! `write_all` (`TCP_NODELAY` on), headers re-encoded without the mask bit; no message assembly, no UTF-8 check,
//! no limits. Pings come back as pongs, and a close is echoed before the socket is dropped.
//! Not a conforming server: a measuring stick only.
//!
//! `echo_nearfree --port PORT`; prints `listening on 127.0.0.1:PORT`.

use std::io;

use base64::Engine;
use sha1::{Digest, Sha1};
use squall_bench::cli;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const READ_BUF: usize = 256 * 1024;

/// XORs `buf` with `mask`, `offset` bytes into the payload, eight bytes at a time.
fn unmask(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    let key: [u8; 4] = std::array::from_fn(|i| mask[(offset + i) % 4]);
    let word = u32::from_ne_bytes(key);
    let wide = u64::from(word) | (u64::from(word) << 32);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ wide).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

fn header_len(b1: u8) -> usize {
    2 + match b1 & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    } + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// Streaming echo state: where we are in the current frame.
#[derive(Default)]
struct Echo {
    header: [u8; 14],
    header_len: usize,
    remaining: u64,
    mask: [u8; 4],
    offset: usize,
    closing: bool,
    closed: bool,
}

impl Echo {
    fn start(&mut self, header: &[u8], out: &mut Vec<u8>) {
        let b0 = header[0];
        let b0 = match b0 & 0x0F {
            0x9 => (b0 & 0xF0) | 0xA,
            0x8 => {
                self.closing = true;
                b0
            }
            _ => b0,
        };
        let (len, pos) = match header[1] & 0x7F {
            126 => (u64::from(u16::from_be_bytes([header[2], header[3]])), 4),
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&header[2..10]);
                (u64::from_be_bytes(b), 10)
            }
            short => (u64::from(short), 2),
        };
        self.mask = if header[1] & 0x80 != 0 {
            [
                header[pos],
                header[pos + 1],
                header[pos + 2],
                header[pos + 3],
            ]
        } else {
            [0; 4]
        };
        out.push(b0);
        out.push(header[1] & 0x7F);
        out.extend_from_slice(&header[2..pos]);
        self.remaining = len;
        self.offset = 0;
        if len == 0 && self.closing {
            self.closed = true;
        }
    }

    fn feed(&mut self, mut data: &mut [u8], out: &mut Vec<u8>) {
        while !data.is_empty() && !self.closed {
            if self.remaining > 0 {
                let take = self.remaining.min(data.len() as u64) as usize;
                let (chunk, rest) = data.split_at_mut(take);
                unmask(chunk, self.mask, self.offset);
                out.extend_from_slice(chunk);
                self.offset += take;
                self.remaining -= take as u64;
                data = rest;
                if self.remaining == 0 && self.closing {
                    self.closed = true;
                }
                continue;
            }
            if self.header_len == 0 && data.len() >= 2 && data.len() >= header_len(data[1]) {
                let len = header_len(data[1]);
                let (header, rest) = data.split_at_mut(len);
                self.start(header, out);
                data = rest;
                continue;
            }
            self.header[self.header_len] = data[0];
            self.header_len += 1;
            data = &mut data[1..];
            if self.header_len >= 2 && self.header_len == header_len(self.header[1]) {
                let header = self.header;
                let len = self.header_len;
                self.header_len = 0;
                self.start(&header[..len], out);
            }
        }
    }
}

async fn serve(mut stream: TcpStream) -> io::Result<()> {
    // It writes each read's worth as it comes: without this, Nagle holds a message's short
    // tail until the previous segment is acknowledged.
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; READ_BUF];
    let mut filled = 0;
    let end = loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        if let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if filled == buf.len() {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let Some(key) = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim().to_owned())
    }) else {
        return stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
    };
    let accept = base64::engine::general_purpose::STANDARD
        .encode(Sha1::new().chain_update(key).chain_update(GUID).finalize());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(response.as_bytes()).await?;
    let mut echo = Echo::default();
    let mut out = Vec::with_capacity(READ_BUF + 64);
    echo.feed(&mut buf[end..filled], &mut out);
    loop {
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if echo.closed {
            return Ok(());
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        echo.feed(&mut buf[..n], &mut out);
    }
}

fn main() {
    let port = cli::server_port();
    cli::runtime().block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream));
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_rfc_hello_split_anywhere() {
        // RFC 6455 §5.7: masked "Hello".
        let frame = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        for split in 0..frame.len() {
            let mut data = frame;
            let (a, b) = data.split_at_mut(split);
            let mut echo = Echo::default();
            let mut out = Vec::new();
            echo.feed(a, &mut out);
            echo.feed(b, &mut out);
            assert_eq!(
                out,
                [0x81, 0x05, b'H', b'e', b'l', b'l', b'o'],
                "split {split}"
            );
        }
    }
}
