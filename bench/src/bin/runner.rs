//! Runs every cell against every server and prints one markdown table.
//!
//! ```text
//! runner --bin-dir target/release --squall target/release/examples/echo_server
//!        [--rounds 1] [--warmup 0.5] [--duration 3] [--slices 24] [--idle-conns 10000]
//!        [--handshake-concurrency 32] [--server-core 0]
//!        [--servers squall,tokio-tungstenite,...] [--cells 1c16,100c16,...|h2]
//!        [--baseline OTHER_SQUALL_ECHO_SERVER]
//!        [--node node] [--node-script bench/node/echo_ws.js]
//!        [--python target/interop-venv/bin/python]
//!        [--memory-script bench/python/deflate_memory_client.py] [--deflate-mem-conns 2000]
//!        [--client-level 6] [--chart results.svg]
//! runner --chart-from saved-run.md --chart results.svg [--chart-title TEXT]
//! ```
//! `--chart` also draws the main table as an SVG chart (each cell's figures relative to its
//! best server, [`squall_bench::chart`]); `--chart-from` draws it from the output of an
//! earlier run instead of running.
//! `--baseline` adds a `squall-baseline` column: another build of squall's echo server, run
//! in the same rounds, for before/after comparisons of an optimisation under the same noise.
//!
//! Servers are started as `taskset -c CORE prlimit --nofile=HARD -- SERVER --port PORT`
//! (soft file limit raised to the hard one, which `bench/run.sh` raises to 65536 when it
//! may); the runner itself is the load generator, so start it on the other core
//! (`bench/run.sh` does).
//!
//! - **Echo and handshake cells** start every server of the cell at once (and open each
//!   one's echo connections). After a warm-up per server, the counted time (`--duration`) is
//!   split into `--slices` slices per server, taken in turn (server A, B, C, ..., A, B, C,
//!   ...), each pass starting with the next server. A slice switches its server's load on,
//!   counts, and switches it off once every echo or handshake in flight is done, so only one
//!   server works at a time. A figure is the upper quartile of its server's slices.
//!   Background load on a shared machine drifts over seconds; interleaved slices spread it
//!   over every server alike, where one run after another hands it to whichever server ran
//!   during it.
//! - **The two ratios.** `squall ÷ best` divides squall's figure by the best library's.
//!   `paired` takes, for each library, the median over every pass of every round of
//!   squall's slice rate over that library's slice rate in the same pass (two slices
//!   measured next to each other in time, so load that drifts between passes divides out,
//!   where it can still tilt the ratio of two upper quartiles), and shows the lowest of the
//!   libraries'. A second table gives that median against every server of the run one by
//!   one: the baseline's is a before/after in one figure per cell, and the near-free echo's
//!   shows how far the machine's noise moves a ratio.
//! - **Idle memory** gets a fresh server process per figure, one after another.
//! - **Chat and deflate cells** (`chat100`, `dchat1`, `dchat100`, `d64k1`, `d64k100`) are
//!   sliced like the echo cells, with yawc's client as the load ([`squall_bench::chat`]);
//!   the deflate ones run the servers with permessage-deflate only (started with
//!   `--deflate`), and the runner also reports the bytes on the wire per payload byte in
//!   each direction, and marks a figure whose generator was at its core's limit
//!   (`--client-level 1` makes the client compress at zlib level 1, a cheaper generator,
//!   to see whether such a figure moves). The
//!   deflate memory cell (`dmem`) gets a fresh server per figure, like idle memory, and
//!   Python `websockets`' default client as the load.
//! - **HTTP/2 cells** (the group `--cells h2` runs; not in the default set) run the servers
//!   with WebSockets over HTTP/2 (RFC 8441) in cleartext with prior knowledge: squall
//!   (started with `--h2c`) and axum. The echo ones (`h2x1c16`, `h2c16`, `h2x1c1k`, `h2c1k`,
//!   `h2x1c64k`, `h2c64k`) are the echo cells with 100 WebSockets opened by extended CONNECT,
//!   all on one HTTP/2 connection (`h2x1`) or one on each of 100 (`h2c`), sliced and paired
//!   the same way ([`squall_bench::http2`]); `h21m` is `1m` on one HTTP/2 stream. The open cells time opening one WebSocket at a
//!   time, the 2nd..100th on one HTTP/2 connection (`h2open`) against a fresh TCP connection
//!   with the HTTP/1.1 upgrade each (`h1open`, on the same servers), in µs: each slice's
//!   median open, and the figure the slices' lower quartile ([`squall_bench::open`]).
//!
//! With several rounds each figure is the best one seen, and each round starts each cell
//! with another server.

use std::collections::HashMap;
use std::io;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use squall_bench::chart::{Row, Table};
use squall_bench::chat::{self, ChatCell, ChatLoad, Payloads, WireBytes};
use squall_bench::cli::{self, Args};
use squall_bench::echo::{EchoCell, EchoLoad, Transport};
use squall_bench::load::{self, CpuUse, HandshakeLoad};
use squall_bench::open::OpenLoad;
use squall_bench::procfs;

/// Servers, in table order: squall, the libraries, the ceiling.
const SERVERS: [&str; 9] = [
    "squall",
    "tokio-tungstenite",
    "fastwebsockets",
    "yawc",
    "sockudo-ws",
    "tokio-websockets",
    "axum",
    "node-ws",
    "near-free",
];
/// The libraries squall is compared with.
const LIBRARIES: [&str; 7] = [
    "tokio-tungstenite",
    "fastwebsockets",
    "yawc",
    "sockudo-ws",
    "tokio-websockets",
    "axum",
    "node-ws",
];
/// The servers with permessage-deflate (tokio-tungstenite, fastwebsockets and
/// tokio-websockets have none on the server side; the near-free echo has no extensions).
const DEFLATE_SERVERS: [&str; 5] = ["squall", "squall-baseline", "yawc", "sockudo-ws", "node-ws"];
/// The servers with WebSockets over HTTP/2 (RFC 8441) in cleartext with prior knowledge:
/// squall (started with `--h2c`) and axum (always).
const H2_SERVERS: [&str; 3] = ["squall", "squall-baseline", "axum"];
/// The `--cells` name of every cell of the HTTP/2 group ([`Kind::http2`]).
const H2_GROUP: &str = "h2";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Messages per second.
    Msgs {
        conns: usize,
        size: usize,
        depth: usize,
        text: bool,
        transport: Transport,
    },
    /// Payload MB (10^6 bytes) per second, one WebSocket.
    Throughput { size: usize, transport: Transport },
    /// KiB of server RSS per idle connection; lower is better.
    Idle,
    /// Handshakes per second.
    Handshakes,
    /// Messages per second from yawc's client, one in flight per connection, chat-like
    /// JSON or large text, with or without permessage-deflate; the bytes on the wire too.
    Chat {
        conns: usize,
        payloads: Payloads,
        deflate: bool,
    },
    /// KiB of server RSS per connection that exchanged one compressed message with Python
    /// `websockets`' default client; lower is better.
    DeflateMemory,
    /// µs to open one WebSocket, one at a time: the 2nd to the 100th on one HTTP/2
    /// connection, or each on a fresh TCP connection with the HTTP/1.1 upgrade
    /// ([`squall_bench::open`]); lower is better.
    Open { transport: Transport },
}

