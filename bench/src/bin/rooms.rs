//! One chat room of many clients, on one node or spread over nodes that share a Redis:
//! publish-to-delivery latency, loss, duplicates and order at stepped publish rates, with the
//! CPU and memory of every node and of Redis.
//!
//! ```text
//! cargo build --release --example chat_server --features redis
//! cargo build --release -p squall-bench --bin rooms
//! taskset -c 1 target/release/rooms [--setups one,two] [--clients 1000] [--publishers 10]
//!     [--rates 50,100,...] [--start-rate 50] [--max-rate 25600] [--refine 3]
//!     [--step-secs 6] [--warmup-secs 1] [--drain-secs 5] [--p99-ms 100] [--size 150]
//!     [--chat PATH] [--redis-server PATH] [--node-cpu 0] [--redis-cpu 0] [--timeout-secs 1800]
//!     [--rounds 1] [--max-other-cpu 0.3] [--retries 2] [--quiet-wait-secs 20]
//! ```
//!
//! Setups: `one` is one `chat_server` with in-process rooms; `one-redis` one node with
//! `--redis`; `two` two nodes with `--redis` sharing one `redis-server` this bin starts on a
//! free port (no persistence). Nodes and Redis run under `taskset -c 0` (`--node-cpu`,
//! `--redis-cpu`; `none` to leave them unpinned); run the bin itself on another core.
//!
//! Every client joins `/chat/bench` (client `i` on node `i % nodes`, without
//! permessage-deflate); clients `0..publishers` also publish, spread over the nodes. Before the
//! first step each publisher sends probes until every client has seen one from each. Each step
//! then publishes at a total rate R (R / publishers each, phases spread) for the warm-up plus
//! the step; every message reads `p<publisher> <step> <seq> <send micros> ...` padded to
//! `--size` bytes. Every client checks it gets each message of the step exactly once, in order
//! per publisher, and that its order of all messages is the one most clients saw (one order for
//! all); latency is taken for messages sent after the warm-up. CPU (`utime + stime`) and Redis
//! `INFO` counters are read over the measured window, RSS at its end.
//!
//! A step passes when nothing is lost, duplicated or out of order, every complete client saw
//! the same order, no connection failed, and p99 is under `--p99-ms`. The machine may be
//! shared: before each step the bin waits (up to `--quiet-wait-secs`) for a second in which
//! other processes keep fewer than `--max-other-cpu` cores busy (`/proc/stat`, steal time
//! included, less the nodes', Redis's and its own CPU); a step that fails while they kept that
//! much busy during it is run again (up to `--retries` times); each row shows that figure as
//! "other CPU".
//!
//! Without `--rates` the rate doubles from `--start-rate` until a step fails, then `--refine`
//! steps bisect (geometrically) between the last pass and the first failure. Deliveries
//! missing at the end of a step's drain time are counted again before the setup's next step,
//! to tell late from lost. The setups of a round run side by side and their steps alternate,
//! so whatever else runs on the machine falls on all of them; each round prints one markdown
//! table. `--rounds N` runs N rounds and reports, per setup, the median of its highest passing
//! rate over the quiet rounds (those whose steps' median "other CPU" is under
//! `--max-other-cpu`; every round when none is), and the ratios to `one`. Exits 1 when a setup
//! could not run (a node died, clients could not connect or were disconnected) or no rate
//! passed.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use squall_bench::cli::{self, fail, Args};
use squall_bench::client::{self, masked_frame, OP_CLOSE, OP_TEXT};
use squall_bench::procfs;
use squall_bench::rooms::{
    self, info_counters, order_mismatches, resp_command, resp_reply, Histogram, MachineCpu, Tally,
    MAX_PUBLISHERS,
};
use squall_bench::soak::{raise_nofile, take_frames};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Semaphore};

/// Handshakes in flight while connecting.
const CONNECT_CONCURRENCY: usize = 64;
/// The room every client joins.
const ROOM_PATH: &str = "/chat/bench";
/// Longest wait for a child to print its address, for all clients to connect, for every
/// client to see a probe from every publisher.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for one write of a publisher.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between steps.
const SETTLE: Duration = Duration::from_millis(1000);

/// Pids of the children, for the watchdog.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Clone, Copy, Debug)]
struct Setup {
    name: &'static str,
    nodes: usize,
    redis: bool,
}

const SETUPS: [Setup; 3] = [
    Setup {
        name: "one",
        nodes: 1,
        redis: false,
    },
    Setup {
        name: "one-redis",
        nodes: 1,
        redis: true,
    },
    Setup {
        name: "two",
        nodes: 2,
        redis: true,
    },
];

#[derive(Debug)]
struct Config {
    setups: Vec<Setup>,
    clients: usize,
    publishers: usize,
    rates: Option<Vec<f64>>,
    start_rate: f64,
    max_rate: f64,
    refine: u32,
    step: Duration,
    warmup: Duration,
    drain: Duration,
    p99_limit_ms: f64,
    size: usize,
    chat: PathBuf,
    redis_server: PathBuf,
    node_cpu: Option<String>,
    redis_cpu: Option<String>,
    timeout: Duration,
    rounds: usize,
    max_other_cpu: f64,
    retries: u32,
    quiet_wait: Duration,
}

const USAGE: &str = "usage: rooms [--setups one,one-redis,two] [--clients N] [--publishers P] \
    [--rates R,R,...] [--start-rate R] [--max-rate R] [--refine K] [--step-secs S] \
    [--warmup-secs S] [--drain-secs S] [--p99-ms MS] [--size BYTES] [--chat PATH] \
    [--redis-server PATH] [--node-cpu CPUS|none] [--redis-cpu CPUS|none] [--timeout-secs S] [--rounds N] [--max-other-cpu CORES] [--retries N] \
    [--quiet-wait-secs S]";

