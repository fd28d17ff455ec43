//! Graceful shutdown under load: an in-process squall server streams numbered messages to
//! many clients as fast as `write_message` allows, then `Server::shutdown(grace)` is called.
//!
//! ```text
//! cargo run --release -p squall-bench --bin shutdown_load -- [--connections 1000]
//!     [--grace-ms 5000] [--stream-ms 2000]
//! ```
//!
//! Checks: every client got close code 1001; every message whose `write_message` future had
//! resolved when `shutdown` was called reached its client, in order and without gaps (each
//! client's stream is exactly 0, 1, 2, ...); `shutdown` returned within the grace period plus
//! 500 ms. Exits 1 on any violation.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use squall::{Application, Message, WebSocket, WebSocketHandler};
use squall_bench::cli::{fail, Args};
use squall_bench::client::{self, masked_frame, OP_CLOSE};
use squall_bench::soak::{raise_nofile, take_frames};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};

/// Text frame opcode.
const OP_TEXT: u8 = 0x1;
/// How much later than the grace period `shutdown` may return.
const MARGIN: Duration = Duration::from_millis(500);

/// Per connection (by the client's address): how many messages' `write_message` resolved.
type Acked = Arc<Mutex<HashMap<SocketAddr, Arc<AtomicU64>>>>;

/// Streams 0, 1, 2, ... until the connection closes, counting acknowledged writes.
struct Streamer {
    acked: Acked,
}

impl WebSocketHandler for Streamer {
    async fn open(&mut self, ws: &WebSocket, _args: squall::PathArgs) {
        let Some(peer) = ws.request().peer_addr() else {
            return;
        };
        let count = Arc::new(AtomicU64::new(0));
        self.acked.lock().unwrap().insert(peer, Arc::clone(&count));
        let ws = ws.clone();
        tokio::spawn(async move {
            for n in 0u64.. {
                if ws.write_message(n.to_string()).await.is_err() {
                    break;
                }
                count.store(n + 1, Ordering::Release);
            }
        });
    }

    async fn on_message(&mut self, _ws: &WebSocket, _message: Message) {}
}

/// What one client saw.
#[derive(Debug, Default)]
struct Seen {
    local: Option<SocketAddr>,
    received: u64,
    /// Messages whose number was not the next one expected.
    out_of_order: u64,
    close_code: Option<u16>,
    error: Option<String>,
}

/// Connects, reports, then reads everything: numbers, the close (answered with the same
/// code, as RFC 6455 asks), then the server's EOF.
async fn client(
    addr: SocketAddr,
    request: Arc<[u8]>,
    gate: Arc<Semaphore>,
    connected: mpsc::UnboundedSender<Result<(), String>>,
) -> Seen {
    let mut seen = Seen::default();
    let stream = {
        let _permit = gate.acquire().await;
        connect(addr, &request).await
    };
    let (mut stream, mut buf) = match stream {
        Ok(s) => s,
        Err(e) => {
            seen.error = Some(format!("connect: {e}"));
            let _ = connected.send(Err(format!("connect: {e}")));
            return seen;
        }
    };
    seen.local = stream.local_addr().ok();
    let _ = connected.send(Ok(()));
    drop(connected);
    let mut chunk = vec![0u8; 16 * 1024];
    // Frames that came with the handshake response.
    if let Err(e) = take_message_frames(&mut buf, &mut seen, &mut stream).await {
        seen.error = Some(e);
        return seen;
    }
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                seen.error = Some(format!("read: {e}"));
                break;
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Err(e) = take_message_frames(&mut buf, &mut seen, &mut stream).await {
            seen.error = Some(e);
            break;
        }
    }
    seen
}

/// Handles the complete frames in `buf`, answering a close.
async fn take_message_frames(
    buf: &mut Vec<u8>,
    seen: &mut Seen,
    stream: &mut TcpStream,
) -> Result<(), String> {
    {
        let mut reply = None;
        let parsed = take_frames(buf, |opcode, payload| {
            if seen.close_code.is_some() {
                return Err(format!("frame {opcode:#x} after the close"));
            }
            match opcode {
                OP_TEXT => {
                    let n: u64 = std::str::from_utf8(payload)
                        .ok()
                        .and_then(|t| t.parse().ok())
                        .ok_or_else(|| format!("malformed message {payload:?}"))?;
                    if n != seen.received {
                        seen.out_of_order += 1;
                    }
                    seen.received += 1;
                }
                OP_CLOSE => {
                    let code = match payload {
                        [a, b, ..] => u16::from_be_bytes([*a, *b]),
                        _ => 1005,
                    };
                    seen.close_code = Some(code);
                    reply = Some(code);
                }
                other => return Err(format!("unexpected opcode {other:#x}")),
            }
            Ok(())
        });
        parsed?;
        if let Some(code) = reply {
            let close = masked_frame(OP_CLOSE, &code.to_be_bytes());
            stream
                .write_all(&close)
                .await
                .map_err(|e| format!("close reply: {e}"))?;
        }
    }
    Ok(())
}

/// As [`client::connect`], but keeps frames that arrive with the `101` response (this
/// server starts streaming as soon as the connection opens).
async fn connect(addr: SocketAddr, request: &[u8]) -> std::io::Result<(TcpStream, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream.write_all(request).await?;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("server closed during the handshake"));
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            if !head.starts_with(b"HTTP/1.1 101") {
                return Err(std::io::Error::other("handshake refused"));
            }
            let rest = head.split_off(end + 4);
            return Ok((stream, rest));
        }
        if head.len() > 64 * 1024 {
            return Err(std::io::Error::other("handshake response too long"));
        }
    }
}