impl Kind {
    /// Whether the cell needs the server's permessage-deflate.
    fn deflate(self) -> bool {
        matches!(self, Self::Chat { deflate: true, .. } | Self::DeflateMemory)
    }

    /// Whether a lower figure is better (memory, time).
    fn lower_is_better(self) -> bool {
        matches!(self, Self::Idle | Self::DeflateMemory | Self::Open { .. })
    }

    /// Whether the cell is of the HTTP/2 group: run on the servers with RFC 8441 only,
    /// squall with `--h2c`. The HTTP/1.1 open cell is too, for the same servers both ways.
    fn http2(self) -> bool {
        matches!(
            self,
            Self::Msgs {
                transport: Transport::Http2 { .. },
                ..
            } | Self::Throughput {
                transport: Transport::Http2 { .. },
                ..
            } | Self::Open { .. }
        )
    }
}

struct Cell {
    id: &'static str,
    label: &'static str,
    kind: Kind,
}

fn cells() -> Vec<Cell> {
    let msgs = |conns, size, depth| Kind::Msgs {
        conns,
        size,
        depth,
        text: false,
        transport: Transport::Http1,
    };
    // 100 WebSockets over HTTP/2, `per_conn` on each connection, one message in flight each.
    let h2 = |size, per_conn| Kind::Msgs {
        conns: 100,
        size,
        depth: 1,
        text: false,
        transport: Transport::Http2 { per_conn },
    };
    let chat = |conns, payloads, deflate| Kind::Chat {
        conns,
        payloads,
        deflate,
    };
    vec![
        Cell {
            id: "1c16",
            label: "1 conn, 16 B",
            kind: msgs(1, 16, 1),
        },
        Cell {
            id: "100c16",
            label: "100 conns, 16 B",
            kind: msgs(100, 16, 1),
        },
        Cell {
            id: "1c1k",
            label: "1 conn, 1 KiB",
            kind: msgs(1, 1024, 1),
        },
        Cell {
            id: "100c1k",
            label: "100 conns, 1 KiB",
            kind: msgs(100, 1024, 1),
        },
        Cell {
            id: "1c64k",
            label: "1 conn, 64 KiB",
            kind: msgs(1, 64 << 10, 1),
        },
        Cell {
            id: "100c64k",
            label: "100 conns, 64 KiB",
            kind: msgs(100, 64 << 10, 1),
        },
        Cell {
            id: "100c64kt",
            label: "100 conns, 64 KiB text",
            kind: Kind::Msgs {
                conns: 100,
                size: 64 << 10,
                depth: 1,
                text: true,
                transport: Transport::Http1,
            },
        },
        Cell {
            id: "100c16d16",
            label: "100 conns, 16 B, 16 in flight per conn",
            kind: msgs(100, 16, 16),
        },
        Cell {
            id: "1m",
            label: "1 MiB messages, 1 conn",
            kind: Kind::Throughput {
                size: 1 << 20,
                transport: Transport::Http1,
            },
        },
        Cell {
            id: "16m",
            label: "16 MiB messages, 1 conn",
            kind: Kind::Throughput {
                size: 16 << 20,
                transport: Transport::Http1,
            },
        },
        Cell {
            id: "idle",
            label: "memory per idle connection",
            kind: Kind::Idle,
        },
        Cell {
            id: "handshake",
            label: "handshakes per second",
            kind: Kind::Handshakes,
        },
        Cell {
            id: "chat100",
            label: "100 conns, chat JSON, no deflate",
            kind: chat(100, Payloads::Chat, false),
        },
        Cell {
            id: "dchat1",
            label: "deflate: 1 conn, chat JSON",
            kind: chat(1, Payloads::Chat, true),
        },
        Cell {
            id: "dchat100",
            label: "deflate: 100 conns, chat JSON",
            kind: chat(100, Payloads::Chat, true),
        },
        Cell {
            id: "d64k1",
            label: "deflate: 1 conn, 64 KiB text",
            kind: chat(1, Payloads::Text(64 << 10), true),
        },
        Cell {
            id: "d64k100",
            label: "deflate: 100 conns, 64 KiB text",
            kind: chat(100, Payloads::Text(64 << 10), true),
        },
        Cell {
            id: "dmem",
            label: "deflate: memory per connection",
            kind: Kind::DeflateMemory,
        },
        Cell {
            id: "h2x1c16",
            label: "HTTP/2: 100 WebSockets on 1 conn, 16 B",
            kind: h2(16, 100),
        },
        Cell {
            id: "h2c16",
            label: "HTTP/2: 100 conns, 16 B",
            kind: h2(16, 1),
        },
        Cell {
            id: "h2x1c1k",
            label: "HTTP/2: 100 WebSockets on 1 conn, 1 KiB",
            kind: h2(1024, 100),
        },
        Cell {
            id: "h2c1k",
            label: "HTTP/2: 100 conns, 1 KiB",
            kind: h2(1024, 1),
        },
        Cell {
            id: "h2x1c64k",
            label: "HTTP/2: 100 WebSockets on 1 conn, 64 KiB",
            kind: h2(64 << 10, 100),
        },
        Cell {
            id: "h2c64k",
            label: "HTTP/2: 100 conns, 64 KiB",
            kind: h2(64 << 10, 1),
        },
        Cell {
            id: "h21m",
            label: "HTTP/2: 1 MiB messages, 1 WebSocket",
            kind: Kind::Throughput {
                size: 1 << 20,
                transport: Transport::Http2 { per_conn: 1 },
            },
        },
        Cell {
            id: "h2open",
            label: "HTTP/2: open the 2nd..100th WebSocket on 1 conn",
            kind: Kind::Open {
                transport: Transport::Http2 { per_conn: 100 },
            },
        },
        Cell {
            id: "h1open",
            label: "HTTP/1.1: open a WebSocket on a fresh conn",
            kind: Kind::Open {
                transport: Transport::Http1,
            },
        },
    ]
}

