//! permessage-deflate from the client against an independent server: Python `websockets`
//! (`tests/interop/deflate_peer.py server`), one server per parameter combination, several
//! rounds per connection (context takeover).
//!
//! The Python interpreter comes from `SQUALL_PYTHON` (scripts/setup.sh makes a venv with
//! `websockets` in `target/interop-venv`); the test fails if it cannot run.
#![cfg(feature = "deflate")]
#![allow(clippy::unwrap_used)]

#[path = "common/python.rs"]
mod python;

use std::time::Duration;

use python::PythonPeer;
use squall::{websocket_connect, CompressionOptions, ConnectOptions, Message};
use tokio::io::AsyncWriteExt;

fn messages() -> Vec<Message> {
    vec![
        Message::from("hello"),
        Message::from(""),
        Message::from("é€".repeat(50)),
        Message::from("lorem ipsum dolor sit amet ".repeat(400)),
        Message::from((0..=255u8).cycle().take(256 * 64).collect::<Vec<u8>>()),
        Message::from(vec![0u8; 100_000]),
    ]
}

/// Connects to one Python server with each compression policy, echo-checks every message
/// three times; whether all round-tripped with permessage-deflate agreed.
async fn exchange(port: u64) -> bool {
    let mut ok = true;
    for policy in [
        CompressionOptions::balanced(),
        CompressionOptions::max_ratio(),
        CompressionOptions::lean(),
    ] {
        ok &= exchange_with(port, policy).await;
    }
    ok
}

async fn exchange_with(port: u64, policy: CompressionOptions) -> bool {
    // Threshold 0: every message is compressed, so every exchange exercises the codec.
    let options = ConnectOptions::new()
        .compression_options(policy.threshold(0))
        .max_message_size(None);
    let Ok(mut conn) = websocket_connect(format!("ws://127.0.0.1:{port}/"), options).await else {
        return false;
    };
    let mut ok = conn
        .extensions()
        .is_some_and(|agreed| agreed.starts_with("permessage-deflate"));
    for _ in 0..3 {
        for message in messages() {
            ok &= conn.write_message(message.clone()).await.is_ok();
            ok &= conn.read_message().await == Some(message);
        }
    }
    ok &= conn.close(None, None).await.is_ok();
    ok
}

#[tokio::test]
async fn squall_client_against_python_websockets_server() {
    let mut peer = PythonPeer::spawn(&["server"]);
    let mut results = Vec::new();
    let run_all = async {
        while let Some(line) = peer.lines.next_line().await.unwrap() {
            let announced: serde_json::Value = serde_json::from_str(&line).unwrap();
            let port = announced["port"].as_u64().unwrap();
            let ok = exchange(port).await;
            results.push((announced["params"].clone(), ok));
            peer.stdin
                .write_all(format!("{{\"ok\": {ok}}}\n").as_bytes())
                .await
                .unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run_all)
        .await
        .expect("the peer finished");
    let status = peer.wait().await;
    assert_eq!(
        results.len(),
        64,
        "one result per combination: {results:#?}"
    );
    let failed: Vec<_> = results.iter().filter(|(_, ok)| !ok).collect();
    assert!(failed.is_empty(), "failed combinations: {failed:#?}");
    assert!(status.success(), "the Python peer reported a failure");
}
