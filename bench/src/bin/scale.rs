//! Many connections, each echoing a message at a steady rate, against squall's echo server in
//! a child process (so its memory and CPU are measured on their own through `/proc/PID`).
//!
//! ```text
//! cargo build --release --example echo_server
//! cargo run --release -p squall-bench --bin scale -- [--connections 10000] [--seconds 60]
//!     [--rate-per-conn 1] [--grace-secs 5] [--server PATH]
//! ```
//!
//! Each connection sends `"ID SEQ MICROS"` every `1 / rate` seconds, the connections' phases
//! spread evenly over that period, and checks every echo: the sequence number must grow by
//! one each time. Reports server RSS and CPU, client CPU, counts, round-trip latency; exits 1
//! when a message was dropped (sent, never echoed by the end plus the grace) or arrived out of
//! order, or a connection failed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use squall_bench::cli::{fail, Args};
use squall_bench::client::{self, masked_frame};
use squall_bench::procfs::{self, CpuSnapshot};
use squall_bench::soak::{raise_nofile, take_frames};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::MissedTickBehavior;

/// Text frame opcode.
const OP_TEXT: u8 = 0x1;
/// Handshakes in flight while connecting.
const CONNECT_CONCURRENCY: usize = 64;

#[derive(Clone, Copy)]
struct Plan {
    /// When sending starts; timestamps are microseconds since `base`.
    base: Instant,
    start: Instant,
    end: Instant,
    give_up: Instant,
    period: Duration,
}

#[derive(Default)]
struct Outcome {
    sent: u64,
    received: u64,
    out_of_order: u64,
    errors: Vec<String>,
    /// Round trips, microseconds.
    latencies: Vec<u32>,
}

