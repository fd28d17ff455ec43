//! Helpers shared by the integration tests: a recording handler, servers on 127.0.0.1,
//! and a raw TCP peer that speaks bytes.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod client;
pub mod example;
pub mod peer;
pub mod proxy;
pub mod raw_h2;

use std::time::Duration;

use bytes::Bytes;
use squall::{Application, Message, PathArgs, Server, Settings, WebSocket, WebSocketHandler};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What a [`Recorder`] saw, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Open(PathArgs),
    Subprotocols(Vec<String>),
    Message(Message),
    Ping(Bytes),
    Pong(Bytes),
    Close(Option<u16>, Option<String>),
}

/// A handler that echoes every message and reports every hook to the test.
pub struct Recorder {
    pub seen: mpsc::UnboundedSender<(Seen, WebSocket)>,
    pub subprotocol: Option<String>,
    pub tell: mpsc::UnboundedSender<Seen>,
}

impl WebSocketHandler for Recorder {
    fn select_subprotocol(&mut self, offered: &[String]) -> Option<String> {
        let _ = self.tell.send(Seen::Subprotocols(offered.to_vec()));
        self.subprotocol.clone().filter(|p| offered.contains(p))
    }

    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        let _ = self.seen.send((Seen::Open(args), ws.clone()));
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = self.seen.send((Seen::Message(message.clone()), ws.clone()));
        let _ = ws.write_message(message).await;
    }

    fn on_ping(&mut self, ws: &WebSocket, data: Bytes) {
        let _ = self.seen.send((Seen::Ping(data), ws.clone()));
    }

    fn on_pong(&mut self, ws: &WebSocket, data: Bytes) {
        let _ = self.seen.send((Seen::Pong(data), ws.clone()));
    }

    async fn on_close(&mut self, ws: &WebSocket) {
        let code = ws.close_code().map(u16::from);
        let _ = self
            .seen
            .send((Seen::Close(code, ws.close_reason()), ws.clone()));
    }
}

/// A running server whose `Recorder` handlers report to `seen`.
pub struct Recorded {
    pub server: Server,
    pub seen: mpsc::UnboundedReceiver<(Seen, WebSocket)>,
    pub told: mpsc::UnboundedReceiver<Seen>,
}

impl Recorded {
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{}", self.server.local_addr(), path)
    }

    /// The next thing a handler saw, within 5 s.
    pub async fn next(&mut self) -> (Seen, WebSocket) {
        tokio::time::timeout(Duration::from_secs(5), self.seen.recv())
            .await
            .expect("the handler reported nothing within 5 s")
            .expect("the server is gone")
    }
}

/// A server of `Recorder`s on `route`, over HTTP/1.1.
pub async fn recorder_server(
    route: &str,
    subprotocol: Option<&str>,
    settings: Settings,
) -> Recorded {
    recorder_server_on(peer::Transport::Http1, route, subprotocol, settings).await
}

/// A server of `Recorder`s on `route`, for clients over `transport`.
pub async fn recorder_server_on(
    transport: peer::Transport,
    route: &str,
    subprotocol: Option<&str>,
    settings: Settings,
) -> Recorded {
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let (tell_tx, told) = mpsc::unbounded_channel();
    let subprotocol = subprotocol.map(str::to_owned);
    let app = Application::new()
        .route(route, move || Recorder {
            seen: seen_tx.clone(),
            subprotocol: subprotocol.clone(),
            tell: tell_tx.clone(),
        })
        .settings(settings);
    let server = transport.listen(app).await;
    Recorded { server, seen, told }
}

/// Sends a raw HTTP request and returns the whole response head (and what followed).
pub async fn raw_request(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

pub fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// One masked (client) frame with the given first byte.
pub fn masked_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x11, 0x22, 0x33, 0x44];
    let mut frame = vec![first];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// A peer that completed the handshake and now exchanges raw frames: over HTTP/1.1 a TCP
/// connection upgraded by hand, or any other byte stream (`peer::Client::raw`).
pub struct RawPeer<S = TcpStream> {
    pub stream: S,
    /// Bytes received and not yet parsed.
    pub buf: Vec<u8>,
}

impl RawPeer {
    pub async fn connect(addr: std::net::SocketAddr, path: &str) -> Self {
        Self::connect_with(addr, path, "").await
    }

    /// As `connect`, with extra request header lines (each ending in `\r\n`).
    pub async fn connect_with(addr: std::net::SocketAddr, path: &str, extra: &str) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        Self::upgrade(stream, path, extra).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawPeer<S> {
    /// A peer on `stream`, whose handshake is done.
    pub fn over(stream: S) -> Self {
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    /// Upgrades `stream` to a WebSocket on `path` by hand, with extra request header lines
    /// (each ending in `\r\n`); panics unless the answer is 101.
    pub async fn upgrade(mut stream: S, path: &str, extra: &str) -> Self {
        stream
            .write_all(upgrade_request(path, extra).as_bytes())
            .await
            .unwrap();
        let mut buf = Vec::new();
        loop {
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "server closed during the handshake");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                assert!(head.starts_with("HTTP/1.1 101"), "{head}");
                buf.drain(..end + 4);
                return Self { stream, buf };
            }
        }
    }

    /// Sends one masked frame with the given first byte.
    pub async fn send_frame(&mut self, first: u8, payload: &[u8]) {
        self.stream
            .write_all(&masked_frame(first, payload))
            .await
            .unwrap();
    }

    /// Reads one unmasked server frame: (first byte, payload). `None` at EOF.
    pub async fn read_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if self.buf.len() >= 2 {
                let (len, start) = match self.buf[1] & 0x7F {
                    126 if self.buf.len() >= 4 => {
                        (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
                    }
                    127 if self.buf.len() >= 10 => (
                        u64::from_be_bytes(self.buf[2..10].try_into().unwrap()) as usize,
                        10,
                    ),
                    n if n < 126 => (n as usize, 2),
                    _ => (usize::MAX, 0),
                };
                if start > 0 && self.buf.len() >= start + len {
                    let first = self.buf[0];
                    let payload = self.buf[start..start + len].to_vec();
                    self.buf.drain(..start + len);
                    return Some((first, payload));
                }
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
                .await
                .expect("no frame within 5 s")
                .ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads frames until a close frame; returns its code.
    pub async fn read_close_code(&mut self) -> u16 {
        while let Some((first, payload)) = self.read_frame().await {
            if first & 0x0F == 0x8 {
                return u16::from_be_bytes([payload[0], payload[1]]);
            }
        }
        panic!("connection ended without a close frame");
    }
}