struct Config {
    bin_dir: String,
    squall: String,
    baseline: Option<String>,
    warmup: Duration,
    duration: Duration,
    /// Echo cells count `duration` in this many slices per server, interleaved.
    slices: usize,
    idle_conns: usize,
    handshake_concurrency: usize,
    server_core: String,
    /// Node.js and the `ws` echo server script.
    node: String,
    node_script: String,
    /// A Python with `websockets`, and the memory cell's client script.
    python: String,
    memory_script: String,
    /// Connections of the deflate memory cell.
    deflate_mem_conns: usize,
    /// zlib level of the deflate cells' client.
    client_level: u32,
}

/// A running server process, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The hard `RLIMIT_NOFILE` of this process (`/proc/self/limits`): servers get it as their
/// soft limit too. Raising the hard limit needs `CAP_SYS_RESOURCE`, which a sandbox may lack.
fn nofile_hard_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(4)?.parse().ok()
        })
        .unwrap_or(1024)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| cli::fail(&format!("no free port: {e}")))
}

/// Starts `server`; `deflate` turns on permessage-deflate, `h2c` squall's cleartext HTTP/2
/// (the other servers of the HTTP/2 cells always serve it).
fn start(config: &Config, server: &str, deflate: bool, h2c: bool) -> Result<Server, String> {
    let port = free_port().to_string();
    let mut command = Command::new("taskset");
    let nofile = format!("--nofile={}", nofile_hard_limit());
    command.args(["-c", &config.server_core, "prlimit", &nofile, "--"]);
    let squall = match server {
        "squall-baseline" => config.baseline.as_deref(),
        "squall" => Some(config.squall.as_str()),
        _ => None,
    };
    match (squall, server) {
        (Some(squall), _) => command.arg(squall).args([
            "--port",
            &port,
            "--threads",
            "1",
            "--max-message-size",
            &cli::MAX_MESSAGE_SIZE.to_string(),
        ]),
        (None, "node-ws") => command
            .args([&config.node, &config.node_script])
            .args(["--port", &port]),
        (None, _) => {
            let name = match server {
                "tokio-tungstenite" => "tungstenite",
                "near-free" => "nearfree",
                "sockudo-ws" => "sockudo",
                "tokio-websockets" => "tokio_websockets",
                other => other,
            };
            command
                .arg(format!("{}/echo_{name}", config.bin_dir))
                .args(["--port", &port])
        }
    };
    if deflate {
        command.arg("--deflate");
    }
    if h2c && squall.is_some() {
        command.arg("--h2c");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {server}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    // taskset and prlimit exec the server, so the child's pid is the server's.
    let server_handle = Server {
        child,
        addr: format!("127.0.0.1:{port}")
            .parse()
            .map_err(|e| format!("{e}"))?,
    };
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("{server}: {e}"))?;
    if !line.starts_with("listening on") {
        return Err(format!("{server} did not start: {line:?}"));
    }
    Ok(server_handle)
}

/// One measured figure (higher is better except for `Idle`) and the CPU use beside it.
#[derive(Clone, Debug)]
struct Figure {
    value: f64,
    cpu: Option<CpuUse>,
    /// For echo cells, the spread of the slices the value was taken from.
    slices: Option<Quartiles>,
    /// For sliced cells, each slice's rate in pass order: index `p` of every server's
    /// rates was measured in the same pass, next to each other in time.
    rates: Vec<f64>,
    /// For chat cells, the bytes on the wire beside the payload bytes.
    wire: Option<WireBytes>,
}

/// A cell's load on one server, measured in slices.
enum Load {
    Echo(EchoLoad),
    Handshakes(HandshakeLoad),
    Chat(ChatLoad),
    Open(OpenLoad),
}

impl Load {
    async fn open(config: &Config, cell: &Cell, addr: SocketAddr, pid: u32) -> io::Result<Self> {
        let (conns, size, depth, text, transport) = match cell.kind {
            Kind::Msgs {
                conns,
                size,
                depth,
                text,
                transport,
            } => (conns, size, depth, text, transport),
            Kind::Throughput { size, transport } => (1, size, 1, false, transport),
            Kind::Open { transport } => {
                return Ok(Self::Open(OpenLoad::new(addr, transport, Some(pid))));
            }
            Kind::Handshakes => {
                let load = HandshakeLoad::new(addr, config.handshake_concurrency, Some(pid));
                return Ok(Self::Handshakes(load));
            }
            Kind::Chat {
                conns,
                payloads,
                deflate,
            } => {
                let cell = ChatCell {
                    conns,
                    payloads,
                    deflate,
                    client_level: config.client_level,
                };
                return Ok(Self::Chat(ChatLoad::open(addr, cell, Some(pid)).await?));
            }
            Kind::Idle | Kind::DeflateMemory => unreachable!("memory is not measured in slices"),
        };
        let cell = EchoCell {
            conns,
            transport,
            size,
            depth,
            text,
            warmup: config.warmup,
            duration: config.duration,
        };
        Ok(Self::Echo(EchoLoad::open(addr, cell, Some(pid)).await?))
    }

    async fn warm_up(&mut self, duration: Duration) -> io::Result<()> {
        match self {
            Self::Echo(load) => load.warm_up(duration).await,
            Self::Handshakes(load) => {
                load.warm_up(duration).await;
                Ok(())
            }
            Self::Chat(load) => load.warm_up(duration).await,
            Self::Open(load) => load.warm_up(duration).await,
        }
    }