/// One connection: connect, wait for the common start, send on its phase, check every echo.
async fn connection(
    id: usize,
    n: usize,
    addr: SocketAddr,
    request: Arc<[u8]>,
    gate: Arc<Semaphore>,
    connected: mpsc::UnboundedSender<Result<(), String>>,
    mut plan_rx: watch::Receiver<Option<Plan>>,
) -> Outcome {
    let mut out = Outcome::default();
    let stream = {
        let _permit = gate.acquire().await;
        client::connect(addr, &request).await
    };
    let stream = match stream {
        Ok(stream) => {
            let _ = connected.send(Ok(()));
            stream
        }
        Err(e) => {
            let _ = connected.send(Err(format!("connection {id}: {e}")));
            out.errors.push(format!("connect: {e}"));
            return out;
        }
    };
    drop(connected);
    let Ok(plan) = plan_rx
        .wait_for(Option::is_some)
        .await
        .map(|p| (*p).unwrap())
    else {
        return out;
    };
    let (mut rd, mut wr) = stream.into_split();
    let offset = plan.period.mul_f64(id as f64 / n as f64);
    let mut ticks = tokio::time::interval_at((plan.start + offset).into(), plan.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let give_up = tokio::time::sleep_until(plan.give_up.into());
    tokio::pin!(give_up);
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    let mut sending = true;
    let mut last_seq: Option<u64> = None;
    loop {
        if !sending && out.received >= out.sent {
            break;
        }
        tokio::select! {
            at = ticks.tick(), if sending => {
                let at: Instant = at.into();
                if at >= plan.end {
                    sending = false;
                    continue;
                }
                let micros = plan.base.elapsed().as_micros();
                let text = format!("{id} {} {micros}", out.sent);
                if let Err(e) = wr.write_all(&masked_frame(OP_TEXT, text.as_bytes())).await {
                    out.errors.push(format!("write: {e}"));
                    break;
                }
                out.sent += 1;
            }
            read = rd.read(&mut chunk) => {
                let n = match read {
                    Ok(0) => {
                        out.errors.push("server closed the connection".to_owned());
                        break;
                    }
                    Ok(n) => n,
                    Err(e) => {
                        out.errors.push(format!("read: {e}"));
                        break;
                    }
                };
                buf.extend_from_slice(&chunk[..n]);
                let now = plan.base.elapsed().as_micros();
                let parsed = take_frames(&mut buf, |opcode, payload| {
                    if opcode != OP_TEXT {
                        return Err(format!("unexpected opcode {opcode:#x}"));
                    }
                    let text = std::str::from_utf8(payload).map_err(|e| e.to_string())?;
                    let mut fields = text.split(' ').map(str::parse::<u128>);
                    let (Some(Ok(echo_id)), Some(Ok(seq)), Some(Ok(sent_at))) =
                        (fields.next(), fields.next(), fields.next())
                    else {
                        return Err(format!("malformed echo {text:?}"));
                    };
                    if echo_id != id as u128 {
                        return Err(format!("echo for connection {echo_id}"));
                    }
                    let seq = seq as u64;
                    if last_seq.is_some_and(|last| seq != last + 1) || (last_seq.is_none() && seq != 0) {
                        out.out_of_order += 1;
                    }
                    last_seq = Some(seq);
                    out.received += 1;
                    out.latencies.push(u32::try_from(now.saturating_sub(sent_at)).unwrap_or(u32::MAX));
                    Ok(())
                });
                if let Err(e) = parsed {
                    out.errors.push(e);
                    break;
                }
            }
            () = &mut give_up => break,
        }
    }
    // A polite close; failures here do not change the counts.
    let stream = rd.reunite(wr).expect("halves of one stream");
    if let Err(e) = client::close(stream, Duration::from_secs(5)).await {
        out.errors.push(format!("close: {e}"));
    }
    out
}

fn spawn_server(path: &PathBuf) -> (Child, SocketAddr) {
    let mut child = Command::new(path)
        .args(["--port", "0", "--threads", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            fail(&format!(
                "cannot start {} ({e}); build it with `cargo build --release --example echo_server`",
                path.display()
            ))
        });
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    let _ = BufReader::new(stdout).read_line(&mut line);
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok());
    match addr {
        Some(addr) => (child, addr),
        None => {
            let _ = child.kill();
            fail(&format!("unexpected first line from the server: {line:?}"));
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn main() {
    let args = Args::from_env();
    let known = [
        "--connections",
        "--seconds",
        "--rate-per-conn",
        "--grace-secs",
        "--server",
    ];
    if let Some(unknown) = args.unknown(&known).first() {
        fail(&format!(
            "unknown argument {unknown}; usage: scale [--connections N] [--seconds S] \
             [--rate-per-conn R] [--grace-secs G] [--server PATH]"
        ));
    }
    let n: usize = args.get("--connections").unwrap_or(10_000);
    let seconds: f64 = args.get("--seconds").unwrap_or(60.0);
    let rate: f64 = args.get("--rate-per-conn").unwrap_or(1.0);
    let grace: f64 = args.get("--grace-secs").unwrap_or(5.0);
    if n == 0 || rate <= 0.0 || seconds <= 0.0 {
        fail("--connections, --seconds and --rate-per-conn must be positive");
    }
    let server_path = args.get::<PathBuf>("--server").unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap_or_else(|e| fail(&format!("current_exe: {e}")));
        exe.with_file_name("examples").join("echo_server")
    });

    // This process holds N sockets and the child inherits the limit for its N.
    let wanted = n as u64 + 256;
    let nofile = raise_nofile(wanted);
    if nofile < wanted {
        eprintln!("scale: warning: open-file limit {nofile} < {wanted} needed");
    }
    let (mut child, addr) = spawn_server(&server_path);
    let pid = child.id();
    let code = run(n, seconds, rate, grace, addr, pid, nofile);
    let _ = child.kill();
    let _ = child.wait();
    std::process::exit(code);
}

#[allow(clippy::too_many_lines)]
fn run(
    n: usize,
    seconds: f64,
    rate: f64,
    grace: f64,
    addr: SocketAddr,
    pid: u32,
    nofile: u64,
) -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start the runtime: {e}")));
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    println!(
        "scale: {n} connections x {seconds} s at {rate} msg/s each; server {addr} (pid {pid}, \
         --threads 1); client: tokio multi-thread, {threads} workers; nofile {nofile}"
    );
    runtime.block_on(async move {
        let rss_idle = procfs::rss_kib(pid).unwrap_or(0);
        let request: Arc<[u8]> = client::upgrade_request(addr, "/").into();
        let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
        let (connected_tx, mut connected_rx) = mpsc::unbounded_channel();
        let (plan_tx, plan_rx) = watch::channel(None);
        let connect_started = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|id| {
                tokio::spawn(connection(
                    id,
                    n,
                    addr,
                    Arc::clone(&request),
                    Arc::clone(&gate),
                    connected_tx.clone(),
                    plan_rx.clone(),
                ))
            })
            .collect();
        drop(connected_tx);
        let failed = AtomicUsize::new(0);
        let mut first_error = None;
        let mut done = 0;
        while let Some(result) = connected_rx.recv().await {
            done += 1;
            if let Err(e) = result {
                failed.fetch_add(1, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
            if done == n {
                break;
            }
        }
        let failed = failed.load(Ordering::Relaxed);
        let connect_time = connect_started.elapsed();
        if failed > 0 {
            eprintln!(
                "scale: {failed} of {n} connections failed; first: {}",
                first_error.unwrap_or_default()
            );
            return 1;
        }
        // Let the server settle before reading its memory.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_connected = procfs::rss_kib(pid).unwrap_or(0);
        println!(
            "connected {n} in {:.2} s; server RSS {rss_idle} KiB idle -> {rss_connected} KiB \
             ({:.2} KiB/connection)",
            connect_time.as_secs_f64(),
            (rss_connected as f64 - rss_idle as f64) / n as f64
        );

        let base = Instant::now();
        let start = base + Duration::from_millis(200);
        let end = start + Duration::from_secs_f64(seconds);
        let plan = Plan {
            base,
            start,
            end,
            give_up: end + Duration::from_secs_f64(grace),
            period: Duration::from_secs_f64(1.0 / rate),
        };
        plan_tx.send_replace(Some(plan));
        tokio::time::sleep_until(start.into()).await;
        let cpu_before = CpuSnapshot::take(Some(pid));
        tokio::time::sleep_until(end.into()).await;
        let cpu_after = CpuSnapshot::take(Some(pid));
        let rss_end = procfs::rss_kib(pid).unwrap_or(0);
        let wall = (end - start).as_secs_f64();

        let mut total = Outcome::default();
        let mut errors = 0usize;
        let mut first_errors = Vec::new();
        for task in tasks {
            let out = match task.await {
                Ok(out) => out,
                Err(e) => {
                    errors += 1;
                    first_errors.push(format!("task: {e}"));
                    continue;
                }
            };
            total.sent += out.sent;
            total.received += out.received;
            total.out_of_order += out.out_of_order;
            total.latencies.extend_from_slice(&out.latencies);
            if !out.errors.is_empty() {
                errors += 1;
                if first_errors.len() < 5 {
                    first_errors.extend(out.errors);
                }
            }
        }
        let dropped = total.sent.saturating_sub(total.received);
        total.latencies.sort_unstable();
        let lat = &total.latencies;
        println!(
            "server RSS at end {rss_end} KiB ({:.2} KiB/connection over idle)",
            (rss_end as f64 - rss_idle as f64) / n as f64
        );
        println!(
            "CPU over {wall:.1} s (fraction of one core): server {:.3}, client {:.3}",
            (cpu_after.server - cpu_before.server) / wall,
            (cpu_after.generator - cpu_before.generator) / wall
        );
        println!(
            "messages: sent {}, received {}, dropped {dropped}, out-of-order {} ({:.0} msg/s)",
            total.sent,
            total.received,
            total.out_of_order,
            total.received as f64 / wall
        );
        println!(
            "round trip: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            percentile(lat, 0.50),
            percentile(lat, 0.99),
            percentile(lat, 1.0)
        );
        println!("connections with errors: {errors}");
        for e in &first_errors {
            println!("  {e}");
        }
        let ok = dropped == 0 && total.out_of_order == 0 && errors == 0 && total.sent > 0;
        println!("{}", if ok { "PASS" } else { "FAIL" });
        i32::from(!ok)
    })
}
