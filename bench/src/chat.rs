//! The chat and deflate cells' load: connections that send chat-like JSON or large text and
//! wait for each echo (strict request/response), with the bytes on the wire counted beside
//! the payload bytes.
//!
//! The generator's own client ([`crate::client`]) sends frames it encoded once, which a
//! compressing peer cannot do (with context takeover every message compresses differently),
//! so the deflate cells use a real compressing client, yawc's: it offers bare
//! `permessage-deflate` (15-bit windows, context takeover both ways, zlib level 6 unless
//! told otherwise), as many clients do. Cells without deflate use the generator's own
//! client, each message's frame encoded once, so that they measure the server rather than
//! the client. Like [`crate::echo::EchoLoad`], a load is opened once and measured in slices.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::SinkExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use yawc::{CompressionLevel, Frame, OpCode, Options, WebSocket};

use crate::cli::MAX_MESSAGE_SIZE;
use crate::echo::SETTLE;
use crate::load::{open_many, CpuUse};
use crate::procfs::CpuSnapshot;

/// Handshakes in flight while opening the connections.
const CONNECT_CONCURRENCY: usize = 64;
/// How long a switched-off load may take to get its last echoes back.
const QUIET_TIMEOUT: Duration = Duration::from_secs(10);
/// Distinct chat messages each load cycles through.
const CHAT_MESSAGES: usize = 256;
/// Distinct large texts each load cycles through.
const LARGE_TEXTS: usize = 16;
/// Read buffer of each connection of the generator's own client.
const READ_BUF: usize = 128 * 1024;
/// A cell whose generator used this share of its core or more measured the generator.
pub const GENERATOR_LIMIT: f64 = 0.9;

/// What the connections send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payloads {
    /// Chat-like JSON text messages of 150-300 bytes, each different.
    Chat,
    /// JSON text of exactly this many bytes (an array of chat messages), 16 different ones.
    Text(usize),
}

/// A chat or deflate cell.
#[derive(Clone, Copy, Debug)]
pub struct ChatCell {
    /// Connections, each with one message in flight.
    pub conns: usize,
    /// What they send.
    pub payloads: Payloads,
    /// Whether the client offers permessage-deflate.
    pub deflate: bool,
    /// The client's zlib level with deflate ([`DEFAULT_CLIENT_LEVEL`] as browsers use);
    /// a lower one makes the generator cheaper, to tell whether it set a cell's pace.
    pub client_level: u32,
}

/// zlib's default level, which browsers' permessage-deflate uses.
pub const DEFAULT_CLIENT_LEVEL: u32 = 6;

/// Bytes counted by the generator: payload bytes of the messages, and the bytes its
/// connections wrote and read (frame headers, masks and compressed payloads).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WireBytes {
    /// Payload bytes of the messages sent.
    pub payload_sent: u64,
    /// Payload bytes of the echoes received (after inflating).
    pub payload_read: u64,
    /// Bytes written to the sockets.
    pub wire_written: u64,
    /// Bytes read from the sockets.
    pub wire_read: u64,
}

impl WireBytes {
    /// Bytes on the wire per payload byte from the server to the client: what the
    /// server's compression achieved (headers included); `None` before any echo.
    pub fn server_ratio(&self) -> Option<f64> {
        ratio(self.wire_read, self.payload_read)
    }

    /// Bytes on the wire per payload byte from the client to the server.
    pub fn client_ratio(&self) -> Option<f64> {
        ratio(self.wire_written, self.payload_sent)
    }

    /// Bytes on the wire per payload byte, both directions together.
    pub fn total_ratio(&self) -> Option<f64> {
        ratio(
            self.wire_written + self.wire_read,
            self.payload_sent + self.payload_read,
        )
    }