    async fn slice(&mut self, duration: Duration) -> io::Result<()> {
        match self {
            Self::Echo(load) => load.slice(duration).await,
            Self::Handshakes(load) => {
                load.slice(duration).await;
                Ok(())
            }
            Self::Chat(load) => load.slice(duration).await,
            Self::Open(load) => load.slice(duration).await,
        }
    }

    /// Each slice's figure, in the cell's unit.
    fn rates(&self, kind: Kind) -> Vec<f64> {
        match self {
            Self::Echo(load) => load
                .slice_rates()
                .iter()
                .map(|rate| match kind {
                    Kind::Throughput { .. } => rate.bytes_per_sec / 1e6,
                    _ => rate.msgs_per_sec,
                })
                .collect(),
            Self::Handshakes(load) => load.slice_rates().to_vec(),
            Self::Chat(load) => load.slice_rates().to_vec(),
            Self::Open(load) => load.slice_medians().to_vec(),
        }
    }

    fn wire(&self) -> Option<WireBytes> {
        match self {
            Self::Chat(load) => Some(load.result().wire),
            _ => None,
        }
    }

    /// CPU use while counting; notes what else the load saw on `server`.
    fn cpu(&self, server: &str) -> CpuUse {
        match self {
            Self::Echo(load) => load.result().cpu,
            Self::Handshakes(load) => {
                let result = load.result();
                if result.failures > 0 {
                    eprintln!("    {server}: {} handshake cycles failed", result.failures);
                }
                result.cpu
            }
            Self::Chat(load) => load.result().cpu,
            Self::Open(load) => {
                let result = load.result();
                eprintln!(
                    "    {server}: {} WebSockets opened, median {:.0} µs over them all",
                    result.opens, result.median_us
                );
                result.cpu
            }
        }
    }
}

/// Measures a cell on every server in `order` at once: each server is started and its
/// load set up (an echo cell's connections opened), and then `config.slices` short slices
/// go to each server in turn (each pass starting with another), so every server sees the
/// same drift in background load.
fn measure_sliced<'a>(
    config: &Config,
    cell: &Cell,
    order: &[&'a str],
) -> Vec<(&'a str, Result<Figure, String>)> {
    let slice = config.duration.div_f64(config.slices as f64);
    let mut outcomes: Vec<(&str, Result<Load, String>)> = Vec::new();
    let mut running = Vec::new();
    cli::runtime().block_on(async {
        for &server in order {
            let load = match start(config, server, cell.kind.deflate(), cell.kind.http2()) {
                Ok(process) => {
                    let load = Load::open(config, cell, process.addr, process.child.id())
                        .await
                        .map_err(|e| e.to_string());
                    running.push(process);
                    load
                }
                Err(e) => Err(e),
            };
            outcomes.push((server, load));
        }
        for (_, load) in &mut outcomes {
            if let Ok(running) = load {
                if let Err(e) = running.warm_up(config.warmup).await {
                    *load = Err(e.to_string());
                }
            }
        }
        for round in 0..config.slices {
            for i in 0..outcomes.len() {
                let index = (round + i) % outcomes.len();
                let (_, load) = &mut outcomes[index];
                if let Ok(running) = load {
                    if let Err(e) = running.slice(slice).await {
                        *load = Err(e.to_string());
                    }
                }
            }
        }
    });
    drop(running);
    outcomes
        .into_iter()
        .map(|(server, load)| {
            let figure = load.map(|load| {
                let rates = load.rates(cell.kind);
                let quartiles = Quartiles::of(&rates);
                Figure {
                    value: if cell.kind.lower_is_better() {
                        quartiles.lower
                    } else {
                        quartiles.upper
                    },
                    cpu: Some(load.cpu(server)),
                    slices: Some(quartiles),
                    rates,
                    wire: load.wire(),
                }
            });
            (
                server,
                figure.map_err(|e| format!("{server}, {}: {e}", cell.label)),
            )
        })
        .collect()
}

/// Squall's rate over another server's in each pass that measured both. The two slices of
/// a pass ran next to each other in time, so background load that drifts over seconds
/// mostly divides out of their ratio, where it stays in the ratio of two figures each
/// taken over the whole cell.
fn paired_ratios<'a>(squall: &'a [f64], other: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
    squall
        .iter()
        .zip(other)
        .filter(|(_, &other)| other > 0.0)
        .map(|(squall, other)| squall / other)
}

/// The middle value (the mean of the two middle ones for an even count); 0 when empty.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Order statistics of a server's slice rates (or times).
#[derive(Clone, Copy, Debug)]
struct Quartiles {
    lowest: f64,
    /// The time a quarter of the slices reached or beat, for cells where lower is better.
    lower: f64,
    median: f64,
    /// The rate a quarter of the slices reached or beat: background load only ever slows
    /// a slice down, so the upper quartile is nearer what the server can do than the mean,
    /// and steadier than the highest.
    upper: f64,
    highest: f64,
}

impl Quartiles {
    fn of(rates: &[f64]) -> Self {
        let mut sorted = rates.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |fraction: f64| {
            let index = ((sorted.len().saturating_sub(1)) as f64 * fraction).round() as usize;
            sorted.get(index).copied().unwrap_or(0.0)
        };
        Self {
            lowest: at(0.0),
            lower: at(0.25),
            median: at(0.5),
            upper: at(0.75),
            highest: at(1.0),
        }
    }
}

/// Measures the idle-memory cell on one server.
fn measure_idle(config: &Config, cell: &Cell, server: &str) -> Result<Figure, String> {
    let running = start(config, server, false, false)?;
    let pid = running.child.id();
    let addr = running.addr;
    let result = cli::runtime().block_on(async {
        load::run_idle(
            addr,
            config.idle_conns,
            Duration::from_millis(500),
            pid,
            &[],
        )
        .await
        .map(|r| {
            eprintln!(
                "    {server}: {} connections in {:.1} s, RSS {} -> {} KiB",
                r.conns, r.open_secs, r.rss_before_kib, r.rss_after_kib
            );
            Figure {
                value: r.kib_per_conn(),
                cpu: None,
                slices: None,
                rates: Vec::new(),
                wire: None,
            }
        })
    });
    drop(running);
    result.map_err(|e| format!("{server}, {}: {e}", cell.label))
}

