//! The cells: echo throughput, idle memory, handshake rate.
//!
//! Every cell runs on the caller's (current-thread) runtime, so the generator uses one core.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::client::{self, FrameCounter, OP_BINARY, OP_TEXT};
use crate::procfs::{self, CpuSnapshot};

/// Read buffer of each generator connection.
const READ_BUF: usize = 256 * 1024;
/// Handshakes in flight while opening many connections.
const CONNECT_CONCURRENCY: usize = 64;

/// An echo cell: `conns` connections each keep `depth` messages of `size` bytes in flight.
#[derive(Clone, Copy, Debug)]
pub struct EchoCell {
    /// Connections.
    pub conns: usize,
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

/// CPU use over a measurement, as a fraction of one core.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUse {
    /// The load generator.
    pub generator: f64,
    /// The server (0 without a pid).
    pub server: f64,
}

impl CpuUse {
    fn between(before: CpuSnapshot, after: CpuSnapshot, wall: Duration) -> Self {
        let wall = wall.as_secs_f64();
        Self {
            generator: (after.generator - before.generator) / wall,
            server: (after.server - before.server) / wall,
        }
    }
}

/// What an echo cell measured.
#[derive(Clone, Copy, Debug)]
pub struct EchoResult {
    /// Echoed messages per second.
    pub msgs_per_sec: f64,
    /// Echoed payload bytes per second.
    pub bytes_per_sec: f64,
    /// CPU use during the counted time.
    pub cpu: CpuUse,
    /// Messages echoed over the whole run, warm-up included (for instruction counts).
    pub total: u64,
}

/// Opens `n` connections, `CONNECT_CONCURRENCY` handshakes at a time.
async fn open_many(addr: SocketAddr, n: usize) -> io::Result<Vec<TcpStream>> {
    let request: Arc<[u8]> = client::upgrade_request(addr, "/").into();
    let mut streams = Vec::with_capacity(n);
    let mut pending = JoinSet::new();
    let mut started = 0;
    while streams.len() < n {
        while started < n && pending.len() < CONNECT_CONCURRENCY {
            let request = Arc::clone(&request);
            pending.spawn(async move { client::connect(addr, &request).await });
            started += 1;
        }
        if let Some(joined) = pending.join_next().await {
            streams.push(joined.map_err(io::Error::other)??);
        }
    }
    Ok(streams)
}

