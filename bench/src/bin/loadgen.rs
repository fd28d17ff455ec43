//! The load generator on its own, against any server URL.
//!
//! ```text
//! loadgen --url ws://127.0.0.1:PORT/ [--server-pid PID] --cell echo
//!         [--conns 1] [--size 16] [--depth 1] [--text] [--h2 PER_CONN] [--warmup 0.5] [--duration 3]
//! loadgen --url ... --server-pid PID --cell idle [--conns 10000] [--hold 0.5] [--header 'Name: value']...
//! loadgen --url ... [--server-pid PID] --cell handshake [--concurrency 32] [--warmup 0.5] [--duration 3]
//! loadgen --url ... [--server-pid PID] --cell chat [--conns 1] [--size BYTES] [--deflate]
//!         [--client-level 6] [--warmup 0.5] [--duration 3]
//! loadgen --url ... [--server-pid PID] --cell open [--h2] [--warmup 0.5] [--duration 3]
//! ```
//! Runs on one current-thread runtime; pin it with `taskset -c 1`, and raise its file limit
//! (`prlimit --nofile=65536 --`) for the idle cell. `--header` adds a line to the idle cell's
//! upgrade requests (repeat it for more), to measure a server holding requests the size of a
//! browser's. `--cell chat` sends chat-like JSON (or JSON text of `--size` bytes), one message
//! in flight per connection; with `--deflate`, through yawc's compressing client (see
//! `bench/DEFLATE.md`). `--h2 PER_CONN` opens the echo cell's WebSockets by extended CONNECT
//! (RFC 8441) on cleartext HTTP/2 connections, `PER_CONN` on each (squall: `echo_server --h2c`).
//! `--cell open` opens WebSockets one at a time on fresh TCP connections with the HTTP/1.1
//! upgrade, or with `--h2` the 2nd..100th on one HTTP/2 connection, and prints the median
//! open (`squall_bench::open`).

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use squall_bench::chat::{self, ChatCell, ChatLoad, Payloads};
use squall_bench::cli::{self, Args};
use squall_bench::echo::{self, EchoCell, Transport};
use squall_bench::load;
use squall_bench::open::OpenLoad;

fn address(url: &str) -> SocketAddr {
    let rest = url
        .strip_prefix("ws://")
        .unwrap_or_else(|| cli::fail("--url must start with ws://"));
    let host = rest.split('/').next().unwrap_or(rest);
    host.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| cli::fail(&format!("cannot resolve {host}")))
}