/// Measures the deflate memory cell on one server: its RSS before and after Python
/// `websockets`' default client opened `deflate_mem_conns` connections and exchanged one
/// compressed message on each.
fn measure_deflate_memory(config: &Config, cell: &Cell, server: &str) -> Result<Figure, String> {
    let fail = |e: String| format!("{server}, {}: {e}", cell.label);
    let running = start(config, server, true, false).map_err(fail)?;
    let pid = running.child.id();
    let before = procfs::rss_kib(pid).map_err(|e| fail(e.to_string()))?;
    let started = Instant::now();
    let mut client = Command::new(&config.python)
        .arg(&config.memory_script)
        .args(["--url", &format!("ws://{}/", running.addr)])
        .args(["--conns", &config.deflate_mem_conns.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| fail(format!("cannot start {}: {e}", config.python)))?;
    let mut line = String::new();
    if let Some(stdout) = client.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    let open_secs = started.elapsed().as_secs_f64();
    let expected = format!("open {}", config.deflate_mem_conns);
    let result = if line.trim() == expected {
        // Let the server finish whatever it does after the exchange, as the idle cell.
        std::thread::sleep(Duration::from_millis(500));
        procfs::rss_kib(pid).map_err(|e| e.to_string())
    } else {
        Err(format!(
            "the client did not open every connection: {line:?}"
        ))
    };
    // Closing its standard input makes the client close its connections and exit.
    drop(client.stdin.take());
    if client.wait_timeout(Duration::from_secs(10)).is_none() {
        let _ = client.kill();
        let _ = client.wait();
    }
    drop(running);
    let after = result.map_err(fail)?;
    let per_conn = deflate_memory_per_conn(before, after, config.deflate_mem_conns);
    eprintln!(
        "    {server}: {} compressed connections in {open_secs:.1} s, RSS {before} -> {after} KiB",
        config.deflate_mem_conns
    );
    Ok(Figure {
        value: per_conn,
        cpu: None,
        slices: None,
        rates: Vec::new(),
        wire: None,
    })
}

/// KiB of RSS growth per connection (0 when the RSS shrank).
fn deflate_memory_per_conn(before_kib: u64, after_kib: u64, conns: usize) -> f64 {
    after_kib.saturating_sub(before_kib) as f64 / conns.max(1) as f64
}

/// Waiting for a child with a deadline (std has none).
trait WaitTimeout {
    fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus>;
}

impl WaitTimeout for Child {
    fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => return None,
            }
        }
    }
}

fn format_value(kind: Kind, value: f64) -> String {
    match kind {
        Kind::Msgs { .. } | Kind::Handshakes | Kind::Chat { .. } => {
            if value >= 1e6 {
                format!("{:.2}M", value / 1e6)
            } else if value >= 1e3 {
                format!("{:.1}k", value / 1e3)
            } else {
                format!("{value:.0}")
            }
        }
        Kind::Throughput { .. } => format!("{value:.0} MB/s"),
        Kind::Idle | Kind::DeflateMemory => format!("{value:.1} KiB"),
        Kind::Open { .. } => format!("{value:.0} µs"),
    }
}

fn better(kind: Kind, a: f64, b: f64) -> bool {
    if kind.lower_is_better() {
        a < b
    } else {
        a > b
    }
}