    /// The bytes counted between `earlier` and `self`.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            payload_sent: self.payload_sent - earlier.payload_sent,
            payload_read: self.payload_read - earlier.payload_read,
            wire_written: self.wire_written - earlier.wire_written,
            wire_read: self.wire_read - earlier.wire_read,
        }
    }

    fn add(&mut self, other: &Self) {
        self.payload_sent += other.payload_sent;
        self.payload_read += other.payload_read;
        self.wire_written += other.wire_written;
        self.wire_read += other.wire_read;
    }
}

fn ratio(wire: u64, payload: u64) -> Option<f64> {
    (payload > 0).then(|| wire as f64 / payload as f64)
}

/// Whether the generator's CPU use says it, not the server, may have set the pace: it used
/// [`GENERATOR_LIMIT`] of its core or more, or, with several connections (where the busier
/// side is the bottleneck), as much CPU as the server. A shared machine can hold both below
/// a full core, hence the second test. With one connection the two take turns, and neither
/// saturates.
pub fn generator_limited(cpu: CpuUse, conns: usize) -> bool {
    cpu.generator >= GENERATOR_LIMIT || (conns > 1 && cpu.generator >= cpu.server)
}

/// What the slices of a chat load measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChatResult {
    /// Echoed messages per second.
    pub msgs_per_sec: f64,
    /// CPU use during the counted time.
    pub cpu: CpuUse,
    /// Bytes counted during the counted time.
    pub wire: WireBytes,
}

/// What every connection of a load shares with it.
#[derive(Default)]
struct Counters {
    echoed: AtomicU64,
    payload_sent: AtomicU64,
    payload_read: AtomicU64,
    wire_written: AtomicU64,
    wire_read: AtomicU64,
    /// Connections with a message in flight.
    busy: AtomicUsize,
}

impl Counters {
    fn wire(&self) -> WireBytes {
        WireBytes {
            payload_sent: self.payload_sent.load(Ordering::Relaxed),
            payload_read: self.payload_read.load(Ordering::Relaxed),
            wire_written: self.wire_written.load(Ordering::Relaxed),
            wire_read: self.wire_read.load(Ordering::Relaxed),
        }
    }
}

/// A stream that counts the bytes read and written through it.
pub struct CountingStream<S> {
    inner: S,
    counters: Arc<Counters>,
}

impl<S: AsyncRead + Unpin> AsyncRead for CountingStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        this.counters
            .wire_read
            .fetch_add(n as u64, Ordering::Relaxed);
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CountingStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            this.counters
                .wire_written
                .fetch_add(n as u64, Ordering::Relaxed);
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = poll {
            this.counters
                .wire_written
                .fetch_add(n as u64, Ordering::Relaxed);
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A small deterministic generator (xorshift64*), so every run sends the same messages.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const USERS: [&str; 12] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar",
];
const ROOMS: [&str; 6] = [
    "general",
    "random",
    "support",
    "dev",
    "ops",
    "announcements",
];
const WORDS: [&str; 40] = [
    "the", "deploy", "is", "done", "can", "you", "check", "logs", "for", "node", "seven", "thanks",
    "looks", "good", "to", "me", "meeting", "moved", "at", "three", "pm", "latency", "spiked",
    "again", "after", "restart", "who", "owns", "this", "alert", "fixed", "in", "next", "release",
    "lunch", "anyone", "coffee", "build", "green", "ok",
];

/// One chat message of `target` to `target + 11` bytes of JSON, from `rng`.
fn chat_message(rng: &mut Rng, target: usize) -> String {
    let user = rng.pick(&USERS);
    let head = format!(
        r#"{{"type":"message","room":"{}","user":{{"id":{},"name":"{}"}},"id":"{:016x}","ts":{},"text":""#,
        rng.pick(&ROOMS),
        1000 + rng.below(9000),
        user,
        rng.next(),
        1_765_000_000_000 + rng.below(100_000_000),
    );
    let tail = r#""}"#;
    let mut text = String::new();
    while head.len() + text.len() + tail.len() < target {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(rng.pick(&WORDS));
    }
    format!("{head}{text}{tail}")
}