fn main() {
    let args = Args::from_env();
    if let Some(unknown) = args
        .unknown(&["--connections", "--grace-ms", "--stream-ms"])
        .first()
    {
        fail(&format!(
            "unknown argument {unknown}; usage: shutdown_load [--connections N] [--grace-ms MS] \
             [--stream-ms MS]"
        ));
    }
    let n: usize = args.get("--connections").unwrap_or(1000);
    let grace = Duration::from_millis(args.get("--grace-ms").unwrap_or(5000));
    let stream_for = Duration::from_millis(args.get("--stream-ms").unwrap_or(2000));
    let wanted = 2 * n as u64 + 256;
    let nofile = raise_nofile(wanted);
    if nofile < wanted {
        eprintln!("shutdown_load: warning: open-file limit {nofile} < {wanted} needed");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start the runtime: {e}")));
    let code = runtime.block_on(run(n, grace, stream_for, nofile));
    std::process::exit(code);
}

async fn run(n: usize, grace: Duration, stream_for: Duration, nofile: u64) -> i32 {
    let acked: Acked = Arc::default();
    let route_acked = Arc::clone(&acked);
    let server = Application::new()
        .route("/stream", move || Streamer {
            acked: Arc::clone(&route_acked),
        })
        .listen("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| fail(&format!("cannot listen: {e}")));
    let addr = server.local_addr();
    println!(
        "shutdown_load: {n} connections to {addr}, streaming {} ms, grace {} ms; nofile {nofile}",
        stream_for.as_millis(),
        grace.as_millis()
    );
    let request: Arc<[u8]> = client::upgrade_request(addr, "/stream").into();
    let gate = Arc::new(Semaphore::new(64));
    let (connected_tx, mut connected_rx) = mpsc::unbounded_channel();
    let clients: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(client(
                addr,
                Arc::clone(&request),
                Arc::clone(&gate),
                connected_tx.clone(),
            ))
        })
        .collect();
    drop(connected_tx);
    let mut connect_errors = Vec::new();
    for _ in 0..n {
        match connected_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => connect_errors.push(e),
            None => break,
        }
    }
    if !connect_errors.is_empty() {
        eprintln!(
            "{} connections failed; first: {}",
            connect_errors.len(),
            connect_errors[0]
        );
        return 1;
    }
    println!("all {n} connected; streaming");
    tokio::time::sleep(stream_for).await;

    // The highest acknowledged number of each connection at the moment shutdown is called.
    let before: HashMap<SocketAddr, u64> = acked
        .lock()
        .unwrap()
        .iter()
        .map(|(peer, count)| (*peer, count.load(Ordering::Acquire)))
        .collect();
    let started = Instant::now();
    let finished = tokio::time::timeout(grace + Duration::from_secs(10), server.shutdown(grace))
        .await
        .is_ok();
    let shutdown_took = started.elapsed();
    let streamed: u64 = acked
        .lock()
        .unwrap()
        .values()
        .map(|c| c.load(Ordering::Acquire))
        .sum();

    let mut violations = Vec::new();
    if !finished || shutdown_took > grace + MARGIN {
        violations.push(format!(
            "shutdown took {shutdown_took:?} (grace {grace:?} + {MARGIN:?})"
        ));
    }
    if before.len() != n {
        violations.push(format!("{} of {n} connections were opened", before.len()));
    }
    let (mut received, mut not_1001, mut lost, mut out_of_order, mut errors) = (0, 0, 0, 0, 0);
    let mut silent = 0;
    for task in clients {
        let seen = match tokio::time::timeout(Duration::from_secs(10), task).await {
            Ok(Ok(seen)) => seen,
            Ok(Err(e)) => {
                violations.push(format!("client task: {e}"));
                continue;
            }
            Err(_) => {
                violations.push("a client did not finish within 10 s of shutdown".to_owned());
                continue;
            }
        };
        received += seen.received;
        let acked_before = seen.local.and_then(|l| before.get(&l)).copied();
        if acked_before == Some(0) {
            silent += 1;
        }
        let mut bad = |what: String, count: &mut u64| {
            *count += 1;
            if violations.len() < 10 {
                violations.push(format!("{:?}: {what}", seen.local));
            }
        };
        if seen.close_code != Some(1001) {
            bad(format!("close code {:?}", seen.close_code), &mut not_1001);
        }
        if seen.out_of_order > 0 {
            bad(
                format!("{} messages out of order or after a gap", seen.out_of_order),
                &mut out_of_order,
            );
        }
        match acked_before {
            Some(k) if seen.received < k => bad(
                format!(
                    "acknowledged {k} before shutdown, received {}",
                    seen.received
                ),
                &mut lost,
            ),
            Some(_) => {}
            None => bad("no server connection for this client".to_owned(), &mut lost),
        }
        if let Some(e) = &seen.error {
            bad(e.clone(), &mut errors);
        }
    }
    let acked_total: u64 = before.values().sum();
    println!("connections:                  {n}");
    println!("messages streamed (acked):    {streamed}");
    println!("acknowledged before shutdown: {acked_total}");
    println!("received by clients:          {received}");
    println!(
        "shutdown duration:            {:.1} ms (grace {} ms)",
        shutdown_took.as_secs_f64() * 1000.0,
        grace.as_millis()
    );
    println!(
        "clients without 1001: {not_1001}; with lost acknowledged messages: {lost}; \
         out of order: {out_of_order}; errors: {errors}; nothing acked before shutdown: {silent}"
    );
    for v in &violations {
        println!("  violation: {v}");
    }
    let ok = violations.is_empty();
    println!("{}", if ok { "PASS" } else { "FAIL" });
    i32::from(!ok)
}
