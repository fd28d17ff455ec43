//! The echo cells' load: connections that keep messages in flight while switched on.
//!
//! A load is opened once and then measured in slices ([`EchoLoad::slice`]): the runner opens
//! one load per server of a cell and alternates short slices between them, so noise from
//! the rest of the machine, which drifts over seconds, hits every server alike. Between
//! slices a load is quiet: every message it sent has come back and nothing more is sent.
//!
//! A load's WebSockets are TCP connections opened by the HTTP/1.1 upgrade, or streams of
//! cleartext HTTP/2 connections opened by extended CONNECT ([`Transport`],
//! [`crate::http2`]); either way each is a byte stream that carries the same frames.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::client::{self, FrameCounter, OP_BINARY, OP_TEXT};
use crate::http2;
use crate::load::{open_many, CpuUse};
use crate::procfs::CpuSnapshot;

/// Read buffer of each generator connection.
const READ_BUF: usize = 256 * 1024;
/// How long a slice runs before counting starts: the first echoes of a slice come one
/// round trip late, which would count against a server that is only being switched on.
pub(crate) const SETTLE: Duration = Duration::from_millis(100);
/// How long a switched-off load may take to get its last echoes back.
const QUIET_TIMEOUT: Duration = Duration::from_secs(10);

/// How a load's WebSockets reach the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    /// One TCP connection per WebSocket, opened by the HTTP/1.1 upgrade.
    #[default]
    Http1,
    /// Streams of cleartext HTTP/2 connections (prior knowledge), each opened by an extended
    /// CONNECT (RFC 8441): `per_conn` WebSockets on each connection.
    Http2 {
        /// WebSockets per HTTP/2 connection.
        per_conn: usize,
    },
}

/// An echo cell: `conns` WebSockets each keep `depth` messages of `size` bytes in flight.
#[derive(Clone, Copy, Debug)]
pub struct EchoCell {
    /// WebSockets (over HTTP/1.1, each its own connection).
    pub conns: usize,
    /// How they reach the server.
    pub transport: Transport,
    /// Payload bytes per message.
    pub size: usize,
    /// Messages in flight per connection (1: strict request/response).
    pub depth: usize,
    /// Text messages (UTF-8, a quarter of the characters two bytes long) instead of binary.
    pub text: bool,
    /// Time before counting starts.
    pub warmup: Duration,
    /// Time counted.
    pub duration: Duration,
}

/// What one or more slices of an echo load measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct EchoResult {
    /// Echoed messages per second.
    pub msgs_per_sec: f64,
    /// Echoed payload bytes per second (from the bytes read, so a slice shorter than one
    /// large message still counts its share).
    pub bytes_per_sec: f64,
    /// CPU use during the counted time.
    pub cpu: CpuUse,
    /// Messages echoed over the whole run, warm-up included (for instruction counts).
    pub total: u64,
}

/// What one slice measured.
#[derive(Clone, Copy, Debug)]
pub struct SliceRate {
    /// Echoed messages per second.
    pub msgs_per_sec: f64,
    /// Echoed payload bytes per second.
    pub bytes_per_sec: f64,
}

/// What every connection task of a load shares with it.
struct Counters {
    /// Echoed messages.
    echoed: AtomicU64,
    /// Bytes read from the server, headers included.
    read: AtomicU64,
    /// Connections with messages in flight.
    busy: AtomicUsize,
}

/// Echo traffic to one server, switched on for a slice at a time.
pub struct EchoLoad {
    /// Payload bytes per byte on the wire, to turn bytes read into payload bytes.
    payload_share: f64,
    counters: Arc<Counters>,
    switch: watch::Sender<bool>,
    tasks: JoinSet<Result<(), String>>,
    server_pid: Option<u32>,
    /// Counted so far: messages, payload bytes, seconds, CPU seconds (generator, server).
    counted: (u64, f64, f64, f64, f64),
    /// Each slice's rates.
    rates: Vec<SliceRate>,
}

