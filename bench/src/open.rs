//! The open-time cells: how long opening one more WebSocket takes, as a stream of an HTTP/2
//! connection already open (an extended CONNECT answered by `200`) or as a fresh TCP
//! connection with the HTTP/1.1 upgrade (connect, request, `101`).
//!
//! WebSockets are opened one at a time in batches: over HTTP/2 a batch connects, opens a
//! first WebSocket untimed (it pays for the connection's preface and SETTINGS) and then
//! times the 2nd to the 100th; over HTTP/1.1 a batch times [`TIMED_PER_BATCH`] fresh
//! connections. Every WebSocket of a batch stays open until the batch ends, so the server
//! holds as many either way. Run in slices like the echo cells ([`crate::echo`]): a slice
//! runs batches until its time is up, and its figure is the median open of the slice.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::client;
use crate::echo::{Transport, SETTLE};
use crate::http2;
use crate::load::CpuUse;
use crate::procfs::CpuSnapshot;

/// WebSockets timed per batch: the 2nd to the 100th on one HTTP/2 connection.
pub const TIMED_PER_BATCH: usize = 99;
/// How long the polite closes at the end of an HTTP/1.1 batch may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// What one or more slices of opening WebSockets measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenResult {
    /// The median time to open one WebSocket over every slice, µs.
    pub median_us: f64,
    /// WebSockets opened while counting.
    pub opens: usize,
    /// CPU use during the counted time.
    pub cpu: CpuUse,
}

/// Opening WebSockets on one server, one at a time, a slice at a time.
pub struct OpenLoad {
    addr: SocketAddr,
    transport: Transport,
    request: Arc<[u8]>,
    server_pid: Option<u32>,
    /// Every counted open, µs.
    times: Vec<f64>,
    /// Each slice's median open, µs.
    medians: Vec<f64>,
    /// Counted seconds, CPU seconds (generator, server).
    counted: (f64, f64, f64),
}

impl OpenLoad {
    /// WebSockets to `addr`, opened as `transport` says (over HTTP/2, whatever its
    /// `per_conn`, a batch's 100 share one connection). `server_pid` adds the server's CPU
    /// use to the results.
    pub fn new(addr: SocketAddr, transport: Transport, server_pid: Option<u32>) -> Self {
        Self {
            addr,
            transport,
            request: client::upgrade_request(addr, "/").into(),
            server_pid,
            times: Vec::new(),
            medians: Vec::new(),
            counted: Default::default(),
        }
    }

    /// Opens WebSockets for `duration` without counting them.
    ///
    /// # Errors
    /// When an open fails.
    pub async fn warm_up(&mut self, duration: Duration) -> io::Result<()> {
        self.run(duration).await.map(drop)
    }

    /// Opens WebSockets for `duration` (after a short settling time) and records the
    /// slice's median open.
    ///
    /// # Errors
    /// When an open fails.
    pub async fn slice(&mut self, duration: Duration) -> io::Result<()> {
        tokio::time::sleep(SETTLE).await;
        let c0 = CpuSnapshot::take(self.server_pid);
        let t0 = Instant::now();
        let mut times = self.run(duration).await?;
        let secs = t0.elapsed().as_secs_f64();
        let c1 = CpuSnapshot::take(self.server_pid);
        let (total, generator, server) = &mut self.counted;
        *total += secs;
        *generator += c1.generator - c0.generator;
        *server += c1.server - c0.server;
        self.medians.push(median(&mut times));
        self.times.extend(times);
        Ok(())
    }

    /// Each slice's median open so far, µs, in order.
    pub fn slice_medians(&self) -> &[f64] {
        &self.medians
    }

    /// What the slices so far measured.
    pub fn result(&self) -> OpenResult {
        let (secs, generator, server) = self.counted;
        let secs = secs.max(f64::MIN_POSITIVE);
        OpenResult {
            median_us: median(&mut self.times.clone()),
            opens: self.times.len(),
            cpu: CpuUse {
                generator: generator / secs,
                server: server / secs,
            },
        }
    }

    /// Runs batches until `duration` has passed (checked between opens); each open's time, µs.
    async fn run(&mut self, duration: Duration) -> io::Result<Vec<f64>> {
        let deadline = Instant::now() + duration;
        let mut times = Vec::new();
        while Instant::now() < deadline {
            match self.transport {
                Transport::Http1 => self.http1_batch(deadline, &mut times).await?,
                Transport::Http2 { .. } => self.http2_batch(deadline, &mut times).await?,
            }
        }
        Ok(times)
    }

    async fn http2_batch(&self, deadline: Instant, times: &mut Vec<f64>) -> io::Result<()> {
        let connection = http2::Connection::connect(self.addr).await?;
        let mut open = vec![connection.open().await?];
        while open.len() <= TIMED_PER_BATCH && Instant::now() < deadline {
            let started = Instant::now();
            open.push(connection.open().await?);
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
        // Dropping the last handle ends the connection.
        Ok(())
    }

    async fn http1_batch(&self, deadline: Instant, times: &mut Vec<f64>) -> io::Result<()> {
        let mut open = Vec::with_capacity(TIMED_PER_BATCH);
        while open.len() < TIMED_PER_BATCH && Instant::now() < deadline {
            let started = Instant::now();
            open.push(client::connect(self.addr, &self.request).await?);
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
        // Closed politely, the server first (as the handshake cell does): the TIME_WAIT
        // sockets are the server's, not the generator's ports.
        let mut closing = JoinSet::new();
        for stream in open {
            closing.spawn(client::close(stream, CLOSE_TIMEOUT));
        }
        while let Some(closed) = closing.join_next().await {
            closed.map_err(io::Error::other)??;
        }
        Ok(())
    }
}

/// The middle value (the upper of the two middle ones for an even count); 0 when empty.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_is_the_middle_open() {
        assert_eq!(median(&mut [30.0, 10.0, 20.0]), 20.0);
        assert_eq!(median(&mut [40.0, 10.0, 30.0, 20.0]), 30.0);
        assert_eq!(median(&mut []), 0.0);
    }
}