fn main() {
    let args = Args::from_env();
    let known = [
        "--bin-dir",
        "--squall",
        "--rounds",
        "--warmup",
        "--duration",
        "--slices",
        "--idle-conns",
        "--handshake-concurrency",
        "--server-core",
        "--servers",
        "--cells",
        "--baseline",
        "--node",
        "--node-script",
        "--python",
        "--memory-script",
        "--deflate-mem-conns",
        "--client-level",
        "--chart",
        "--chart-from",
        "--chart-title",
    ];
    if let Some(unknown) = args.unknown(&known).first() {
        cli::fail(&format!("unknown argument {unknown}"));
    }
    let chart: Option<String> = args.get("--chart");
    if let Some(saved) = args.get::<String>("--chart-from") {
        let Some(chart) = chart else {
            cli::fail("--chart-from needs --chart PATH");
        };
        let table = std::fs::read_to_string(&saved)
            .map_err(|e| e.to_string())
            .and_then(|text| Table::from_markdown(&text))
            .unwrap_or_else(|e| cli::fail(&format!("{saved}: {e}")));
        let title = args.get("--chart-title").unwrap_or(saved);
        write_chart(&chart, &table, &title);
        return;
    }
    let config = Config {
        bin_dir: args
            .get("--bin-dir")
            .unwrap_or_else(|| "target/release".to_owned()),
        squall: args
            .get("--squall")
            .unwrap_or_else(|| "target/release/examples/echo_server".to_owned()),
        baseline: args.get("--baseline"),
        warmup: Duration::from_secs_f64(args.get("--warmup").unwrap_or(0.5)),
        duration: Duration::from_secs_f64(args.get("--duration").unwrap_or(3.0)),
        slices: args.get::<usize>("--slices").unwrap_or(24).max(1),
        idle_conns: args.get("--idle-conns").unwrap_or(10_000),
        handshake_concurrency: args.get("--handshake-concurrency").unwrap_or(32),
        server_core: args.get("--server-core").unwrap_or_else(|| "0".to_owned()),
        node: args.get("--node").unwrap_or_else(|| "node".to_owned()),
        node_script: args
            .get("--node-script")
            .unwrap_or_else(|| "bench/node/echo_ws.js".to_owned()),
        python: args
            .get("--python")
            .unwrap_or_else(|| "target/interop-venv/bin/python".to_owned()),
        memory_script: args
            .get("--memory-script")
            .unwrap_or_else(|| "bench/python/deflate_memory_client.py".to_owned()),
        deflate_mem_conns: args.get("--deflate-mem-conns").unwrap_or(2_000),
        client_level: args
            .get("--client-level")
            .unwrap_or(chat::DEFAULT_CLIENT_LEVEL),
    };
    let rounds: usize = args.get("--rounds").unwrap_or(1);
    let list = |name: &str| -> Option<Vec<String>> {
        args.get::<String>(name)
            .map(|s| s.split(',').map(str::to_owned).collect())
    };
    let mut servers: Vec<&str> = match list("--servers") {
        Some(chosen) => SERVERS
            .into_iter()
            .filter(|s| chosen.iter().any(|c| c == s))
            .collect(),
        None => SERVERS.to_vec(),
    };
    if config.baseline.is_some() {
        servers.insert(1.min(servers.len()), "squall-baseline");
    }
    let cells: Vec<Cell> = match list("--cells") {
        Some(chosen) => cells()
            .into_iter()
            .filter(|c| {
                chosen
                    .iter()
                    .any(|x| x == c.id || (x == H2_GROUP && c.kind.http2()))
            })
            .collect(),
        None => cells()
            .into_iter()
            .filter(|c| default_cell(c.kind))
            .collect(),
    };
    let started = Instant::now();
    let mut best: HashMap<(&str, &str), Figure> = HashMap::new();
    // Squall's rate over each other server's, one per pass, pooled over the rounds.
    let mut paired: HashMap<(&str, &str), Vec<f64>> = HashMap::new();
    for round in 1..=rounds {
        for cell in &cells {
            // Each round starts each cell with another server: the first one measured after
            // a cell change (or after the idle and handshake cells, whose thousands of
            // closed sockets the kernel is still tearing down) runs on a busier machine.
            let mut order = cell_servers(cell.kind, &servers);
            let turn = (round - 1) % order.len().max(1);
            order.rotate_left(turn);
            let figures = match cell.kind {
                Kind::Idle => order
                    .iter()
                    .map(|&server| (server, measure_idle(&config, cell, server)))
                    .collect(),
                Kind::DeflateMemory => order
                    .iter()
                    .map(|&server| (server, measure_deflate_memory(&config, cell, server)))
                    .collect(),
                _ => measure_sliced(&config, cell, &order),
            };
            let squall_rates = figures
                .iter()
                .find(|(server, _)| *server == "squall")
                .and_then(|(_, figure)| figure.as_ref().ok())
                .map(|figure| figure.rates.clone())
                .unwrap_or_default();
            for (server, figure) in figures {
                match figure {
                    Ok(figure) => {
                        eprintln!(
                            "[{:>5.1}s] round {round} {:<40} {:<18} {}{}",
                            started.elapsed().as_secs_f64(),
                            cell.label,
                            server,
                            format_value(cell.kind, figure.value),
                            figure.cpu.map_or(String::new(), |c| format!(
                                "  (CPU server {:.0}%, generator {:.0}%)",
                                c.server * 100.0,
                                c.generator * 100.0
                            ))
                        );
                        if let Some(wire) = figure.wire {
                            eprintln!(
                                "{:>52}wire/payload: server -> client {}, client -> server {}",
                                "",
                                format_ratio(wire.server_ratio()),
                                format_ratio(wire.client_ratio()),
                            );
                        }
                        if let Some(q) = figure.slices {
                            eprintln!(
                                "{:>52}slices: lowest {}, lower quartile {}, median {}, upper quartile {}, highest {}",
                                "",
                                format_value(cell.kind, q.lowest),
                                format_value(cell.kind, q.lower),
                                format_value(cell.kind, q.median),
                                format_value(cell.kind, q.upper),
                                format_value(cell.kind, q.highest),
                            );
                        }
                        if server != "squall" && !squall_rates.is_empty() {
                            // Above 1 when squall does better, as every ratio of the table.
                            let (ratios, text): (Vec<f64>, _) = if cell.kind.lower_is_better() {
                                let ratios = paired_ratios(&figure.rates, &squall_rates);
                                (ratios.collect(), format!("{server} ÷ squall"))
                            } else {
                                let ratios = paired_ratios(&squall_rates, &figure.rates);
                                (ratios.collect(), format!("squall ÷ {server}"))
                            };
                            if !ratios.is_empty() {
                                eprintln!(
                                    "{:>52}paired, {}: {text} median {:.3} over {} passes",
                                    "",
                                    cell.label,
                                    median(&ratios),
                                    ratios.len(),
                                );
                            }
                            paired.entry((cell.id, server)).or_default().extend(ratios);
                        }
                        let entry = best
                            .entry((cell.id, server))
                            .or_insert_with(|| figure.clone());
                        if better(cell.kind, figure.value, entry.value) {
                            *entry = figure;
                        }
                    }
                    Err(e) => eprintln!("error: {e}"),
                }
            }
        }
    }
    print_table(&cells, &servers, &best, &paired, rounds, &config);
    if let Some(chart) = chart {
        let title = args
            .get("--chart-title")
            .unwrap_or_else(|| format!("best of {rounds} round(s)"));
        write_chart(&chart, &chart_table(&cells, &servers, &best), &title);
    }
    eprintln!("total {:.0} s", started.elapsed().as_secs_f64());
}

/// The main table's figures, for [`Table::svg`].
fn chart_table(cells: &[Cell], servers: &[&str], best: &HashMap<(&str, &str), Figure>) -> Table {
    let rows = cells
        .iter()
        .map(|cell| Row {
            label: cell.label.to_owned(),
            lower_is_better: cell.kind.lower_is_better(),
            figures: servers
                .iter()
                .map(|&server| {
                    let figure = best.get(&(cell.id, server))?;
                    Some((figure.value, format_value(cell.kind, figure.value)))
                })
                .collect(),
        })
        .collect();
    Table {
        servers: servers.iter().map(|s| (*s).to_owned()).collect(),
        rows,
    }
}

fn write_chart(path: &str, table: &Table, source: &str) {
    let title = format!("squall and its peers, each bar relative to the cell's best ({source})");
    match std::fs::write(path, table.svg(&title)) {
        Ok(()) => eprintln!("chart written to {path}"),
        Err(e) => eprintln!("error: cannot write the chart to {path}: {e}"),
    }
}

/// The servers that take part in a cell, in table order.
fn cell_servers<'a>(kind: Kind, servers: &[&'a str]) -> Vec<&'a str> {
    servers
        .iter()
        .copied()
        .filter(|server| match kind {
            // The near-free echo holds no per-connection state worth measuring.
            Kind::Idle => *server != "near-free",
            _ if kind.deflate() => DEFLATE_SERVERS.contains(server),
            _ if kind.http2() => H2_SERVERS.contains(server),
            _ => true,
        })
        .collect()
}

