//! Server memory per permessage-deflate connection for each compression policy: a squall
//! echo server (a fresh process per figure, two worker threads) serves connections from
//! Python `websockets`' default client, which offers `permessage-deflate;
//! client_max_window_bits`; each connection exchanges some chat-like JSON messages of
//! 150-300 bytes and stays open. Figure: growth of the server's `VmRSS` / connections.
//!
//! ```text
//! cargo bench --bench deflate_memory [-- CONNS [MESSAGES...]]
//! ```
//!
//! Defaults: 2,000 connections; 1 message each (the bench crate's `dmem` cell), then 50
//! (about 12 KiB each way: the balanced policy's windows are full, 32 KiB ones are not).
//! Linux only (`/proc`).
//! Python comes from `SQUALL_PYTHON` or `target/interop-venv` (made by scripts/setup.sh).
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/python.rs"]
mod python;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use squall::{Application, CompressionOptions, Message, WebSocket, WebSocketHandler};

/// The three policies, zlib's defaults (level 6, memory level 8, 15-bit windows, as
/// Tornado and squall before the policies) and no compression at all.
const POLICIES: [&str; 5] = ["balanced", "max_ratio", "lean", "zlib_defaults", "none"];

fn options(policy: &str) -> Option<CompressionOptions> {
    match policy {
        "balanced" => Some(CompressionOptions::balanced()),
        "max_ratio" => Some(CompressionOptions::max_ratio()),
        "lean" => Some(CompressionOptions::lean()),
        "zlib_defaults" => Some(
            CompressionOptions::new()
                .mem_level(8)
                .compressor_window_bits(15)
                .preferred_client_max_window_bits(None),
        ),
        _ => None,
    }
}

struct Echo(Option<CompressionOptions>);

impl WebSocketHandler for Echo {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        self.0.clone()
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One figure, in this process: serve, let the client connect, measure.
fn serve(policy: &str, conns: usize, messages: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let compression = options(policy);
        let app = Application::new().route(".*", move || Echo(compression.clone()));
        let server = app.listen(("127.0.0.1", 0)).await.unwrap();
        let url = format!("ws://{}/", server.local_addr());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss_kib();
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/deflate_memory_peer.py");
        let mut child = Command::new(python::python())
            .arg(script)
            .args([url, conns.to_string(), messages.to_string()])
            .args(options(policy).is_none().then_some("plain"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with websockets (scripts/setup.sh)");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line
        })
        .await
        .unwrap();
        assert_eq!(line.trim(), format!("open {conns}"), "the client failed");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss_kib();
        drop(child.stdin.take());
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;
        println!(
            "| {policy} | {messages} | {conns} | {:.1} |",
            (after.saturating_sub(before)) as f64 / conns as f64
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let [flag, policy, conns, messages] = &args[..] {
        if flag == "--one" {
            serve(policy, conns.parse().unwrap(), messages.parse().unwrap());
            return;
        }
    }
    let conns: usize = args.first().map_or(2000, |n| n.parse().unwrap());
    let rounds: Vec<usize> = if args.len() > 1 {
        args[1..].iter().map(|n| n.parse().unwrap()).collect()
    } else {
        vec![1, 50]
    };
    println!("| policy | messages each way | connections | server RSS KiB per connection |");
    println!("|---|---:|---:|---:|");
    for messages in rounds {
        for policy in POLICIES {
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--one", policy, &conns.to_string(), &messages.to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}