fn main() {
    let args = Args::from_env();
    let known = [
        "--url",
        "--server-pid",
        "--cell",
        "--conns",
        "--size",
        "--depth",
        "--warmup",
        "--duration",
        "--concurrency",
        "--hold",
        "--header",
        "--text",
        "--h2",
        "--deflate",
        "--client-level",
    ];
    if let Some(unknown) = args.unknown(&known).first() {
        cli::fail(&format!("unknown argument {unknown}"));
    }
    let addr = address(
        &args
            .get::<String>("--url")
            .unwrap_or_else(|| cli::fail("--url is required")),
    );
    let pid: Option<u32> = args.get("--server-pid");
    let secs = |name: &str, default: f64| {
        Duration::from_secs_f64(args.get::<f64>(name).unwrap_or(default))
    };
    let cell: String = args.get("--cell").unwrap_or_else(|| "echo".to_owned());
    cli::runtime().block_on(async {
        match cell.as_str() {
            "echo" => {
                let transport = match args.get("--h2") {
                    Some(per_conn) => Transport::Http2 { per_conn },
                    None => Transport::Http1,
                };
                let cell = EchoCell {
                    conns: args.get("--conns").unwrap_or(1),
                    transport,
                    size: args.get("--size").unwrap_or(16),
                    depth: args.get("--depth").unwrap_or(1),
                    text: args.flag("--text"),
                    warmup: secs("--warmup", 0.5),
                    duration: secs("--duration", 3.0),
                };
                match echo::run_echo(addr, cell, pid).await {
                    Ok(r) => println!(
                        "{cell:?}\n{:.0} msgs/s, {:.1} MB/s; CPU: server {:.0}%, generator {:.0}%; \
                         {} messages echoed in all",
                        r.msgs_per_sec,
                        r.bytes_per_sec / 1e6,
                        r.cpu.server * 100.0,
                        r.cpu.generator * 100.0,
                        r.total
                    ),
                    Err(e) => cli::fail(&format!("echo cell failed: {e}")),
                }
            }
            "idle" => {
                let pid = pid.unwrap_or_else(|| cli::fail("--cell idle needs --server-pid"));
                let conns = args.get("--conns").unwrap_or(10_000);
                let hold = secs("--hold", 0.5);
                let headers = args.all("--header");
                if let Some(bad) = headers
                    .iter()
                    .find(|h| h.contains(['\r', '\n']) || !h.contains(':'))
                {
                    cli::fail(&format!("--header {bad:?}: one `Name: value` line"));
                }
                match load::run_idle(addr, conns, hold, pid, &headers).await {
                    Ok(r) => println!(
                        "{} idle connections opened in {:.1} s; server RSS {} -> {} KiB: {:.1} KiB per connection",
                        r.conns,
                        r.open_secs,
                        r.rss_before_kib,
                        r.rss_after_kib,
                        r.kib_per_conn()
                    ),
                    Err(e) => cli::fail(&format!("idle cell failed: {e}")),
                }
            }
            "handshake" => {
                let concurrency = args.get("--concurrency").unwrap_or(32);
                let r = load::run_handshakes(
                    addr,
                    concurrency,
                    secs("--warmup", 0.5),
                    secs("--duration", 3.0),
                    pid,
                )
                .await
                .unwrap_or_else(|e| cli::fail(&format!("handshake cell failed: {e}")));
                println!(
                    "{:.0} handshakes/s ({} failed); CPU: server {:.0}%, generator {:.0}%",
                    r.per_sec,
                    r.failures,
                    r.cpu.server * 100.0,
                    r.cpu.generator * 100.0
                );
            }
            "chat" => {
                let payloads = match args.get::<usize>("--size") {
                    Some(size) => Payloads::Text(size.max(2)),
                    None => Payloads::Chat,
                };
                let cell = ChatCell {
                    conns: args.get("--conns").unwrap_or(1),
                    payloads,
                    deflate: args.flag("--deflate"),
                    client_level: args
                        .get("--client-level")
                        .unwrap_or(chat::DEFAULT_CLIENT_LEVEL),
                };
                let run = async {
                    let mut load = ChatLoad::open(addr, cell, pid).await?;
                    load.warm_up(secs("--warmup", 0.5)).await?;
                    load.slice(secs("--duration", 3.0)).await?;
                    Ok::<_, std::io::Error>(load.result())
                };
                match run.await {
                    Ok(r) => println!(
                        "{cell:?}\n{:.0} msgs/s; CPU: server {:.0}%, generator {:.0}%; \
                         wire/payload: server -> client {:.3}, client -> server {:.3}",
                        r.msgs_per_sec,
                        r.cpu.server * 100.0,
                        r.cpu.generator * 100.0,
                        r.wire.server_ratio().unwrap_or(f64::NAN),
                        r.wire.client_ratio().unwrap_or(f64::NAN),
                    ),
                    Err(e) => cli::fail(&format!("chat cell failed: {e}")),
                }
            }
            "open" => {
                let transport = if args.flag("--h2") {
                    Transport::Http2 { per_conn: 100 }
                } else {
                    Transport::Http1
                };
                let mut load = OpenLoad::new(addr, transport, pid);
                let run = async {
                    load.warm_up(secs("--warmup", 0.5)).await?;
                    load.slice(secs("--duration", 3.0)).await
                };
                match run.await {
                    Ok(()) => {
                        let r = load.result();
                        println!(
                            "{transport:?}: {} WebSockets opened one at a time, median {:.0} µs; \
                             CPU: server {:.0}%, generator {:.0}%",
                            r.opens,
                            r.median_us,
                            r.cpu.server * 100.0,
                            r.cpu.generator * 100.0,
                        );
                    }
                    Err(e) => cli::fail(&format!("open cell failed: {e}")),
                }
            }
            other => cli::fail(&format!(
                "unknown cell {other}: echo, idle, handshake, chat or open"
            )),
        }
    });
}
