//! permessage-deflate throughput and ratio on text-like payloads, squall beside Python
//! `websockets` (C zlib) with the same payloads and the same zlib settings, for zlib's
//! defaults (level 6, memLevel 8, 15-bit windows, context takeover) and for each of
//! squall's policies, in one run:
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
use squall::protocol::deflate::{client_offer, server_negotiate, DeflateParams};
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

fn config(params: DeflateParams, options: &CompressionOptions) -> Config {
    Config {
        deflate: Some((params, options.clone())),
        mask_seed: Some([1; 32]),
        ..Config::default()
    }
}

/// Sends every payload through a server core's compressor and a client core's inflater.
fn squall_round(
    payloads: &[String],
    params: DeflateParams,
    options: &CompressionOptions,
) -> (Duration, Duration, usize, usize) {
    let now = Instant::now();
    let mut server = Connection::new(Role::Server, config(params, options), now);
    let mut client = Connection::new(Role::Client, config(params, options), now);
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
    (compress, inflate, payload_bytes(&wire), received)
}

/// The frames' payload bytes in `wire` (server frames: unmasked), headers left out as
/// Python's figure leaves them out.
fn payload_bytes(wire: &[u8]) -> usize {
    let (mut at, mut total) = (0, 0);
    while at < wire.len() {
        let (header, len) = match wire[at + 1] & 0x7f {
            126 => (
                4,
                usize::from(u16::from_be_bytes([wire[at + 2], wire[at + 3]])),
            ),
            127 => (
                10,
                u64::from_be_bytes(wire[at + 2..at + 10].try_into().unwrap()) as usize,
            ),
            len => (2, usize::from(len)),
        };
        total += len;
        at += header + len;
    }
    total
}

/// One setting: squall's options and what Python's codec is given to match them.
struct Setting {
    name: &'static str,
    options: CompressionOptions,
    /// level, memLevel, compressor window bits, no context takeover
    python: [u8; 4],
}

fn settings() -> Vec<Setting> {
    let zlib = CompressionOptions::new()
        .mem_level(8)
        .compressor_window_bits(15);
    vec![
        Setting {
            name: "zlib defaults",
            options: zlib,
            python: [6, 8, 15, 0],
        },
        Setting {
            name: "balanced (default)",
            options: CompressionOptions::balanced(),
            python: [6, 4, 13, 0],
        },
        Setting {
            name: "max_ratio",
            options: CompressionOptions::max_ratio(),
            python: [9, 9, 15, 0],
        },
        Setting {
            name: "lean",
            options: CompressionOptions::lean(),
            python: [6, 4, 15, 1],
        },
    ]
}

fn python_round(file: &std::path::Path, rounds: usize, setting: &Setting) -> Vec<f64> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/deflate_peer.py");
    let output = std::process::Command::new(python())
        .arg(script)
        .arg(file)
        .arg(rounds.to_string())
        .args(setting.python.map(|n| n.to_string()))
        .output()
        .expect("python3 with websockets (scripts/setup.sh)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect()
}

fn main() {
    let payloads = payloads();
    let raw: usize = payloads.iter().map(String::len).sum();
    let rounds = 20;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let file = dir.join("deflate-bench-payloads.txt");
    let mut f = std::fs::File::create(&file).unwrap();
    for p in &payloads {
        writeln!(f, "{p}").unwrap();
    }

    println!(
        "{} chat-like JSON messages, {raw} bytes, x{rounds} rounds; every message compressed",
        payloads.len()
    );
    println!("| setting | implementation | compress MB/s | inflate MB/s | compressed / raw |");
    println!("|---|---|---:|---:|---:|");
    for setting in settings() {
        let options = setting.options.clone().threshold(0);
        // What a server with these options agrees with a client offering
        // `permessage-deflate; client_max_window_bits` (and the same options).
        let offer = client_offer(&options);
        let (params, _) = server_negotiate([offer.as_str()], &options).unwrap();
        let (mut compress, mut inflate, mut wire) = (Duration::ZERO, Duration::ZERO, 0);
        for _ in 0..rounds {
            let (c, i, w, received) = squall_round(&payloads, params, &options);
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
        let nums = python_round(&file, rounds, &setting);
        println!(
            "| {} | squall | {:.1} | {:.1} | {:.3} |",
            setting.name, squall.0, squall.1, squall.2
        );
        println!(
            "| {} | Python websockets | {:.1} | {:.1} | {:.3} |",
            setting.name, nums[0], nums[1], nums[2]
        );
        println!(
            "| {} | squall / websockets | {:.2}x | {:.2}x | |",
            setting.name,
            squall.0 / nums[0],
            squall.1 / nums[1]
        );
    }
}