/// Keeps `depth` frames in flight on one connection until aborted, counting echoes.
async fn drive(
    mut stream: TcpStream,
    batch: Arc<[u8]>,
    frame_len: usize,
    depth: usize,
    payload_len: u64,
    opcode: u8,
    echoed: Arc<AtomicU64>,
) -> Result<(), String> {
    let frame_len = frame_len as u64;
    // Bytes owed to the wire, and bytes written so far (their position in the batch).
    let mut owed = depth as u64 * frame_len;
    let mut written: u64 = 0;
    let mut buf = vec![0u8; READ_BUF];
    let mut counter = FrameCounter::new(opcode, payload_len);
    poll_fn(|cx| loop {
        let mut progress = false;
        while owed > 0 {
            let phase = (written % frame_len) as usize;
            let end = (phase as u64 + owed).min(batch.len() as u64) as usize;
            match Pin::new(&mut stream).poll_write(cx, &batch[phase..end]) {
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
        let mut read = ReadBuf::new(&mut buf);
        match Pin::new(&mut stream).poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                if n == 0 {
                    return Poll::Ready(Err("server closed the connection".to_owned()));
                }
                match counter.feed(&buf[..n]) {
                    Ok(0) => {}
                    Ok(k) => {
                        echoed.fetch_add(k, Ordering::Relaxed);
                        owed += k * frame_len;
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

/// Runs an echo cell against `addr`; `server_pid` adds the server's CPU use.
///
/// # Errors
/// When connecting fails, or when a connection fails during the run.
pub async fn run_echo(
    addr: SocketAddr,
    cell: EchoCell,
    server_pid: Option<u32>,
) -> io::Result<EchoResult> {
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
    let streams = open_many(addr, cell.conns).await?;
    let echoed = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for stream in streams {
        tasks.spawn(drive(
            stream,
            Arc::clone(&batch),
            frame.len(),
            cell.depth,
            cell.size as u64,
            opcode,
            Arc::clone(&echoed),
        ));
    }
    let failed = |tasks: &mut JoinSet<Result<(), String>>| -> Option<String> {
        tasks.try_join_next().map(|done| match done {
            Ok(Err(e)) => e,
            Ok(Ok(())) => "connection ended".to_owned(),
            Err(e) => e.to_string(),
        })
    };
    tokio::time::sleep(cell.warmup).await;
    let (n0, t0, c0) = (
        echoed.load(Ordering::Relaxed),
        Instant::now(),
        CpuSnapshot::take(server_pid),
    );
    tokio::time::sleep(cell.duration).await;
    let (n1, t1, c1) = (
        echoed.load(Ordering::Relaxed),
        Instant::now(),
        CpuSnapshot::take(server_pid),
    );
    let error = failed(&mut tasks);
    tasks.shutdown().await;
    let total = echoed.load(Ordering::Relaxed);
    if let Some(error) = error {
        return Err(io::Error::other(error));
    }
    let wall = t1 - t0;
    let msgs = (n1 - n0) as f64 / wall.as_secs_f64();
    Ok(EchoResult {
        msgs_per_sec: msgs,
        bytes_per_sec: msgs * cell.size as f64,
        cpu: CpuUse::between(c0, c1, wall),
        total,
    })
}

/// What the idle-memory cell measured.
#[derive(Clone, Copy, Debug)]
pub struct IdleResult {
    /// Server RSS before opening the connections, KiB.
    pub rss_before_kib: u64,
    /// Server RSS with every connection open, KiB.
    pub rss_after_kib: u64,
    /// Connections held open.
    pub conns: usize,
    /// Seconds it took to open them.
    pub open_secs: f64,
}

impl IdleResult {
    /// RSS growth per connection, KiB.
    pub fn kib_per_conn(&self) -> f64 {
        self.rss_after_kib.saturating_sub(self.rss_before_kib) as f64 / self.conns as f64
    }
}

/// Opens `conns` WebSocket connections, leaves them idle for `hold`, and reads the server's
/// RSS growth at the end.
///
/// # Errors
/// When a connection fails or the server's `/proc` entry cannot be read.
pub async fn run_idle(
    addr: SocketAddr,
    conns: usize,
    hold: Duration,
    server_pid: u32,
) -> io::Result<IdleResult> {
    let rss_before_kib = procfs::rss_kib(server_pid)?;
    let started = Instant::now();
    let streams = open_many(addr, conns).await?;
    let open_secs = started.elapsed().as_secs_f64();
    // Let the server finish whatever it does after the handshake.
    tokio::time::sleep(hold).await;
    let rss_after_kib = procfs::rss_kib(server_pid)?;
    drop(streams);
    Ok(IdleResult {
        rss_before_kib,
        rss_after_kib,
        conns,
        open_secs,
    })
}

/// What the handshake cell measured.
#[derive(Clone, Copy, Debug)]
pub struct HandshakeResult {
    /// Connect + handshake + close handshake cycles per second.
    pub per_sec: f64,
    /// Cycles that failed during the counted time.
    pub failures: u64,
    /// CPU use during the counted time.
    pub cpu: CpuUse,
}

/// `concurrency` workers each connect, complete the opening handshake, send a close frame
/// and wait for the server to close TCP, in a loop.
///
/// # Errors
/// Never at present; kept fallible like the other cells.
pub async fn run_handshakes(
    addr: SocketAddr,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    server_pid: Option<u32>,
) -> io::Result<HandshakeResult> {
    let request: Arc<[u8]> = client::upgrade_request(addr, "/").into();
    let done = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (request, done, failures, stop) = (
            Arc::clone(&request),
            Arc::clone(&done),
            Arc::clone(&failures),
            Arc::clone(&stop),
        );
        workers.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let cycle = async {
                    let stream = client::connect(addr, &request).await?;
                    client::close(stream, Duration::from_secs(2)).await
                };
                match cycle.await {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failures.fetch_add(1, Ordering::Relaxed),
                };
            }
        });
    }
    tokio::time::sleep(warmup).await;
    let (n0, f0, t0, c0) = (
        done.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
        Instant::now(),
        CpuSnapshot::take(server_pid),
    );
    tokio::time::sleep(duration).await;
    let (n1, f1, t1, c1) = (
        done.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
        Instant::now(),
        CpuSnapshot::take(server_pid),
    );
    stop.store(true, Ordering::Relaxed);
    while workers.join_next().await.is_some() {}
    let wall = t1 - t0;
    Ok(HandshakeResult {
        per_sec: (n1 - n0) as f64 / wall.as_secs_f64(),
        failures: f1 - f0,
        cpu: CpuUse::between(c0, c1, wall),
    })
}
