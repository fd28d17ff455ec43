//! permessage-deflate throughput and ratio on text-like payloads, squall beside Python
//! `websockets` (the same payloads, the same zlib settings: level 6, memLevel 8, 15-bit
//! windows, context takeover), in one run:
//!
//! ```text
//! cargo bench --bench deflate
//! ```
//!
//! Python comes from `SQUALL_PYTHON` or `target/interop-venv` (made by scripts/setup.sh).
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/python.rs"]
mod python;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use python::python;
use squall::protocol::deflate::DeflateParams;
use squall::protocol::{Config, Connection, Event, Role};
use squall::{CompressionOptions, Message};

/// Chat-like JSON lines and prose: what a WebSocket app mostly sends.
fn payloads() -> Vec<String> {
    let words = [
        "alpha", "beta", "gamma", "delta", "lobby", "hello", "world", "squall", "room", "user",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out = Vec::new();
    for i in 0..2000 {
        let n = 3 + (next() % 40) as usize;
        let body: Vec<&str> = (0..n)
            .map(|_| words[(next() % words.len() as u64) as usize])
            .collect();
        out.push(format!(
            r#"{{"id":{i},"user":"user{}","room":"lobby","body":"{}","ts":{}}}"#,
            next() % 100,
            body.join(" "),
            1_700_000_000 + i
        ));
    }
    out
}

fn config(options: &CompressionOptions) -> Config {
    Config {
        deflate: Some((DeflateParams::default(), options.clone())),
        mask_seed: Some([1; 32]),
        ..Config::default()
    }
}

/// Sends every payload through a server core's compressor and a client core's inflater.
fn squall_round(payloads: &[String]) -> (Duration, Duration, usize, usize) {
    let options = CompressionOptions::new().threshold(0);
    let now = Instant::now();
    let mut server = Connection::new(Role::Server, config(&options), now);
    let mut client = Connection::new(Role::Client, config(&options), now);
    let messages: Vec<Message> = payloads.iter().map(|p| Message::from(p.as_str())).collect();
    let mut wire = Vec::new();
    let start = Instant::now();
    for message in &messages {
        server.send(message).unwrap();
    }
    let _ = server.poll_transmit(&mut wire);
    let compress = start.elapsed();
    let start = Instant::now();
    client.receive(&wire, now);
    let mut received = 0;
    while let Some(event) = client.poll_event() {
        if let Event::Message(m) = event {
            received += m.len();
        }
    }
    let inflate = start.elapsed();
    (compress, inflate, wire.len(), received)
}

fn main() {
    let payloads = payloads();
    let raw: usize = payloads.iter().map(String::len).sum();
    let rounds = 20;
    let (mut compress, mut inflate, mut wire) = (Duration::ZERO, Duration::ZERO, 0);
    for _ in 0..rounds {
        let (c, i, w, received) = squall_round(&payloads);
        assert_eq!(received, raw);
        compress += c;
        inflate += i;
        wire = w;
    }
    let mb = (raw * rounds) as f64 / 1e6;
    let squall = (
        mb / compress.as_secs_f64(),
        mb / inflate.as_secs_f64(),
        wire as f64 / raw as f64,
    );

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let file = dir.join("deflate-bench-payloads.txt");
    let mut f = std::fs::File::create(&file).unwrap();
    for p in &payloads {
        writeln!(f, "{p}").unwrap();
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/deflate_peer.py");
    let output = std::process::Command::new(python())
        .arg(script)
        .arg(&file)
        .arg(rounds.to_string())
        .output()
        .expect("python3 with websockets (scripts/setup.sh)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8_lossy(&output.stdout);
    let nums: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();

    println!("{} chat-like JSON messages, {raw} bytes, x{rounds} rounds, context takeover, level 6, memLevel 8", payloads.len());
    println!("| implementation | compress MB/s | inflate MB/s | compressed / raw |");
    println!("|---|---:|---:|---:|");
    println!(
        "| squall | {:.1} | {:.1} | {:.3} |",
        squall.0, squall.1, squall.2
    );
    println!(
        "| Python websockets | {:.1} | {:.1} | {:.3} |",
        nums[0], nums[1], nums[2]
    );
    println!(
        "| ratio squall / websockets | {:.2}x | {:.2}x | |",
        squall.0 / nums[0],
        squall.1 / nums[1]
    );
}
