//! A raw HTTP/2 client for the RFC 8441 tests: the `h2` crate opens extended CONNECT
//! streams, and the WebSocket frames on them are written and parsed here by hand
//! ([`Ws`]), or handed as a byte stream ([`StreamIo`]) to another WebSocket
//! implementation (`peer.rs`). A [`Tap`] records the server's HTTP/2 frames in order.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use h2::client::SendRequest;
use h2::{RecvStream, SendStream};
use http::{Request, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// The receive windows a client offers: per stream, and for the connection.
#[derive(Clone, Copy, Debug)]
pub struct Windows {
    pub stream: u32,
    pub connection: u32,
}

impl Windows {
    /// HTTP/2's initial 64 KiB per stream, and a larger connection window, as browsers
    /// have: one stream that is not read does not stop the others.
    pub const SMALL: Self = Self {
        stream: 65_535,
        connection: 4 << 20,
    };
    /// Chromium's: 6 MiB per stream, 15 MiB for the connection. A client that reads keeps
    /// up with a server that writes, as over a TCP connection of its own.
    pub const BROWSER: Self = Self {
        stream: 6 << 20,
        connection: 15 << 20,
    };
}

/// One HTTP/2 connection to the server under test.
pub struct H2 {
    pub send: SendRequest<Bytes>,
    pub authority: String,
    pub scheme: &'static str,
    /// The connection's task: what `h2` returned when it ended.
    pub task: JoinHandle<Result<(), h2::Error>>,
}

impl H2 {
    /// Cleartext HTTP/2 with prior knowledge.
    pub async fn h2c(addr: SocketAddr) -> Self {
        Self::connect(addr, None, None, Windows::SMALL).await
    }

    /// HTTP/2 over TLS (ALPN `h2`), trusting `root_pem`.
    pub async fn tls(addr: SocketAddr, root_pem: &str) -> Self {
        Self::connect(addr, Some(root_pem), None, Windows::SMALL).await
    }

    /// HTTP/2 to `addr`, over TLS trusting `tls_root` if given, else h2c, offering
    /// `windows`; with `tap`, every byte the server sends (inside TLS) is recorded there,
    /// for the order of its frames.
    pub async fn connect(
        addr: SocketAddr,
        tls_root: Option<&str>,
        tap: Option<Tap>,
        windows: Windows,
    ) -> Self {
        let tcp = TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let authority = addr.to_string();
        let Some(root_pem) = tls_root else {
            return Self::handshake(Tapped { io: tcp, tap }, authority, "http", windows).await;
        };
        let config = squall::tls::client_config_with_roots(root_pem.as_bytes()).unwrap();
        let mut config = Arc::unwrap_or_clone(config);
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        // The test certificate names 127.0.0.1 too: the same authority as h2c.
        let name = rustls_pki_types::ServerName::from(addr.ip());
        let tls = connector.connect(name, tcp).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        Self::handshake(Tapped { io: tls, tap }, authority, "https", windows).await
    }

    async fn handshake<T>(io: T, authority: String, scheme: &'static str, windows: Windows) -> Self
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(windows.stream)
            .initial_connection_window_size(windows.connection)
            .handshake(io)
            .await
            .unwrap();
        let task = tokio::spawn(connection);
        let mut this = Self {
            send,
            authority,
            scheme,
            task,
        };
        // The server's SETTINGS say whether extended CONNECT is on; wait for them.
        for _ in 0..200 {
            this.send = this.send.ready().await.unwrap();
            if this.send.is_extended_connect_protocol_enabled() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        this
    }

    /// Sends `request` (headers only) and waits for the response's head.
    pub async fn request(
        &self,
        request: Request<()>,
    ) -> Result<(http::response::Parts, RecvStream, SendStream<Bytes>), h2::Error> {
        let mut send = self.send.clone().ready().await?;
        let (response, stream) = send.send_request(request, false)?;
        let (parts, body) = response.await?.into_parts();
        Ok((parts, body, stream))
    }

    /// An extended CONNECT for `path` with the given extra headers.
    pub fn connect_request(&self, path: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::connect(format!("{}://{}{path}", self.scheme, self.authority))
            .extension(h2::ext::Protocol::from("websocket"))
            .header("sec-websocket-version", "13");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    /// A GET of `path`: the status and the whole body.
    pub async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let request = Request::get(format!("{}://{}{path}", self.scheme, self.authority))
            .body(())
            .unwrap();
        let (parts, mut body, _send) = self.request(request).await.unwrap();
        let mut bytes = Vec::new();
        while let Some(data) = body.data().await {
            let data = data.unwrap();
            let _ = body.flow_control().release_capacity(data.len());
            bytes.extend_from_slice(&data);
        }
        (parts.status, bytes)
    }

    /// Opens a WebSocket on `path`; panics unless the answer is 200.
    pub async fn open(&self, path: &str) -> Ws {
        self.open_with(path, &[]).await.unwrap()
    }

    /// Opens a WebSocket on `path`; the status when it is not 200.
    pub async fn open_with(&self, path: &str, headers: &[(&str, &str)]) -> Result<Ws, StatusCode> {
        let request = self.connect_request(path, headers);
        let (parts, recv, send) = self.request(request).await.unwrap();
        if parts.status != StatusCode::OK {
            return Err(parts.status);
        }
        Ok(Ws {
            send,
            recv,
            buf: BytesMut::new(),
            headers: parts.headers,
        })
    }
}

/// One WebSocket on an HTTP/2 stream.
pub struct Ws {
    pub send: SendStream<Bytes>,
    pub recv: RecvStream,
    buf: BytesMut,
    pub headers: http::HeaderMap,
}

/// A received frame.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub rsv1: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// A client frame: FIN, `opcode`, masked `payload`.
pub fn masked(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

impl Ws {
    /// Sends one masked frame.
    pub fn send_frame(&mut self, opcode: u8, payload: &[u8]) {
        self.send
            .send_data(Bytes::from(masked(opcode, payload)), false)
            .unwrap();
    }

    pub fn send_text(&mut self, text: &str) {
        self.send_frame(0x1, text.as_bytes());
    }

    pub fn send_close(&mut self, code: u16) {
        self.send_frame(0x8, &code.to_be_bytes());
    }

    /// More DATA into the buffer; `false` at END_STREAM. Gives the window back unless
    /// `hold` (a client that does not read).
    async fn fill(&mut self) -> Result<bool, h2::Error> {
        match self.recv.data().await {
            None => Ok(false),
            Some(data) => {
                let data = data?;
                let _ = self.recv.flow_control().release_capacity(data.len());
                self.buf.extend_from_slice(&data);
                Ok(true)
            }
        }
    }

    /// The next frame, or `None` at END_STREAM; fails on a reset.
    pub async fn frame(&mut self) -> Result<Option<Frame>, h2::Error> {
        loop {
            if let Some(frame) = parse(&mut self.buf) {
                return Ok(Some(frame));
            }
            if !self.fill().await? {
                assert!(self.buf.is_empty(), "END_STREAM inside a frame");
                return Ok(None);
            }
        }
    }

    /// The next frame within 10 s; panics at END_STREAM or a reset.
    pub async fn next(&mut self) -> Frame {
        tokio::time::timeout(Duration::from_secs(10), self.frame())
            .await
            .expect("a frame within 10 s")
            .unwrap()
            .expect("a frame, not END_STREAM")
    }

    /// Sends close `code`, expects the server's close with `code` back, and then the
    /// server's END_STREAM; ends the stream from this side too.
    pub async fn close(&mut self, code: u16) {
        self.send_close(code);
        let frame = self.next().await;
        assert_eq!(frame.opcode, 0x8);
        assert_eq!(frame.payload[..2], code.to_be_bytes());
        self.expect_end().await;
    }

    /// Expects END_STREAM (nothing more) within 10 s, and ends the stream from this side.
    pub async fn expect_end(&mut self) {
        let end = tokio::time::timeout(Duration::from_secs(10), self.frame())
            .await
            .expect("END_STREAM within 10 s")
            .unwrap();
        assert_eq!(end, None);
        let _ = self.send.send_data(Bytes::new(), true);
    }
}

fn parse(buf: &mut BytesMut) -> Option<Frame> {
    if buf.len() < 2 {
        return None;
    }
    assert_eq!(buf[1] & 0x80, 0, "server frames are not masked");
    let (len, header) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => (
            u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
            10,
        ),
        126 | 127 => return None,
        n => (n as usize, 2),
    };
    if buf.len() < header + len {
        return None;
    }
    let fin = buf[0] & 0x80 != 0;
    let rsv1 = buf[0] & 0x40 != 0;
    let opcode = buf[0] & 0x0f;
    buf.advance(header);
    let payload = buf.split_to(len).to_vec();
    Some(Frame {
        fin,
        rsv1,
        opcode,
        payload,
    })
}

/// Where a [`Tapped`] connection records the bytes the server sent.
#[derive(Clone, Default)]
pub struct Tap(Arc<Mutex<Vec<u8>>>);

/// One HTTP/2 frame as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H2Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl H2Frame {
    pub const DATA: u8 = 0;
    pub const GOAWAY: u8 = 7;
}

impl Tap {
    /// The server's frames so far, in the order it sent them (a frame still arriving is
    /// left out).
    pub fn frames(&self) -> Vec<H2Frame> {
        let bytes = self.0.lock().unwrap().clone();
        let mut frames = Vec::new();
        let mut rest = &bytes[..];
        while rest.len() >= 9 {
            let len = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]) as usize;
            if rest.len() < 9 + len {
                break;
            }
            frames.push(H2Frame {
                kind: rest[3],
                flags: rest[4],
                stream: u32::from_be_bytes(rest[5..9].try_into().unwrap()) & 0x7fff_ffff,
                payload: rest[9..9 + len].to_vec(),
            });
            rest = &rest[9 + len..];
        }
        frames
    }
}

