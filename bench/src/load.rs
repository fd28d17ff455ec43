//! The idle-memory and handshake cells, and what every cell shares (the echo cells are in
//! [`crate::echo`]).
//!
//! Every cell runs on the caller's (current-thread) runtime, so the generator uses one core.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::client;
use crate::echo::SETTLE;
use crate::procfs::{self, CpuSnapshot};

/// Handshakes in flight while opening many connections.
const CONNECT_CONCURRENCY: usize = 64;

/// CPU use over a measurement, as a fraction of one core.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUse {
    /// The load generator.
    pub generator: f64,
    /// The server (0 without a pid).
    pub server: f64,
}

/// Opens `n` connections, `CONNECT_CONCURRENCY` handshakes at a time.
pub(crate) async fn open_many(addr: SocketAddr, n: usize) -> io::Result<Vec<TcpStream>> {
    open_many_with(addr, n, client::upgrade_request(addr, "/").into()).await
}

/// [`open_many`] with `request` as each connection's upgrade request.
async fn open_many_with(
    addr: SocketAddr,
    n: usize,
    request: Arc<[u8]>,
) -> io::Result<Vec<TcpStream>> {
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
    extra_headers: &[String],
) -> io::Result<IdleResult> {
    let request = client::upgrade_request_with(addr, "/", extra_headers).into();
    let rss_before_kib = procfs::rss_kib(server_pid)?;
    let started = Instant::now();
    let streams = open_many_with(addr, conns, request).await?;
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

/// Handshake traffic to one server, run a slice at a time (as [`crate::echo::EchoLoad`]):
/// during a slice, `concurrency` workers each connect, complete the opening handshake, send a
/// close frame and wait for the server to close TCP, in a loop; between slices, none.
pub struct HandshakeLoad {
    addr: SocketAddr,
    request: Arc<[u8]>,
    concurrency: usize,
    server_pid: Option<u32>,
    /// Each slice's cycles per second.
    rates: Vec<f64>,
    /// Counted so far: cycles, failures, seconds, CPU seconds (generator, server).
    counted: (u64, u64, f64, f64, f64),
}

impl HandshakeLoad {
    /// A load against `addr`; `server_pid` adds the server's CPU use to the results.
    pub fn new(addr: SocketAddr, concurrency: usize, server_pid: Option<u32>) -> Self {
        Self {
            addr,
            request: client::upgrade_request(addr, "/").into(),
            concurrency,
            server_pid,
            rates: Vec::new(),
            counted: Default::default(),
        }
    }

    /// Runs the load for `duration` without counting it.
    pub async fn warm_up(&mut self, duration: Duration) {
        self.run(duration, false).await;
    }

    /// Runs the load, counts `duration` of it after a short settling time, and waits for
    /// the cycles in flight to end.
    pub async fn slice(&mut self, duration: Duration) {
        self.run(duration, true).await;
    }

    /// Each slice's handshake cycles per second so far, in order.
    pub fn slice_rates(&self) -> &[f64] {
        &self.rates
    }

    /// What the slices so far measured.
    pub fn result(&self) -> HandshakeResult {
        let (cycles, failures, secs, generator, server) = self.counted;
        let secs = secs.max(f64::MIN_POSITIVE);
        HandshakeResult {
            per_sec: cycles as f64 / secs,
            failures,
            cpu: CpuUse {
                generator: generator / secs,
                server: server / secs,
            },
        }
    }

    async fn run(&mut self, duration: Duration, count: bool) {
        let done = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = JoinSet::new();
        for _ in 0..self.concurrency {
            let (addr, request, done, failures, stop) = (
                self.addr,
                Arc::clone(&self.request),
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
        if count {
            tokio::time::sleep(SETTLE).await;
        }
        let sample = || {
            (
                done.load(Ordering::Relaxed),
                failures.load(Ordering::Relaxed),
                Instant::now(),
                CpuSnapshot::take(self.server_pid),
            )
        };
        let (n0, f0, t0, c0) = sample();
        tokio::time::sleep(duration).await;
        let (n1, f1, t1, c1) = sample();
        stop.store(true, Ordering::Relaxed);
        while workers.join_next().await.is_some() {}
        if count {
            let secs = (t1 - t0).as_secs_f64();
            self.rates.push((n1 - n0) as f64 / secs);
            let (cycles, failed, total, generator, server) = &mut self.counted;
            *cycles += n1 - n0;
            *failed += f1 - f0;
            *total += secs;
            *generator += c1.generator - c0.generator;
            *server += c1.server - c0.server;
        }
    }
}

/// Runs the handshake cell against one server: warm-up, then `duration` counted in one
/// slice.
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
    let mut load = HandshakeLoad::new(addr, concurrency, server_pid);
    load.warm_up(warmup).await;
    load.slice(duration).await;
    Ok(load.result())
}