/// `count` chat-like JSON messages of 150-300 bytes, each different, the same every run.
pub fn chat_messages(count: usize, seed: u64) -> Vec<Bytes> {
    let mut rng = Rng(seed | 1);
    (0..count)
        .map(|_| {
            // The longest word plus a space overshoots the target by at most 11 bytes.
            let target = 150 + rng.below(289 - 150) as usize;
            Bytes::from(chat_message(&mut rng, target))
        })
        .collect()
}

/// `count` JSON texts of exactly `size` bytes (at least 2): arrays of chat messages,
/// padded with spaces before the closing bracket.
pub fn large_texts(count: usize, size: usize, seed: u64) -> Vec<Bytes> {
    let mut rng = Rng(seed | 1);
    (0..count)
        .map(|_| {
            let mut text = String::from("[");
            loop {
                let target = 150 + rng.below(139) as usize;
                let message = chat_message(&mut rng, target);
                let separator = usize::from(text.len() > 1);
                if text.len() + separator + message.len() + 1 > size {
                    break;
                }
                if separator == 1 {
                    text.push(',');
                }
                text.push_str(&message);
            }
            while text.len() + 1 < size {
                text.push(' ');
            }
            text.push(']');
            Bytes::from(text)
        })
        .collect()
}

/// Chat or large-text traffic to one server, switched on for a slice at a time.
pub struct ChatLoad {
    counters: Arc<Counters>,
    switch: watch::Sender<bool>,
    tasks: JoinSet<Result<(), String>>,
    server_pid: Option<u32>,
    /// Counted so far: messages, seconds, CPU seconds (generator, server).
    counted: (u64, f64, f64, f64),
    wire: WireBytes,
    rates: Vec<f64>,
}

impl ChatLoad {
    /// Opens the cell's connections to `addr`, switched off; with `cell.deflate`, fails
    /// unless the server accepts permessage-deflate. `server_pid` adds the server's CPU use
    /// to the results.
    ///
    /// # Errors
    /// When a connection or its handshake fails.
    pub async fn open(
        addr: SocketAddr,
        cell: ChatCell,
        server_pid: Option<u32>,
    ) -> io::Result<Self> {
        let messages: Arc<[Bytes]> = match cell.payloads {
            Payloads::Chat => chat_messages(CHAT_MESSAGES, 0x5eed),
            Payloads::Text(size) => large_texts(LARGE_TEXTS, size, 0x5eed),
        }
        .into();
        if cell.deflate && !accepts_deflate(addr).await? {
            return Err(io::Error::other("the server declined permessage-deflate"));
        }
        let counters = Arc::new(Counters::default());
        let (switch, on) = watch::channel(false);
        let links: Vec<Link> = if cell.deflate {
            connect_many(addr, cell, &counters)
                .await?
                .into_iter()
                .map(|ws| Link::Yawc(Box::new(ws)))
                .collect()
        } else {
            let frames: Arc<[Vec<u8>]> = messages
                .iter()
                .map(|m| crate::client::masked_frame(crate::client::OP_TEXT, m))
                .collect();
            open_many(addr, cell.conns)
                .await?
                .into_iter()
                .map(|stream| Link::Raw {
                    stream: BufReader::with_capacity(READ_BUF, stream),
                    frames: Arc::clone(&frames),
                    payload: Vec::new(),
                })
                .collect()
        };
        let mut tasks = JoinSet::new();
        for (index, link) in links.into_iter().enumerate() {
            let connection = Connection {
                link,
                messages: Arc::clone(&messages),
                // Connections start at different messages, as different users would.
                next: index * 37,
                counters: Arc::clone(&counters),
            };
            tasks.spawn(connection.run(on.clone()));
        }
        Ok(Self {
            counters,
            switch,
            tasks,
            server_pid,
            counted: Default::default(),
            wire: WireBytes::default(),
            rates: Vec::new(),
        })
    }