fn list<T: std::str::FromStr>(args: &Args, name: &str) -> Option<Vec<T>> {
    let value: String = args.get(name)?;
    let items: Result<Vec<T>, _> = value.split(',').map(|s| s.trim().parse()).collect();
    Some(items.unwrap_or_else(|_| fail(&format!("{name}: cannot parse {value:?}"))))
}

fn pin(args: &Args, name: &str) -> Option<String> {
    let value: String = args.get(name).unwrap_or_else(|| "0".to_owned());
    (value != "none").then_some(value)
}

fn config() -> Config {
    let args = Args::from_env();
    let known = [
        "--setups",
        "--clients",
        "--publishers",
        "--rates",
        "--start-rate",
        "--max-rate",
        "--refine",
        "--step-secs",
        "--warmup-secs",
        "--drain-secs",
        "--p99-ms",
        "--size",
        "--chat",
        "--redis-server",
        "--node-cpu",
        "--redis-cpu",
        "--timeout-secs",
        "--rounds",
        "--max-other-cpu",
        "--retries",
        "--quiet-wait-secs",
    ];
    if let Some(unknown) = args.unknown(&known).first() {
        fail(&format!("unknown argument {unknown}; {USAGE}"));
    }
    let setups = list::<String>(&args, "--setups")
        .unwrap_or_else(|| vec!["one".to_owned(), "two".to_owned()])
        .iter()
        .map(|name| {
            SETUPS
                .iter()
                .find(|s| s.name == name)
                .copied()
                .unwrap_or_else(|| fail(&format!("unknown setup {name:?}; {USAGE}")))
        })
        .collect();
    let secs = |name: &str, default: f64| {
        let s: f64 = args.get(name).unwrap_or(default);
        if !(s.is_finite() && s >= 0.0) {
            fail(&format!("{name} must be a duration in seconds"));
        }
        Duration::from_secs_f64(s)
    };
    let chat = args.get::<PathBuf>("--chat").unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap_or_else(|e| fail(&format!("current_exe: {e}")));
        exe.with_file_name("examples").join("chat_server")
    });
    let config = Config {
        setups,
        clients: args.get("--clients").unwrap_or(1000),
        publishers: args.get("--publishers").unwrap_or(10),
        rates: list(&args, "--rates"),
        start_rate: args.get("--start-rate").unwrap_or(50.0),
        max_rate: args.get("--max-rate").unwrap_or(25_600.0),
        refine: args.get("--refine").unwrap_or(3),
        step: secs("--step-secs", 6.0),
        warmup: secs("--warmup-secs", 1.0),
        drain: secs("--drain-secs", 5.0),
        p99_limit_ms: args.get("--p99-ms").unwrap_or(100.0),
        size: args.get("--size").unwrap_or(150),
        chat,
        redis_server: args
            .get("--redis-server")
            .unwrap_or_else(|| PathBuf::from("/usr/bin/redis-server")),
        node_cpu: pin(&args, "--node-cpu"),
        redis_cpu: pin(&args, "--redis-cpu"),
        timeout: secs("--timeout-secs", 1800.0),
        rounds: args.get("--rounds").unwrap_or(1),
        max_other_cpu: args.get("--max-other-cpu").unwrap_or(0.3),
        retries: args.get("--retries").unwrap_or(2),
        quiet_wait: secs("--quiet-wait-secs", 20.0),
    };
    if config.publishers == 0 || config.publishers > MAX_PUBLISHERS.min(config.clients) {
        fail(&format!(
            "--publishers must be 1..={} and at most --clients",
            MAX_PUBLISHERS
        ));
    }
    if config.step.is_zero() || config.start_rate <= 0.0 || config.size > 125_000 {
        fail("--step-secs and --start-rate must be positive, --size at most 125000");
    }
    if config.rounds == 0 {
        fail("--rounds must be at least 1");
    }
    if config
        .rates
        .as_ref()
        .is_some_and(|r| r.iter().any(|&r| r <= 0.0))
    {
        fail("--rates must be positive");
    }
    config
}

/// A child process, killed when dropped.
struct Proc {
    name: String,
    child: Child,
}