/// Whether a cell runs when `--cells` is not given: all but the HTTP/2 group, which
/// `--cells h2` runs (beside any other cells named).
fn default_cell(kind: Kind) -> bool {
    !kind.http2()
}

fn format_ratio(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "—".to_owned(), |r| format!("{r:.3}"))
}

/// Whether a figure is inconclusive: a chat cell whose generator was at its core's limit.
fn inconclusive(figure: &Figure, kind: Kind) -> bool {
    match kind {
        Kind::Chat { conns, .. } => figure
            .cpu
            .is_some_and(|cpu| chat::generator_limited(cpu, conns)),
        _ => false,
    }
}

fn print_table(
    cells: &[Cell],
    servers: &[&str],
    best: &HashMap<(&str, &str), Figure>,
    paired: &HashMap<(&str, &str), Vec<f64>>,
    rounds: usize,
    config: &Config,
) {
    let times = if cells.iter().any(|c| matches!(c.kind, Kind::Open { .. })) {
        " (open times: each slice's median open, and the lower quartile of the slices)"
    } else {
        ""
    };
    println!(
        "Best of {rounds} round(s); server on core {}, generator on the other. Every cell but \
         idle memory: every server warmed up {:.1} s, then {} slices of {:.2} s each, servers \
         taken in turn; a figure is the upper quartile of its server's slices{times}.\n",
        config.server_core,
        config.warmup.as_secs_f64(),
        config.slices,
        config.duration.as_secs_f64() / config.slices as f64,
    );
    let mut header = String::from("| cell |");
    let mut rule = String::from("| --- |");
    for server in servers {
        header.push_str(&format!(" {server} |"));
        rule.push_str(" ---: |");
    }
    header.push_str(&format!(
        " best of the {} libraries | squall ÷ best | paired |",
        LIBRARIES.len()
    ));
    rule.push_str(" ---: | ---: | ---: |");
    println!("{header}\n{rule}");
    for cell in cells {
        let mut row = format!("| {} |", cell.label);
        for &server in servers {
            let text = best.get(&(cell.id, server)).map_or_else(
                || "—".to_owned(),
                |f| {
                    let mark = if inconclusive(f, cell.kind) {
                        " †"
                    } else {
                        ""
                    };
                    format!("{}{mark}", format_value(cell.kind, f.value))
                },
            );
            row.push_str(&format!(" {text} |"));
        }
        let top = LIBRARIES
            .iter()
            .filter_map(|lib| best.get(&(cell.id, *lib)).map(|f| f.value))
            .reduce(|a, b| if better(cell.kind, a, b) { a } else { b });
        let squall = best.get(&(cell.id, "squall")).map(|f| f.value);
        let ratio = match (squall, top) {
            // A ratio above 1 always means squall does better (memory: best ÷ squall).
            (Some(s), Some(t)) if cell.kind.lower_is_better() && s > 0.0 => {
                format!("{:.2}x", t / s)
            }
            (Some(s), Some(t)) if t > 0.0 => format!("{:.2}x", s / t),
            _ => "—".to_owned(),
        };
        // Against the library squall does worst against pass by pass, which need not be
        // the one with the best figure.
        let paired_ratio = LIBRARIES
            .iter()
            .filter_map(|&lib| paired_median(paired, cell, lib))
            .min_by(f64::total_cmp)
            .map_or_else(|| "—".to_owned(), |ratio| format!("{ratio:.2}x"));
        row.push_str(&format!(
            " {} | {ratio} | {paired_ratio} |",
            top.map_or_else(|| "—".to_owned(), |t| format_value(cell.kind, t))
        ));
        println!("{row}");
    }
    if cells.iter().any(|c| matches!(c.kind, Kind::Chat { .. })) {
        println!(
            "\n† inconclusive: the load generator used {:.0} % of its core or more, or (with \
             several connections) as much CPU as the server, so it may have set the pace.",
            chat::GENERATOR_LIMIT * 100.0
        );
    }
    print_paired(cells, servers, paired);
    if cells.iter().any(|c| matches!(c.kind, Kind::Chat { .. })) {
        println!(
            "\nChat and deflate cells, bytes on the wire per payload byte (frame headers \
             included), server → client (the server's compression) / client → server \
             (yawc's client):\n"
        );
        print_grid(
            cells,
            servers,
            |cell| matches!(cell.kind, Kind::Chat { .. }),
            |cell, server| {
                let wire = best.get(&(cell.id, server))?.wire?;
                Some(format!(
                    "{} / {}",
                    format_ratio(wire.server_ratio()),
                    format_ratio(wire.client_ratio())
                ))
            },
        );
    }
    println!("\nCPU use while counting, server / generator, % of one core:\n");
    let measured = |cell: &Cell| !cell.kind.lower_is_better();
    print_grid(cells, servers, measured, |cell, server| {
        let cpu = best.get(&(cell.id, server)).and_then(|f| f.cpu)?;
        Some(format!(
            "{:.0} / {:.0}",
            cpu.server * 100.0,
            cpu.generator * 100.0
        ))
    });
    println!(
        "\nServer CPU per unit of work (lower is better; robust to a busy machine): \
         µs per message or handshake, ms per MB:\n"
    );
    print_grid(cells, servers, measured, |cell, server| {
        let cost = cost(best.get(&(cell.id, server))?, cell.kind)?;
        Some(match cell.kind {
            Kind::Throughput { .. } => format!("{cost:.2}"),
            _ => format!("{cost:.1}"),
        })
    });
}

/// squall against every other server of the run, the baseline and the near-free echo
/// included, paired the way the table's `paired` column is: the median over every pass of
/// every round. The baseline's column is a before/after in one figure per cell; the
/// near-free echo's shows how far the machine's noise moves a ratio.
fn print_paired(cells: &[Cell], servers: &[&str], paired: &HashMap<(&str, &str), Vec<f64>>) {
    let others: Vec<&str> = servers.iter().copied().filter(|s| *s != "squall").collect();
    println!(
        "\nPaired, squall against each server (squall ÷ server, open times server ÷ squall; \
         above 1 when squall does better): the median over every pass of every round:\n"
    );
    print_grid(
        cells,
        &others,
        |cell| {
            others
                .iter()
                .any(|s| paired_median(paired, cell, s).is_some())
        },
        |cell, server| paired_median(paired, cell, server).map(|r| format!("{r:.3}")),
    );
}