    /// Runs the load for `duration` without counting it.
    ///
    /// # Errors
    /// When a connection fails.
    pub async fn warm_up(&mut self, duration: Duration) -> io::Result<()> {
        self.switch.send_replace(true);
        tokio::time::sleep(duration).await;
        self.quiesce().await
    }

    /// Switches the load on, counts `duration` of it (after a short settling time), and
    /// switches it off again once every message in flight came back.
    ///
    /// # Errors
    /// When a connection fails, or the echoes do not come back.
    pub async fn slice(&mut self, duration: Duration) -> io::Result<()> {
        self.switch.send_replace(true);
        tokio::time::sleep(SETTLE).await;
        let (n0, w0, t0, c0) = self.sample();
        tokio::time::sleep(duration).await;
        let (n1, w1, t1, c1) = self.sample();
        self.quiesce().await?;
        let secs = (t1 - t0).as_secs_f64();
        self.rates.push((n1 - n0) as f64 / secs);
        let (messages, total, generator, server) = &mut self.counted;
        *messages += n1 - n0;
        *total += secs;
        *generator += c1.generator - c0.generator;
        *server += c1.server - c0.server;
        self.wire.add(&w1.since(&w0));
        Ok(())
    }

    /// Each slice's messages per second so far, in order.
    pub fn slice_rates(&self) -> &[f64] {
        &self.rates
    }

    /// What the slices so far measured.
    pub fn result(&self) -> ChatResult {
        let (messages, secs, generator, server) = self.counted;
        let secs = secs.max(f64::MIN_POSITIVE);
        ChatResult {
            msgs_per_sec: messages as f64 / secs,
            cpu: CpuUse {
                generator: generator / secs,
                server: server / secs,
            },
            wire: self.wire,
        }
    }

    fn sample(&self) -> (u64, WireBytes, Instant, CpuSnapshot) {
        (
            self.counters.echoed.load(Ordering::Relaxed),
            self.counters.wire(),
            Instant::now(),
            CpuSnapshot::take(self.server_pid),
        )
    }