impl Proc {
    fn spawn(
        name: &str,
        cpus: Option<&str>,
        program: &Path,
        args: &[String],
    ) -> Result<Self, String> {
        // taskset execs the program, so the child's pid is the program's.
        let mut command = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).arg(program);
                c
            }
            None => Command::new(program),
        };
        let child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        lock(&CHILDREN).push(child.id());
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Drains stdout on a thread; returns the first line that starts with `prefix`, or the
    /// error when none came within `timeout`.
    fn wait_line(&mut self, prefix: &str, timeout: Duration) -> Result<String, String> {
        let stdout = self.child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        let wanted = prefix.to_owned();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with(&wanted) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(line);
                    }
                }
            }
        });
        rx.recv_timeout(timeout).map_err(|_| {
            let status = self
                .exit_status()
                .unwrap_or_else(|| "still running".to_owned());
            format!(
                "{}: no `{prefix}...` line within {timeout:?} ({status})",
                self.name
            )
        })
    }

    /// `Some(status)` once the process has exited.
    fn exit_status(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let pid = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        lock(&CHILDREN).retain(|&p| p != pid);
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A connection to Redis for `PING` and `INFO`.
struct Redis {
    proc: Proc,
    conn: TcpStream,
    buf: Vec<u8>,
}

impl Redis {
    async fn start(config: &Config) -> Result<(Self, u16), String> {
        let port = free_port()?;
        let args = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        .map(str::to_owned);
        let proc = Proc::spawn(
            "redis-server",
            config.redis_cpu.as_deref(),
            &config.redis_server,
            &args,
        )?;
        let deadline = Instant::now() + START_TIMEOUT;
        let conn = loop {
            match TcpStream::connect(("127.0.0.1", port)).await {
                Ok(conn) => break conn,
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("redis-server on port {port}: {e}"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let mut redis = Self {
            proc,
            conn,
            buf: Vec::new(),
        };
        let pong = redis.command(&["PING"]).await?;
        if pong != "PONG" {
            return Err(format!("redis PING answered {pong:?}"));
        }
        Ok((redis, port))
    }

    async fn command(&mut self, args: &[&str]) -> Result<String, String> {
        let io = async {
            self.conn
                .write_all(&resp_command(args))
                .await
                .map_err(|e| format!("redis: {e}"))?;
            self.buf.clear();
            loop {
                if let Some(reply) = resp_reply(&self.buf)? {
                    return Ok(reply);
                }
                if self
                    .conn
                    .read_buf(&mut self.buf)
                    .await
                    .map_err(|e| e.to_string())?
                    == 0
                {
                    return Err("redis closed the connection".to_owned());
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), io)
            .await
            .map_err(|_| format!("redis {args:?}: no reply within 5 s"))?
    }

    async fn counters(&mut self) -> Result<HashMap<String, u64>, String> {
        Ok(info_counters(
            &self.command(&["INFO", "stats", "commandstats"]).await?,
        ))
    }
}

/// A step of publishing: every publisher sends `count` messages, one per `period`.
#[derive(Clone, Copy, Debug)]
struct Plan {
    step: u32,
    start: Instant,
    period: Duration,
    count: u64,
}

/// What the client tasks share with the controller.
struct Shared {
    base: Instant,
    size: usize,
    publishers: usize,
    tallies: Vec<Mutex<Tally>>,
    /// New messages of the current step received, all clients together.
    delivered: AtomicU64,
    /// Per publisher, messages of the current plan written.
    sent: Vec<AtomicU64>,
    errors: Mutex<Vec<String>>,
    error_count: AtomicUsize,
    stopping: AtomicBool,
}

impl Shared {
    fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.base).as_micros() as u64
    }

    fn error(&self, message: String) {
        if self.stopping.load(Ordering::Relaxed) {
            return;
        }
        self.error_count.fetch_add(1, Ordering::Relaxed);
        let mut errors = lock(&self.errors);
        if errors.len() < 10 {
            errors.push(message);
        }
    }
}

/// Writes the plans' messages for `publisher`.
async fn publish(
    publisher: usize,
    mut wr: tokio::net::tcp::OwnedWriteHalf,
    mut plans: watch::Receiver<Option<Plan>>,
    shared: &Shared,
) {
    let offset_share = publisher as f64 / shared.publishers as f64;
    while plans.changed().await.is_ok() {
        let Some(plan) = *plans.borrow_and_update() else {
            continue;
        };
        let first = plan.start + plan.period.mul_f64(offset_share);
        for seq in 0..plan.count {
            tokio::time::sleep_until((first + plan.period.mul_f64(seq as f64)).into()).await;
            let micros = shared.micros(Instant::now());
            let text = rooms::message(publisher, plan.step, seq, micros, shared.size);
            let frame = masked_frame(OP_TEXT, text.as_bytes());
            match tokio::time::timeout(WRITE_TIMEOUT, wr.write_all(&frame)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return shared.error(format!("publisher {publisher}: write: {e}")),
                Err(_) => {
                    return shared.error(format!(
                        "publisher {publisher}: write blocked for {WRITE_TIMEOUT:?}"
                    ))
                }
            }
            shared.sent[publisher].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Reads and checks everything client `id` receives, until the connection ends.
async fn receive(id: usize, mut rd: tokio::net::tcp::OwnedReadHalf, shared: &Shared) {
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.reserve(4096);
        match rd.read_buf(&mut buf).await {
            Ok(0) => return shared.error(format!("client {id}: the server closed the connection")),
            Ok(_) => {}
            Err(e) => return shared.error(format!("client {id}: read: {e}")),
        }
        let now = shared.micros(Instant::now());
        let mut new = 0;
        let mut tally = lock(&shared.tallies[id]);
        tally.reads += 1;
        let result = take_frames(&mut buf, |opcode, payload| match opcode {
            OP_TEXT => {
                tally.frames += 1;
                match rooms::parse(payload) {
                    Some(m) => new += u64::from(tally.record(m, now)),
                    None => tally.malformed += 1,
                }
                Ok(())
            }
            OP_CLOSE => {
                let code = payload
                    .get(..2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]).to_string())
                    .unwrap_or_default();
                let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or_default());
                Err(format!("closed by the server: {code} {reason}"))
            }
            other => Err(format!("unexpected opcode {other:#x}")),
        });
        drop(tally);
        shared.delivered.fetch_add(new, Ordering::Relaxed);
        if let Err(e) = result {
            return shared.error(format!("client {id}: {e}"));
        }
    }
}

/// One client: connect, report, then receive (and publish, for a publisher) until aborted.
async fn connection(
    id: usize,
    addr: SocketAddr,
    gate: Arc<Semaphore>,
    connected: mpsc::UnboundedSender<Result<(), String>>,
    shared: Arc<Shared>,
    plans: Option<watch::Receiver<Option<Plan>>>,
) {
    let request = client::upgrade_request(addr, ROOM_PATH);
    let stream = {
        let _permit = gate.acquire().await;
        tokio::time::timeout(START_TIMEOUT, client::connect(addr, &request)).await
    };
    let stream = match stream {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return drop(connected.send(Err(format!("client {id} to {addr}: {e}")))),
        Err(_) => return drop(connected.send(Err(format!("client {id} to {addr}: timed out")))),
    };
    let _ = connected.send(Ok(()));
    drop(connected);
    let (rd, wr) = stream.into_split();
    match plans {
        Some(plans) => {
            tokio::join!(receive(id, rd, &shared), publish(id, wr, plans, &shared));
        }
        None => {
            receive(id, rd, &shared).await;
            drop(wr);
        }
    }
}

/// CPU seconds of each pid, or 0 when unreadable.
fn cpu(pids: &[u32]) -> Vec<f64> {
    pids.iter()
        .map(|&pid| procfs::cpu_seconds(Some(pid)).unwrap_or(0.0))
        .collect()
}

/// One step's figures.
#[derive(Debug)]
struct StepResult {
    rate: f64,
    delivered_per_sec: f64,
    latency: Histogram,
    /// Deliveries not made by the end of the drain time.
    lost: u64,
    /// Per publisher, messages written.
    expected: Vec<u64>,
    /// When the last message was due.
    sends_end: Instant,
    /// Of `lost`, how many were still missing when checked again (just before the setup's
    /// next step, or at its end), and how long after `sends_end`.
    still_missing: Option<(u64, Duration)>,
    dup: u64,
    reordered: u64,
    unexpected: u64,
    late: u64,
    malformed: u64,
    order_mismatches: usize,
    errors: usize,
    node_cpu: Vec<f64>,
    gen_cpu: f64,
    /// Frames per socket read in the clients.
    frames_per_read: f64,
    /// Cores that processes other than the nodes, Redis and this one kept busy (steal
    /// included).
    other_cpu: Option<f64>,
    redis_cpu: Option<f64>,
    node_rss: Vec<u64>,
    redis_rss: Option<u64>,
    /// Per published message over the window: all commands, then bytes in and out.
    redis_per_msg: Option<(f64, f64, f64)>,
    /// Per published message over the window, by command (INFO excluded).
    redis_calls: BTreeMap<String, f64>,
    drained: bool,
    failures: Vec<&'static str>,
    /// Failed while the machine was busy with other work, and run again.
    retried: bool,
}

impl StepResult {
    fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// CPU of the nodes and Redis together per delivery over the window, µs.
    fn server_us_per_delivery(&self) -> Option<f64> {
        let cores = self.node_cpu.iter().sum::<f64>() + self.redis_cpu.unwrap_or(0.0);
        (self.delivered_per_sec > 0.0).then(|| cores / self.delivered_per_sec * 1e6)
    }
}

/// One setup: its processes, its clients, and where its rate schedule stands.
struct Run<'a> {
    config: &'a Config,
    setup: Setup,
    shared: Arc<Shared>,
    plans: watch::Sender<Option<Plan>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    nodes: Vec<Proc>,
    redis: Option<Redis>,
    schedule: Schedule,
    /// The rate of the next step; `None` once the schedule is done.
    next: Option<f64>,
    /// Retries of the current rate so far.
    retries: u32,
    step: u32,
    steps: Vec<StepResult>,
    /// Why the setup stopped early.
    aborted: Option<String>,
}

impl Drop for Run<'_> {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl<'a> Run<'a> {
    /// Starts Redis and the nodes, connects every client, and waits until each sees every
    /// publisher's probes.
    async fn start(config: &'a Config, setup: Setup) -> Result<Self, String> {
        let (redis, redis_port) = if setup.redis {
            let (redis, port) = Redis::start(config).await?;
            (Some(redis), Some(port))
        } else {
            (None, None)
        };
        let mut nodes = Vec::new();
        let mut addrs = Vec::new();
        for k in 0..setup.nodes {
            let name = format!("{}/node{k}", setup.name);
            let mut args = vec!["--port".to_owned(), "0".to_owned()];
            if let Some(port) = redis_port {
                args.extend(["--redis".to_owned(), format!("redis://127.0.0.1:{port}")]);
                args.extend(["--node".to_owned(), format!("node{k}")]);
            }
            let mut node = Proc::spawn(&name, config.node_cpu.as_deref(), &config.chat, &args)
                .map_err(|e| {
                    format!(
                        "{e}; build it with `cargo build --release --example chat_server \
                         --features redis`"
                    )
                })?;
            let line = node.wait_line("listening on ", START_TIMEOUT)?;
            let addr: SocketAddr = line["listening on ".len()..]
                .trim()
                .parse()
                .map_err(|e| format!("{name}: {line:?}: {e}"))?;
            nodes.push(node);
            addrs.push(addr);
        }
        let redis_desc = match (&redis, redis_port) {
            (Some(r), Some(port)) => {
                format!("; redis-server 127.0.0.1:{port} (pid {})", r.proc.pid())
            }
            _ => String::new(),
        };
        println!(
            "setup {}: {}{redis_desc}",
            setup.name,
            nodes
                .iter()
                .zip(&addrs)
                .map(|(n, a)| format!("{} {a} (pid {})", n.name, n.pid()))
                .collect::<Vec<_>>()
                .join(", ")
        );

        let n = config.clients;
        let shared = Arc::new(Shared {
            base: Instant::now(),
            size: config.size,
            publishers: config.publishers,
            tallies: (0..n).map(|_| Mutex::new(Tally::default())).collect(),
            delivered: AtomicU64::new(0),
            sent: (0..config.publishers).map(|_| AtomicU64::new(0)).collect(),
            errors: Mutex::new(Vec::new()),
            error_count: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        let (plans, plans_rx) = watch::channel(None);
        let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
        let (connected_tx, mut connected_rx) = mpsc::unbounded_channel();
        let connect_started = Instant::now();
        let tasks = (0..n)
            .map(|id| {
                let publisher = id < config.publishers;
                tokio::spawn(connection(
                    id,
                    addrs[id % addrs.len()],
                    Arc::clone(&gate),
                    connected_tx.clone(),
                    Arc::clone(&shared),
                    publisher.then(|| plans_rx.clone()),
                ))
            })
            .collect();
        drop(connected_tx);
        drop(plans_rx);
        let mut schedule = Schedule::new(config);
        let mut run = Self {
            config,
            setup,
            shared,
            plans,
            tasks,
            nodes,
            redis,
            next: schedule.next_rate(),
            schedule,
            retries: 0,
            step: 1,
            steps: Vec::new(),
            aborted: None,
        };
        let wait_all = async {
            for _ in 0..n {
                match connected_rx.recv().await {
                    Some(Ok(())) => {}
                    Some(Err(e)) => return Err(e),
                    None => return Err("a client task ended before connecting".to_owned()),
                }
            }
            Ok(())
        };
        tokio::time::timeout(START_TIMEOUT, wait_all)
            .await
            .map_err(|_| format!("{n} clients did not connect within {START_TIMEOUT:?}"))??;
        let connected = connect_started.elapsed();
        run.probe().await?;
        println!(
            "setup {}: {n} clients connected in {:.2} s, every one has seen every publisher's probe",
            setup.name,
            connected.as_secs_f64()
        );
        Ok(run)
    }

    /// Whether the setup has steps left.
    fn running(&self) -> bool {
        self.next.is_some() && self.aborted.is_none()
    }

    /// Runs the next step (waiting for a quiet machine first) and prints its row; a failure
    /// while other processes were busy is retried, up to `--retries` times.
    async fn advance(&mut self) {
        let Some(rate) = self.next else { return };
        let config = self.config;
        self.wait_quiet().await;
        let mut result = match self.step(self.step, rate).await {
            Ok(result) => result,
            Err(e) => {
                self.aborted = Some(e);
                return;
            }
        };
        self.step += 1;
        let errors = result.errors;
        let drained = result.drained;
        let noisy = result.other_cpu.is_some_and(|o| o >= config.max_other_cpu);
        // A failure while other processes took the machine says little: run it again.
        result.retried = !result.passed() && noisy && errors == 0 && self.retries < config.retries;
        println!("{}", row(self.setup.name, &result));
        if result.retried {
            self.retries += 1;
        } else {
            self.retries = 0;
            self.schedule.record(rate, result.passed());
            self.next = self.schedule.next_rate();
        }
        self.steps.push(result);
        if let Err(e) = self.alive() {
            self.aborted = Some(e);
        } else if errors > 0 {
            self.aborted = Some(format!(
                "{errors} connection error(s): {}",
                lock(&self.shared.errors).join("; ")
            ));
        } else if !drained {
            // Let a backlog clear before the next step.
            tokio::time::sleep(config.drain).await;
        }
        tokio::time::sleep(SETTLE).await;
    }

    /// CPU seconds of the nodes, Redis and this process together.
    fn our_cpu(&self) -> f64 {
        let mut pids: Vec<u32> = self.nodes.iter().map(Proc::pid).collect();
        pids.extend(self.redis.as_ref().map(|r| r.proc.pid()));
        cpu(&pids).iter().sum::<f64>() + procfs::cpu_seconds(None).unwrap_or(0.0)
    }

    /// Waits (at most `--quiet-wait-secs`) for a second during which other processes kept
    /// less than `--max-other-cpu` cores busy; returns the last such figure.
    async fn wait_quiet(&self) -> Option<f64> {
        let deadline = Instant::now() + self.config.quiet_wait;
        loop {
            let (machine, ours) = (MachineCpu::now(), self.our_cpu());
            tokio::time::sleep(Duration::from_secs(1)).await;
            let other = other_cpu(machine, MachineCpu::now(), self.our_cpu() - ours, 1.0);
            if other.is_none_or(|o| o < self.config.max_other_cpu) || Instant::now() > deadline {
                return other;
            }
        }
    }

    fn alive(&mut self) -> Result<(), String> {
        for node in &mut self.nodes {
            if let Some(status) = node.exit_status() {
                return Err(format!("{} exited: {status}", node.name));
            }
        }
        if let Some(redis) = &mut self.redis {
            if let Some(status) = redis.proc.exit_status() {
                return Err(format!("redis-server exited: {status}"));
            }
        }
        Ok(())
    }

    /// Every publisher sends probes until every client has seen one from each.
    async fn probe(&mut self) -> Result<(), String> {
        let all = if self.shared.publishers == 64 {
            u64::MAX
        } else {
            (1u64 << self.shared.publishers) - 1
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let plan = Plan {
                step: 0,
                start: Instant::now(),
                period: Duration::ZERO,
                count: 1,
            };
            self.plans.send_replace(Some(plan));
            tokio::time::sleep(Duration::from_millis(200)).await;
            let ready = self
                .shared
                .tallies
                .iter()
                .filter(|t| lock(t).probes == all)
                .count();
            if ready == self.shared.tallies.len() {
                return Ok(());
            }
            self.alive()?;
            if Instant::now() > deadline {
                return Err(format!(
                    "after {START_TIMEOUT:?} only {ready} of {} clients had a probe from every \
                     publisher",
                    self.shared.tallies.len()
                ));
            }
        }
    }

    /// Counts again, before the tallies move on, the deliveries the last step missed at its
    /// end: late ones have arrived since.
    fn recheck(&mut self) {
        let Some(last) = self.steps.last_mut() else {
            return;
        };
        if last.lost == 0 || last.still_missing.is_some() {
            return;
        }
        let missing = self
            .shared
            .tallies
            .iter()
            .map(|t| lock(t).missing_and_unexpected(&last.expected).0)
            .sum();
        last.still_missing = Some((missing, last.sends_end.elapsed()));
    }

    /// At the end: waits the drain time once more for a last step that lost messages, then
    /// counts them again.
    async fn finish(&mut self) {
        if self.steps.last().is_some_and(|s| s.lost > 0) {
            tokio::time::sleep(self.config.drain).await;
        }
        self.recheck();
    }

    #[allow(clippy::too_many_lines)]
    async fn step(&mut self, step: u32, rate: f64) -> Result<StepResult, String> {
        self.recheck();
        let config = self.config;
        let shared = Arc::clone(&self.shared);
        let n = shared.tallies.len() as u64;
        let publishers = shared.publishers;
        let per_publisher = rate / publishers as f64;
        let period = Duration::from_secs_f64(1.0 / per_publisher);
        let count =
            ((per_publisher * (config.warmup + config.step).as_secs_f64()).round() as u64).max(1);
        let start = Instant::now() + Duration::from_millis(100);
        let window_start = start + config.warmup;
        let window_end = window_start + config.step;
        let sends_end = start + period.mul_f64(count as f64);
        for tally in &shared.tallies {
            let window = (shared.micros(window_start), shared.micros(window_end));
            lock(tally).reset(step, publishers, window);
        }
        shared.delivered.store(0, Ordering::Relaxed);
        for sent in &shared.sent {
            sent.store(0, Ordering::Relaxed);
        }
        let errors_before = shared.error_count.load(Ordering::Relaxed);
        let node_pids: Vec<u32> = self.nodes.iter().map(Proc::pid).collect();
        let redis_pid = self.redis.as_ref().map(|r| r.proc.pid());
        self.plans.send_replace(Some(Plan {
            step,
            start,
            period,
            count,
        }));

        tokio::time::sleep_until(window_start.into()).await;
        let info_before = match &mut self.redis {
            Some(redis) => Some(redis.counters().await?),
            None => None,
        };
        let machine_before = MachineCpu::now();
        let ours_before = self.our_cpu();
        let nodes_before = cpu(&node_pids);
        let gen_before = procfs::cpu_seconds(None).unwrap_or(0.0);
        let redis_before = redis_pid.map(|pid| cpu(&[pid])[0]);
        tokio::time::sleep_until(window_end.into()).await;
        let machine_after = MachineCpu::now();
        let ours_after = self.our_cpu();
        let nodes_after = cpu(&node_pids);
        let gen_after = procfs::cpu_seconds(None).unwrap_or(0.0);
        let redis_after = redis_pid.map(|pid| cpu(&[pid])[0]);
        let info_after = match &mut self.redis {
            Some(redis) => Some(redis.counters().await?),
            None => None,
        };
        let wall = config.step.as_secs_f64();
        let node_rss: Vec<u64> = node_pids
            .iter()
            .map(|&pid| procfs::rss_kib(pid).unwrap_or(0))
            .collect();
        let redis_rss = redis_pid.map(|pid| procfs::rss_kib(pid).unwrap_or(0));

        // Wait until every message was written and delivered to every client, or the drain
        // time is over.
        let deadline = sends_end.max(window_end) + config.drain;
        let drained = loop {
            let sent: u64 = shared.sent.iter().map(|s| s.load(Ordering::Relaxed)).sum();
            let done = sent == count * publishers as u64
                && shared.delivered.load(Ordering::Relaxed) == sent * n;
            if done {
                break true;
            }
            if Instant::now() > deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let expected: Vec<u64> = shared
            .sent
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .collect();

        let mut latency = Histogram::default();
        let (mut lost, mut dup, mut reordered, mut unexpected, mut late, mut malformed) =
            (0, 0, 0, 0, 0, 0);
        let mut hashes = Vec::with_capacity(shared.tallies.len());
        let (mut reads, mut frames) = (0, 0);
        for tally in &shared.tallies {
            let tally = lock(tally);
            reads += tally.reads;
            frames += tally.frames;
            let (missing, beyond) = tally.missing_and_unexpected(&expected);
            lost += missing;
            unexpected += beyond;
            dup += tally.duplicates;
            reordered += tally.reordered;
            late += tally.late;
            malformed += tally.malformed;
            latency.merge(&tally.latency);
            if missing == 0 && beyond == 0 {
                hashes.push(tally.order_hash);
            }
        }
        let order_mismatches = order_mismatches(&hashes);
        let errors = shared.error_count.load(Ordering::Relaxed) - errors_before;

        let mut redis_per_msg = None;
        let mut redis_calls = BTreeMap::new();
        if let (Some(before), Some(after)) = (&info_before, &info_after) {
            // Messages published in the window, from the schedule.
            let published = rate * wall;
            let delta = |key: &str| {
                after.get(key).copied().unwrap_or(0) as f64
                    - before.get(key).copied().unwrap_or(0) as f64
            };
            // Less the INFO that took the first snapshot.
            let commands = delta("total_commands_processed") - 1.0;
            redis_per_msg = Some((
                commands / published,
                delta("total_net_input_bytes") / published,
                delta("total_net_output_bytes") / published,
            ));
            for key in after.keys().filter(|k| k.starts_with("calls.")) {
                let calls = delta(key);
                if key != "calls.info" && calls > 0.0 {
                    redis_calls.insert(key["calls.".len()..].to_owned(), calls / published);
                }
            }
        }
        let p99_ms = latency
            .quantile(0.99)
            .map_or(f64::INFINITY, |v| v as f64 / 1000.0);
        let mut failures = Vec::new();
        for (bad, what) in [
            (lost > 0, "lost"),
            (dup > 0, "dup"),
            (reordered > 0, "order"),
            (unexpected + malformed > 0, "unexpected"),
            (order_mismatches > 0, "one-order"),
            (errors > 0, "errors"),
            (p99_ms >= config.p99_limit_ms, "p99"),
        ] {
            if bad {
                failures.push(what);
            }
        }
        Ok(StepResult {
            rate,
            delivered_per_sec: latency.count() as f64 / wall,
            latency,
            lost,
            expected,
            sends_end,
            still_missing: None,
            dup,
            reordered,
            unexpected,
            late,
            malformed,
            order_mismatches,
            errors,
            node_cpu: nodes_after
                .iter()
                .zip(&nodes_before)
                .map(|(a, b)| (a - b) / wall)
                .collect(),
            gen_cpu: (gen_after - gen_before) / wall,
            frames_per_read: frames as f64 / reads.max(1) as f64,
            other_cpu: other_cpu(
                machine_before,
                machine_after,
                ours_after - ours_before,
                wall,
            ),
            redis_cpu: redis_after.zip(redis_before).map(|(a, b)| (a - b) / wall),
            node_rss,
            redis_rss,
            redis_per_msg,
            redis_calls,
            drained,
            failures,
            retried: false,
        })
    }
}

/// Cores kept busy by other processes: the machine's busy cores less `ours` CPU seconds.
fn other_cpu(
    before: Option<MachineCpu>,
    after: Option<MachineCpu>,
    ours: f64,
    wall: f64,
) -> Option<f64> {
    let busy = after?.busy_cores_since(&before?);
    Some((busy - ours / wall).max(0.0))
}

fn ms(micros: Option<u64>) -> String {
    micros.map_or_else(|| "-".to_owned(), |v| format!("{:.2}", v as f64 / 1000.0))
}

fn joined(values: &[f64], digits: usize) -> String {
    values
        .iter()
        .map(|v| format!("{v:.digits$}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

const TABLE_HEAD: &str =
    "| setup | R msg/s | delivered/s | p50 ms | p99 ms | max ms | lost | dup | \
    reordered | order ≠ | node CPU | Redis CPU | µs/deliv | frames/read | gen CPU | \
    other CPU | node RSS MiB | Redis RSS MiB | Redis cmds/msg | Redis out B/msg | result |\n\
    |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|";

fn row(setup: &str, r: &StepResult) -> String {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let result = match (r.passed(), r.retried) {
        (true, _) => "pass".to_owned(),
        (false, false) => format!("FAIL ({})", r.failures.join(", ")),
        (false, true) => format!("FAIL ({}), machine busy: retried", r.failures.join(", ")),
    };
    format!(
        "| {setup} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.2} | {} | {} | {} | {} | {} | {result} |",
        r.rate,
        r.delivered_per_sec,
        ms(r.latency.quantile(0.50)),
        ms(r.latency.quantile(0.99)),
        ms((r.latency.count() > 0).then(|| r.latency.max())),
        r.lost,
        r.dup,
        r.reordered,
        r.order_mismatches,
        joined(&r.node_cpu, 2),
        r.redis_cpu.map_or_else(|| "-".to_owned(), |c| format!("{c:.2}")),
        r.server_us_per_delivery()
            .map_or_else(|| "-".to_owned(), |c| format!("{c:.1}")),
        r.frames_per_read,
        r.gen_cpu,
        r.other_cpu
            .map_or_else(|| "-".to_owned(), |c| format!("{c:.2}")),
        joined(&r.node_rss.iter().map(|&k| mib(k)).collect::<Vec<_>>(), 1),
        r.redis_rss.map_or_else(|| "-".to_owned(), |k| format!("{:.1}", mib(k))),
        r.redis_per_msg.map_or_else(|| "-".to_owned(), |(c, _, _)| format!("{c:.2}")),
        r.redis_per_msg.map_or_else(|| "-".to_owned(), |(_, _, o)| format!("{o:.0}")),
    )
}

/// The rates a setup tries: doubling (or the `--rates` list) until the first failure,
/// then up to `--refine` geometric bisections.
struct Schedule {
    list: Vec<f64>,
    next: usize,
    refine_left: u32,
    pass: Option<f64>,
    fail: Option<f64>,
}

impl Schedule {
    fn new(config: &Config) -> Self {
        let list = config.rates.clone().unwrap_or_else(|| {
            std::iter::successors(Some(config.start_rate), |r| Some(r * 2.0))
                .take_while(|&r| r <= config.max_rate)
                .collect()
        });
        Self {
            list,
            next: 0,
            refine_left: config.refine,
            pass: None,
            fail: None,
        }
    }

    fn record(&mut self, rate: f64, passed: bool) {
        if passed {
            self.pass = Some(self.pass.map_or(rate, |p: f64| p.max(rate)));
        } else {
            self.fail = Some(self.fail.map_or(rate, |f: f64| f.min(rate)));
        }
    }

    fn next_rate(&mut self) -> Option<f64> {
        if self.fail.is_none() {
            let rate = self.list.get(self.next).copied();
            self.next += 1;
            return rate;
        }
        if self.refine_left == 0 {
            return None;
        }
        self.refine_left -= 1;
        let fail = self.fail?;
        let rate = match self.pass {
            // Round to 10 msg/s: finer is below the noise.
            Some(pass) => ((pass * fail).sqrt() / 10.0).round() * 10.0,
            None => (fail / 20.0).round() * 10.0,
        };
        let above_pass = self.pass.is_none_or(|p| rate > p);
        (rate >= 10.0 && rate < fail && above_pass).then_some(rate)
    }
}

fn details(setup: &str, steps: &[StepResult]) {
    for r in steps {
        let mut notes = Vec::new();
        if !r.redis_calls.is_empty() {
            let calls: Vec<String> = r
                .redis_calls
                .iter()
                .map(|(name, per)| format!("{name} {per:.2}"))
                .collect();
            let (_, bytes_in, bytes_out) = r.redis_per_msg.unwrap_or_default();
            notes.push(format!(
                "Redis per message: {}; {bytes_in:.0} B in, {bytes_out:.0} B out",
                calls.join(", ")
            ));
        }
        if r.unexpected + r.malformed + r.late > 0 {
            notes.push(format!(
                "unexpected {}, malformed {}, late from an earlier step {}",
                r.unexpected, r.malformed, r.late
            ));
        }
        if r.lost > 0 {
            let later = match r.still_missing {
                Some((0, after)) => format!(
                    "all of them had arrived {:.0} s after it (late, not lost)",
                    after.as_secs_f64()
                ),
                Some((m, after)) => {
                    format!(
                        "{m} were still missing {:.0} s after it",
                        after.as_secs_f64()
                    )
                }
                None => "not checked again".to_owned(),
            };
            notes.push(format!(
                "{} deliveries missing at the end of the drain time after the last send; {later}",
                r.lost
            ));
        } else if !r.drained {
            notes.push("not all deliveries arrived within the drain time".to_owned());
        }
        if r.errors > 0 {
            notes.push(format!("{} connection errors", r.errors));
        }
        if !notes.is_empty() {
            println!("- {setup} R={:.0}: {}", r.rate, notes.join("; "));
        }
    }
}

/// The median of the rounds' figures, a round without one counting as the lowest.
fn median(values: &[Option<f64>]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().map(|v| v.unwrap_or(0.0)).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let m = match n {
        0 => return None,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    (m > 0.0).then_some(m)
}

fn main() {
    let config = config();
    let wanted = config.clients as u64 + 256;
    let nofile = raise_nofile(wanted);
    if nofile < wanted {
        eprintln!("rooms: warning: open-file limit {nofile} < {wanted} needed");
    }
    let timeout = config.timeout;
    std::thread::spawn(move || {
        std::thread::sleep(timeout);
        eprintln!("rooms: still running after {timeout:?}; killing the children and giving up");
        for pid in lock(&CHILDREN).iter() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        std::process::exit(1);
    });
    let affinity = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "rooms: {} clients, {} publishers, room {ROOM_PATH}; nodes on CPU {}, Redis on CPU {}, \
         this generator on CPU {affinity} (current-thread runtime); nofile {nofile}; loadavg {}",
        config.clients,
        config.publishers,
        config.node_cpu.as_deref().unwrap_or("any"),
        config.redis_cpu.as_deref().unwrap_or("any"),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let runtime = cli::runtime();
    // Highest passing rate per setup, one entry per round.
    let mut maxes: Vec<(&str, Vec<Option<f64>>)> =
        config.setups.iter().map(|s| (s.name, Vec::new())).collect();
    // Per round, whether other processes left the machine quiet enough to count it.
    let mut quiet_rounds = Vec::new();
    let mut code = 0;
    for round in 1..=config.rounds {
        println!("\n## round {round} of {}\n", config.rounds);
        // Every setup is started, then their steps alternate: whatever else runs on the
        // machine meanwhile falls on all of them alike.
        let mut runs = Vec::new();
        for (i, &setup) in config.setups.iter().enumerate() {
            match runtime.block_on(Run::start(&config, setup)) {
                Ok(run) => runs.push((i, run)),
                Err(e) => {
                    println!("setup {} failed to start: {e}", setup.name);
                    code = 1;
                    maxes[i].1.push(None);
                }
            }
        }
        println!(
            "\n{} publishers; each step: warm-up {:?} + measured {:?}, {} B messages\n",
            config.publishers, config.warmup, config.step, config.size
        );
        println!("{TABLE_HEAD}");
        runtime.block_on(async {
            while runs.iter().any(|(_, run)| run.running()) {
                for (_, run) in &mut runs {
                    if run.running() {
                        run.advance().await;
                    }
                }
            }
            for (_, run) in &mut runs {
                run.finish().await;
            }
        });
        println!();
        let others: Vec<Option<f64>> = runs
            .iter()
            .flat_map(|(_, run)| run.steps.iter().map(|s| s.other_cpu))
            .collect();
        let busy = median(&others).unwrap_or(0.0);
        let quiet = busy < config.max_other_cpu;
        println!(
            "round {round}: other processes kept {busy:.2} cores busy (median over its steps){}",
            if quiet {
                ""
            } else {
                "; a busy round, left out of the medians below"
            }
        );
        quiet_rounds.push(quiet);
        for (i, run) in runs {
            let name = run.setup.name;
            details(name, &run.steps);
            if let Some(why) = &run.aborted {
                println!("setup {name} stopped: {why}");
                code = 1;
            }
            let first_fail = run
                .steps
                .iter()
                .filter(|s| !s.passed() && !s.retried)
                .map(|s| s.rate)
                .reduce(f64::min);
            let best = run.schedule.pass;
            println!(
                "{name}: highest passing R {} msg/s{}",
                best.map_or_else(|| "none".to_owned(), |r| format!("{r:.0}")),
                first_fail.map_or_else(
                    || "; no step failed (raise --max-rate)".to_owned(),
                    |f| format!(", lowest failing {f:.0}")
                )
            );
            if best.is_none() {
                code = 1;
            }
            maxes[i].1.push(best);
            // Dropping the run stops its clients and kills its processes.
            drop(run);
        }
    }
    println!(
        "\n## summary: highest R with nothing lost, duplicated or out of order and p99 < {} ms\n",
        config.p99_limit_ms
    );
    // The medians count the quiet rounds, or every round when none was quiet.
    let counted = |i: usize| quiet_rounds[i] || !quiet_rounds.contains(&true);
    let rate = |r: &Option<f64>| r.map_or_else(|| "none".to_owned(), |r| format!("{r:.0}"));
    let by_round = |values: Vec<String>| {
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| if counted(i) { v } else { format!("({v})") })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut medians = HashMap::new();
    for (name, rounds) in &maxes {
        let kept: Vec<Option<f64>> = (0..rounds.len())
            .filter(|&i| counted(i))
            .map(|i| rounds[i])
            .collect();
        let median = median(&kept);
        println!(
            "{name}: {} msg/s{} ({} deliveries/s)",
            by_round(rounds.iter().map(rate).collect()),
            if rounds.len() > 1 {
                format!(" by round, median {}", rate(&median))
            } else {
                String::new()
            },
            median.map_or(0.0, |r| r * config.clients as f64)
        );
        medians.insert(*name, (median, rounds.clone()));
    }
    if let Some((one, one_rounds)) = medians.get("one") {
        for other in ["one-redis", "two"] {
            let Some((x, x_rounds)) = medians.get(other) else {
                continue;
            };
            let ratios = one_rounds
                .iter()
                .zip(x_rounds)
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => format!("{:.2}", b / a),
                    _ => "-".to_owned(),
                })
                .collect::<Vec<_>>();
            let of_medians = match (one, x) {
                (Some(a), Some(b)) => format!("{:.2}", b / a),
                _ => "-".to_owned(),
            };
            println!(
                "ratio {other} / one: {of_medians}{}",
                if ratios.len() > 1 {
                    format!(" (of the medians; by round {})", by_round(ratios))
                } else {
                    String::new()
                }
            );
        }
    }
    if quiet_rounds.contains(&false) {
        println!("(in parentheses: busy rounds, not counted)");
    }
    std::process::exit(code);
}