/// A connection whose received bytes go to its tap, if any.
struct Tapped<T> {
    io: T,
    tap: Option<Tap>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tapped<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.io).poll_read(cx, buf))?;
        if let Some(tap) = &self.tap {
            tap.0
                .lock()
                .unwrap()
                .extend_from_slice(&buf.filled()[before..]);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tapped<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// One HTTP/2 stream as a byte stream, for a WebSocket implementation that is not this
/// file's (tokio-tungstenite's, `common::peer`): DATA in, DATA out, END_STREAM on
/// shutdown; dropped before that, the stream is reset (CANCEL). Received bytes go back to
/// the server's window as they are read, so a reader that stops stops the server.
pub struct StreamIo {
    send: SendStream<Bytes>,
    recv: RecvStream,
    unread: Bytes,
    ended: bool,
}

impl StreamIo {
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        Self {
            send,
            recv,
            unread: Bytes::new(),
            ended: false,
        }
    }
}

fn io_error(error: h2::Error) -> io::Error {
    io::Error::other(error)
}

impl AsyncRead for StreamIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.unread.is_empty() {
            match ready!(this.recv.poll_data(cx)) {
                None => return Poll::Ready(Ok(())),
                Some(Ok(data)) => this.unread = data,
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
            }
        }
        let n = this.unread.len().min(buf.remaining());
        buf.put_slice(&this.unread[..n]);
        this.unread.advance(n);
        let _ = this.recv.flow_control().release_capacity(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for StreamIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = self.get_mut();
        this.send.reserve_capacity(buf.len());
        loop {
            let capacity = this.send.capacity();
            if capacity > 0 {
                let n = capacity.min(buf.len());
                this.send
                    .send_data(Bytes::copy_from_slice(&buf[..n]), false)
                    .map_err(io_error)?;
                return Poll::Ready(Ok(n));
            }
            match ready!(this.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
                None => return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ended {
            this.ended = true;
            this.send.reserve_capacity(0);
            let _ = this.send.send_data(Bytes::new(), true);
        }
        Poll::Ready(Ok(()))
    }
}