    /// Switches the load off and waits until no message is in flight.
    async fn quiesce(&mut self) -> io::Result<()> {
        self.switch.send_replace(false);
        let deadline = Instant::now() + QUIET_TIMEOUT;
        loop {
            if let Some(done) = self.tasks.try_join_next() {
                let error = match done {
                    Ok(Err(e)) => e,
                    Ok(Ok(())) => "connection ended".to_owned(),
                    Err(e) => e.to_string(),
                };
                return Err(io::Error::other(error));
            }
            if self.counters.busy.load(Ordering::SeqCst) == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::other("echoes did not come back in time"));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl Drop for ChatLoad {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

type Socket = WebSocket<CountingStream<TcpStream>>;

/// The client's options: yawc's balanced preset offers bare `permessage-deflate`.
fn client_options(cell: ChatCell) -> Options {
    Options::default()
        .with_max_payload_read(MAX_MESSAGE_SIZE)
        .with_max_read_buffer(2 * MAX_MESSAGE_SIZE)
        .with_balanced_compression()
        .with_compression_level(CompressionLevel::new(cell.client_level.min(9)))
}

/// Whether the server at `addr` accepts a bare `permessage-deflate` offer (one handshake on
/// a connection of its own; yawc's client does not say what it negotiated).
pub async fn accepts_deflate(addr: SocketAddr) -> io::Result<bool> {
    let request = crate::client::upgrade_request_with(
        addr,
        "/",
        &["Sec-WebSocket-Extensions: permessage-deflate".to_owned()],
    );
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&request).await?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::other("server closed during the handshake"));
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Ok(response_accepts_deflate(&head))
}

/// Whether a handshake response head agrees to permessage-deflate.
fn response_accepts_deflate(head: &[u8]) -> bool {
    String::from_utf8_lossy(head)
        .to_ascii_lowercase()
        .lines()
        .filter_map(|line| line.strip_prefix("sec-websocket-extensions:"))
        .any(|value| value.contains("permessage-deflate"))
}

/// Opens `cell.conns` connections of yawc's client, `CONNECT_CONCURRENCY` handshakes at a
/// time.
async fn connect_many(
    addr: SocketAddr,
    cell: ChatCell,
    counters: &Arc<Counters>,
) -> io::Result<Vec<Socket>> {
    let url: url::Url = format!("ws://{addr}/").parse().map_err(io::Error::other)?;
    let mut sockets = Vec::with_capacity(cell.conns);
    let mut pending = JoinSet::new();
    let mut started = 0;
    while sockets.len() < cell.conns {
        while started < cell.conns && pending.len() < CONNECT_CONCURRENCY {
            let (url, counters) = (url.clone(), Arc::clone(counters));
            pending.spawn(async move {
                let stream = TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                let stream = CountingStream {
                    inner: stream,
                    counters,
                };
                let ws = WebSocket::handshake(url, stream, client_options(cell))
                    .await
                    .map_err(|e| io::Error::other(format!("handshake: {e}")))?;
                Ok::<_, io::Error>(ws)
            });
            started += 1;
        }
        if let Some(joined) = pending.join_next().await {
            sockets.push(joined.map_err(io::Error::other)??);
        }
    }
    Ok(sockets)
}

/// One generator connection.
struct Connection {
    link: Link,
    messages: Arc<[Bytes]>,
    next: usize,
    counters: Arc<Counters>,
}

/// How a connection speaks WebSocket.
enum Link {
    /// yawc's client, which compresses.
    Yawc(Box<Socket>),
    /// The generator's own least-work client (as the echo cells'), for cells without
    /// deflate: each message's masked frame encoded once, each echo parsed only far enough
    /// to compare it with the message.
    Raw {
        stream: BufReader<TcpStream>,
        frames: Arc<[Vec<u8>]>,
        payload: Vec<u8>,
    },
}

impl Connection {
    /// Waits to be switched on, sends a message and waits for its echo while on, and
    /// again; until the load is dropped.
    async fn run(mut self, mut on: watch::Receiver<bool>) -> Result<(), String> {
        loop {
            if on.wait_for(|on| *on).await.is_err() {
                return Ok(());
            }
            self.counters.busy.fetch_add(1, Ordering::SeqCst);
            while *on.borrow() {
                self.round_trip().await?;
            }
            self.counters.busy.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Sends the next message and checks that the echo carries the same text.
    async fn round_trip(&mut self) -> Result<(), String> {
        let index = self.next % self.messages.len();
        self.next += 1;
        let message = &self.messages[index];
        let len = message.len() as u64;
        let counters = &self.counters;
        match &mut self.link {
            Link::Yawc(ws) => {
                ws.send(Frame::text(message.clone()))
                    .await
                    .map_err(|e| format!("send: {e}"))?;
                // Payload bytes are counted when their wire bytes are, so that a slice
                // boundary with many large messages in flight does not skew the ratio.
                counters.payload_sent.fetch_add(len, Ordering::Relaxed);
                loop {
                    let frame = ws.next_frame().await.map_err(|e| format!("read: {e}"))?;
                    match frame.opcode() {
                        OpCode::Text if frame.payload() == message => break,
                        OpCode::Text => return Err("the echo differs from the message".into()),
                        OpCode::Ping | OpCode::Pong => {}
                        other => return Err(format!("unexpected {other:?} frame")),
                    }
                }
            }
            Link::Raw {
                stream,
                frames,
                payload,
            } => {
                let frame = &frames[index];
                stream
                    .get_mut()
                    .write_all(frame)
                    .await
                    .map_err(|e| format!("write: {e}"))?;
                counters
                    .wire_written
                    .fetch_add(frame.len() as u64, Ordering::Relaxed);
                counters.payload_sent.fetch_add(len, Ordering::Relaxed);
                let header = read_text_frame(stream, payload)
                    .await
                    .map_err(|e| format!("read: {e}"))?;
                if payload[..] != message[..] {
                    return Err("the echo differs from the message".into());
                }
                counters
                    .wire_read
                    .fetch_add((header + payload.len()) as u64, Ordering::Relaxed);
            }
        }
        counters.echoed.fetch_add(1, Ordering::Relaxed);
        counters.payload_read.fetch_add(len, Ordering::Relaxed);
        Ok(())
    }
}

/// Reads one unmasked, final text frame into `payload`; returns its header's length.
async fn read_text_frame<R: AsyncRead + Unpin>(
    stream: &mut R,
    payload: &mut Vec<u8>,
) -> io::Result<usize> {
    let mut head = [0u8; 10];
    stream.read_exact(&mut head[..2]).await?;
    if head[0] != 0x80 | crate::client::OP_TEXT || head[1] & 0x80 != 0 {
        return Err(io::Error::other(format!(
            "unexpected frame header {:#04x} {:#04x}",
            head[0], head[1]
        )));
    }
    let (header, len) = match head[1] & 0x7F {
        126 => {
            stream.read_exact(&mut head[2..4]).await?;
            (4, u64::from(u16::from_be_bytes([head[2], head[3]])))
        }
        127 => {
            stream.read_exact(&mut head[2..10]).await?;
            let mut b = [0u8; 8];
            b.copy_from_slice(&head[2..10]);
            (10, u64::from_be_bytes(b))
        }
        short => (2, u64::from(short)),
    };
    let len = usize::try_from(len)
        .ok()
        .filter(|&len| len <= MAX_MESSAGE_SIZE)
        .ok_or_else(|| io::Error::other("frame too long"))?;
    payload.resize(len, 0);
    stream.read_exact(payload).await?;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflate_acceptance_is_read_from_the_extensions_header() {
        let yes = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                    Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n\r\n";
        let no = b"HTTP/1.1 101 Switching Protocols\r\nX-Note: permessage-deflate\r\n\r\n";
        assert!(response_accepts_deflate(yes));
        assert!(!response_accepts_deflate(no));
    }

    #[test]
    fn chat_messages_are_varied_json_of_150_to_300_bytes() {
        let messages = chat_messages(CHAT_MESSAGES, 0x5eed);
        assert_eq!(messages.len(), CHAT_MESSAGES);
        for m in &messages {
            assert!((150..=300).contains(&m.len()), "{} bytes", m.len());
            let text = std::str::from_utf8(m).unwrap();
            assert!(text.starts_with(r#"{"type":"message""#) && text.ends_with(r#""}"#));
        }
        let mut distinct = messages.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), messages.len());
        let shortest = messages.iter().map(Bytes::len).min().unwrap();
        let longest = messages.iter().map(Bytes::len).max().unwrap();
        assert!(longest - shortest > 100, "{shortest}..{longest}");
        // The same every run.
        assert_eq!(chat_messages(4, 0x5eed), messages[..4]);
    }

    #[test]
    fn large_texts_are_exactly_the_size_asked() {
        for size in [2usize, 100, 1000, 64 << 10] {
            let texts = large_texts(3, size, 7);
            for t in &texts {
                assert_eq!(t.len(), size);
                assert_eq!((t[0], t[size - 1]), (b'[', b']'));
            }
        }
        let texts = large_texts(2, 64 << 10, 7);
        assert_ne!(texts[0], texts[1]);
        assert!(texts[0].iter().filter(|&&b| b == b'{').count() > 200);
    }

    #[test]
    fn ratios_divide_wire_by_payload_per_direction() {
        let wire = WireBytes {
            payload_sent: 1000,
            payload_read: 1000,
            wire_written: 600,
            wire_read: 400,
        };
        assert_eq!(wire.client_ratio(), Some(0.6));
        assert_eq!(wire.server_ratio(), Some(0.4));
        assert_eq!(wire.total_ratio(), Some(0.5));
        assert_eq!(WireBytes::default().server_ratio(), None);
        let later = WireBytes {
            payload_sent: 1500,
            payload_read: 1400,
            wire_written: 900,
            wire_read: 470,
        };
        let slice = later.since(&wire);
        assert_eq!(
            slice,
            WireBytes {
                payload_sent: 500,
                payload_read: 400,
                wire_written: 300,
                wire_read: 70,
            }
        );
        let mut sum = wire;
        sum.add(&slice);
        assert_eq!(sum, later);
    }

    #[test]
    fn a_generator_at_its_core_limit_makes_a_cell_inconclusive() {
        let cpu = |generator, server| CpuUse { generator, server };
        assert!(generator_limited(cpu(0.97, 1.0), 100));
        assert!(generator_limited(cpu(GENERATOR_LIMIT, 0.3), 1));
        assert!(!generator_limited(cpu(0.6, 0.3), 1));
        // Several connections: the generator as busy as the server.
        assert!(generator_limited(cpu(0.3, 0.3), 100));
        assert!(!generator_limited(cpu(0.3, 0.4), 100));
        assert!(!generator_limited(cpu(0.85, 0.99), 100));
    }

    #[tokio::test]
    async fn reads_text_frames_of_every_header_length() {
        for len in [0usize, 125, 126, 300, 65_535, 65_536, 70_000] {
            let mut frame = vec![0x81];
            match len {
                0..=125 => frame.push(len as u8),
                126..=0xFFFF => {
                    frame.push(126);
                    frame.extend_from_slice(&(len as u16).to_be_bytes());
                }
                _ => {
                    frame.push(127);
                    frame.extend_from_slice(&(len as u64).to_be_bytes());
                }
            }
            let header = frame.len();
            frame.extend((0..len).map(|i| b'a' + (i % 26) as u8));
            frame.extend_from_slice(&[0x81, 0x01, b'z']);
            let mut stream = &frame[..];
            let mut payload = Vec::new();
            assert_eq!(
                read_text_frame(&mut stream, &mut payload).await.unwrap(),
                header
            );
            assert_eq!(payload.len(), len);
            assert_eq!(payload.first().copied(), (len > 0).then_some(b'a'));
            // The next frame starts where this one ended.
            assert_eq!(read_text_frame(&mut stream, &mut payload).await.unwrap(), 2);
            assert_eq!(payload, b"z");
        }
    }

    #[tokio::test]
    async fn rejects_binary_masked_and_unfinished_frames() {
        for head in [[0x82u8, 0x01], [0x81, 0x81], [0x01, 0x01], [0x88, 0x00]] {
            let frame = [head[0], head[1], b'x', 0, 0, 0, 0];
            let mut payload = Vec::new();
            assert!(read_text_frame(&mut &frame[..], &mut payload)
                .await
                .is_err());
        }
    }

    #[tokio::test]
    async fn counting_stream_counts_both_directions() {
        let (a, mut b) = tokio::io::duplex(1024);
        let counters = Arc::new(Counters::default());
        let mut counted = CountingStream {
            inner: a,
            counters: Arc::clone(&counters),
        };
        counted.write_all(b"hello world").await.unwrap();
        let mut got = [0u8; 11];
        b.read_exact(&mut got).await.unwrap();
        b.write_all(b"abc").await.unwrap();
        let mut back = [0u8; 3];
        counted.read_exact(&mut back).await.unwrap();
        assert_eq!(counters.wire_written.load(Ordering::Relaxed), 11);
        assert_eq!(counters.wire_read.load(Ordering::Relaxed), 3);
    }
}