impl EchoLoad {
    /// Opens the cell's connections to `addr`, switched off. `server_pid` adds the
    /// server's CPU use to the results.
    ///
    /// # Errors
    /// When a connection, its handshake or an extended CONNECT fails.
    pub async fn open(
        addr: SocketAddr,
        cell: EchoCell,
        server_pid: Option<u32>,
    ) -> io::Result<Self> {
        let (opcode, payload) = if cell.text {
            (OP_TEXT, text_payload(cell.size))
        } else {
            (
                OP_BINARY,
                (0..cell.size).map(|i| (i * 31 % 251) as u8).collect(),
            )
        };
        let frame = client::masked_frame(opcode, &payload);
        // Small frames are written `depth` at a time from one buffer; large ones one at a time.
        let copies = if frame.len() <= 64 * 1024 {
            cell.depth
        } else {
            1
        };
        let batch: Arc<[u8]> = frame.repeat(copies).into();
        let counters = Arc::new(Counters {
            echoed: AtomicU64::new(0),
            read: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        });
        let (switch, on) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let template = Connection {
            stream: (),
            batch: Arc::clone(&batch),
            frame_len: frame.len() as u64,
            depth: cell.depth as u64,
            counter: FrameCounter::new(opcode, cell.size as u64),
            counters: Arc::clone(&counters),
        };
        match cell.transport {
            Transport::Http1 => {
                for stream in open_many(addr, cell.conns).await? {
                    tasks.spawn(template.on(stream).run(on.clone()));
                }
            }
            Transport::Http2 { per_conn } => {
                for stream in http2::open_many(addr, cell.conns, per_conn).await? {
                    tasks.spawn(template.on(stream).run(on.clone()));
                }
            }
        }
        Ok(Self {
            payload_share: cell.size as f64 / frame.len() as f64,
            counters,
            switch,
            tasks,
            server_pid,
            counted: Default::default(),
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
        let (n0, b0, t0, c0) = self.sample();
        tokio::time::sleep(duration).await;
        let (n1, b1, t1, c1) = self.sample();
        self.quiesce().await?;
        let (messages, bytes, secs, generator, server) = &mut self.counted;
        let slice_bytes = (b1 - b0) as f64 * self.payload_share;
        let slice_secs = (t1 - t0).as_secs_f64();
        self.rates.push(SliceRate {
            msgs_per_sec: (n1 - n0) as f64 / slice_secs,
            bytes_per_sec: slice_bytes / slice_secs,
        });
        *messages += n1 - n0;
        *bytes += slice_bytes;
        *secs += slice_secs;
        *generator += c1.generator - c0.generator;
        *server += c1.server - c0.server;
        Ok(())
    }

    /// What the slices so far measured.
    pub fn result(&self) -> EchoResult {
        let (messages, bytes, secs, generator, server) = self.counted;
        let secs = secs.max(f64::MIN_POSITIVE);
        EchoResult {
            msgs_per_sec: messages as f64 / secs,
            bytes_per_sec: bytes / secs,
            cpu: CpuUse {
                generator: generator / secs,
                server: server / secs,
            },
            total: self.counters.echoed.load(Ordering::Relaxed),
        }
    }

    /// Each slice's rates so far, in order.
    pub fn slice_rates(&self) -> &[SliceRate] {
        &self.rates
    }

    fn sample(&self) -> (u64, u64, Instant, CpuSnapshot) {
        (
            self.counters.echoed.load(Ordering::Relaxed),
            self.counters.read.load(Ordering::Relaxed),
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

impl Drop for EchoLoad {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Runs one echo cell against one server: warm-up, then `duration` counted in one slice.
///
/// # Errors
/// When connecting fails, or when a connection fails during the run.
pub async fn run_echo(
    addr: SocketAddr,
    cell: EchoCell,
    server_pid: Option<u32>,
) -> io::Result<EchoResult> {
    let mut load = EchoLoad::open(addr, cell, server_pid).await?;
    load.warm_up(cell.warmup).await?;
    load.slice(cell.duration).await?;
    Ok(load.result())
}

/// One generator WebSocket: a TCP connection, or an HTTP/2 stream.
struct Connection<S> {
    stream: S,
    batch: Arc<[u8]>,
    frame_len: u64,
    depth: u64,
    counter: FrameCounter,
    counters: Arc<Counters>,
}

impl Connection<()> {
    /// This connection's settings on `stream`.
    fn on<S>(&self, stream: S) -> Connection<S> {
        Connection {
            stream,
            batch: Arc::clone(&self.batch),
            frame_len: self.frame_len,
            depth: self.depth,
            counter: self.counter.clone(),
            counters: Arc::clone(&self.counters),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Waits to be switched on, keeps `depth` frames in flight until switched off, waits for
    /// the last echoes, and again; until the load is dropped.
    async fn run(mut self, mut on: watch::Receiver<bool>) -> Result<(), String> {
        let mut buf = vec![0u8; READ_BUF];
        loop {
            if on.wait_for(|on| *on).await.is_err() {
                return Ok(());
            }
            self.counters.busy.fetch_add(1, Ordering::SeqCst);
            self.burst(&on, &mut buf).await?;
            self.counters.busy.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Sends and reads until switched off and every message sent came back.
    async fn burst(&mut self, on: &watch::Receiver<bool>, buf: &mut [u8]) -> Result<(), String> {
        let frame_len = self.frame_len;
        // Messages sent (or owed to the wire) whose echo has not come back.
        let mut in_flight = self.depth;
        // Bytes owed to the wire, and bytes written so far (their position in the batch).
        let mut owed = self.depth * frame_len;
        let mut written: u64 = 0;
        poll_fn(|cx| loop {
            let mut progress = false;
            while owed > 0 {
                let phase = (written % frame_len) as usize;
                let end = (phase as u64 + owed).min(self.batch.len() as u64) as usize;
                match Pin::new(&mut self.stream).poll_write(cx, &self.batch[phase..end]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err("wrote nothing".to_owned())),
                    Poll::Ready(Ok(n)) => {
                        owed -= n as u64;
                        written += n as u64;
                        progress = true;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(format!("write: {e}"))),
                    Poll::Pending => break,
                }
            }
            let mut read = ReadBuf::new(buf);
            match Pin::new(&mut self.stream).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    if n == 0 {
                        return Poll::Ready(Err("server closed the connection".to_owned()));
                    }
                    self.counters.read.fetch_add(n as u64, Ordering::Relaxed);
                    match self.counter.feed(&buf[..n]) {
                        Ok(0) => {}
                        Ok(k) => {
                            self.counters.echoed.fetch_add(k, Ordering::Relaxed);
                            in_flight -= k;
                            if *on.borrow() {
                                in_flight += k;
                                owed += k * frame_len;
                            } else if in_flight == 0 {
                                return Poll::Ready(Ok(()));
                            }
                        }
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(format!("read: {e}"))),
                Poll::Pending => {}
            }
            if !progress {
                return Poll::Pending;
            }
        })
        .await
    }
}

/// `len` bytes of UTF-8 text: "text é" repeated (a quarter of the characters are two bytes
/// long), padded with ASCII to the exact length.
fn text_payload(len: usize) -> Vec<u8> {
    let mut text: Vec<u8> = "text é ".bytes().cycle().take(len).collect();
    // A cut in the middle of "é" becomes ASCII.
    if let Some(last) = text.last_mut().filter(|b| **b == 0xC3) {
        *last = b'e';
    }
    debug_assert!(std::str::from_utf8(&text).is_ok());
    text
}