/// The median of squall's paired ratios against `server` in `cell`, if any pass paired.
fn paired_median(
    paired: &HashMap<(&str, &str), Vec<f64>>,
    cell: &Cell,
    server: &str,
) -> Option<f64> {
    paired
        .get(&(cell.id, server))
        .filter(|ratios| !ratios.is_empty())
        .map(|ratios| median(ratios))
}

/// Server CPU per message (µs), per handshake (µs) or per MB (ms).
fn cost(figure: &Figure, kind: Kind) -> Option<f64> {
    let cpu = figure.cpu?;
    if figure.value <= 0.0 {
        return None;
    }
    match kind {
        Kind::Idle | Kind::DeflateMemory | Kind::Open { .. } => None,
        Kind::Throughput { .. } => Some(cpu.server / figure.value * 1e3),
        _ => Some(cpu.server / figure.value * 1e6),
    }
}

/// A table of the cells `keep` keeps, one column per server.
fn print_grid(
    cells: &[Cell],
    servers: &[&str],
    keep: impl Fn(&Cell) -> bool,
    text: impl Fn(&Cell, &str) -> Option<String>,
) {
    let mut header = String::from("| cell |");
    let mut rule = String::from("| --- |");
    for server in servers {
        header.push_str(&format!(" {server} |"));
        rule.push_str(" ---: |");
    }
    println!("{header}\n{rule}");
    for cell in cells.iter().filter(|c| keep(c)) {
        let mut row = format!("| {} |", cell.label);
        for &server in servers {
            let text = text(cell, server).unwrap_or_else(|| "—".to_owned());
            row.push_str(&format!(" {text} |"));
        }
        println!("{row}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_count_is_mean_of_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn paired_ratios_pair_slices_of_the_same_pass() {
        // Background load halves both servers' second pass: the pairs keep their 1.1 ratio.
        let squall = [110.0, 55.0, 110.0];
        let other = [100.0, 50.0, 100.0];
        let ratios: Vec<f64> = paired_ratios(&squall, &other).collect();
        assert_eq!(ratios.len(), 3);
        assert!(ratios.iter().all(|r| (r - 1.1).abs() < 1e-9), "{ratios:?}");
    }

    #[test]
    fn deflate_cells_run_only_the_servers_with_deflate() {
        let mut all = SERVERS.to_vec();
        all.insert(1, "squall-baseline");
        let deflate = Kind::Chat {
            conns: 1,
            payloads: Payloads::Chat,
            deflate: true,
        };
        assert_eq!(cell_servers(deflate, &all), DEFLATE_SERVERS);
        assert_eq!(cell_servers(Kind::DeflateMemory, &all), DEFLATE_SERVERS);
        let plain_chat = Kind::Chat {
            conns: 100,
            payloads: Payloads::Chat,
            deflate: false,
        };
        assert_eq!(cell_servers(plain_chat, &all), all);
        assert!(!cell_servers(Kind::Idle, &all).contains(&"near-free"));
        // A --servers choice narrows every cell.
        assert_eq!(
            cell_servers(deflate, &["squall", "fastwebsockets"]),
            ["squall"]
        );
    }

    #[test]
    fn http2_cells_run_the_rfc_8441_servers_and_only_when_asked() {
        let all = SERVERS.to_vec();
        let h2: Vec<Cell> = cells().into_iter().filter(|c| c.kind.http2()).collect();
        assert!(h2.iter().any(|c| c.id == "h2x1c16") && h2.iter().any(|c| c.id == "h1open"));
        for cell in &h2 {
            assert_eq!(
                cell_servers(cell.kind, &all),
                ["squall", "axum"],
                "{}",
                cell.id
            );
            assert!(!default_cell(cell.kind), "{}", cell.id);
        }
        assert!(default_cell(Kind::Handshakes));
        assert!(cell_servers(Kind::Handshakes, &all).contains(&"axum"));
        let open = Kind::Open {
            transport: Transport::Http1,
        };
        assert!(open.lower_is_better());
        assert!(better(open, 40.0, 60.0));
    }

    #[test]
    fn every_library_is_in_the_server_list() {
        for lib in LIBRARIES.iter() {
            assert!(SERVERS.contains(lib), "{lib}");
        }
        let built = DEFLATE_SERVERS.iter().chain(&H2_SERVERS);
        for server in built.filter(|s| **s != "squall-baseline") {
            assert!(SERVERS.contains(server), "{server}");
        }
        let ids: Vec<&str> = cells().iter().map(|c| c.id).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
    }

    #[test]
    fn deflate_memory_is_growth_per_connection() {
        assert_eq!(deflate_memory_per_conn(10_000, 30_000, 2_000), 10.0);
        assert_eq!(deflate_memory_per_conn(30_000, 10_000, 2_000), 0.0);
        assert!(Kind::DeflateMemory.lower_is_better());
        assert!(better(Kind::DeflateMemory, 8.0, 64.0));
        assert!(better(Kind::Handshakes, 64.0, 8.0));
    }

    #[test]
    fn only_generator_bound_chat_figures_are_inconclusive() {
        let figure = |generator| Figure {
            value: 1.0,
            cpu: Some(CpuUse {
                generator,
                server: 0.5,
            }),
            slices: None,
            rates: Vec::new(),
            wire: None,
        };
        let chat = Kind::Chat {
            conns: 100,
            payloads: Payloads::Chat,
            deflate: true,
        };
        assert!(inconclusive(&figure(0.98), chat));
        assert!(inconclusive(&figure(0.5), chat));
        assert!(!inconclusive(&figure(0.4), chat));
        assert!(!inconclusive(&figure(0.98), Kind::Handshakes));
    }

    #[test]
    fn paired_ratios_skip_failed_slices_and_unmatched_passes() {
        let ratios: Vec<f64> = paired_ratios(&[10.0, 10.0, 10.0], &[5.0, 0.0]).collect();
        assert_eq!(ratios, [2.0]);
    }
}
