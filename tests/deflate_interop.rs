//! permessage-deflate against an independent implementation: Python `websockets`, every
//! parameter combination it can offer, several rounds per connection (context takeover).
//!
//! The Python interpreter comes from `SQUALL_PYTHON` (scripts/setup.sh makes a venv with
//! `websockets` in `target/interop-venv`); the test fails if it cannot run.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use squall::{Application, CompressionOptions, Message, WebSocket, WebSocketHandler};
use tokio::io::{AsyncBufReadExt, BufReader};

struct Echo;

impl WebSocketHandler for Echo {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        // Threshold 0: every message is compressed, so every exchange exercises the codec.
        Some(CompressionOptions::new().threshold(0))
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("SQUALL_PYTHON") {
        return python.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

fn peer_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/deflate_peer.py")
}

#[tokio::test]
async fn python_websockets_client_against_squall_server() {
    let server = Application::new()
        .route("/echo", || Echo)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/echo", server.local_addr());
    let mut child = tokio::process::Command::new(python())
        .arg(peer_script())
        .args(["client", &url])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 with the websockets package (run scripts/setup.sh)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut results = Vec::new();
    let read_all = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            results.push(line);
        }
    };
    tokio::time::timeout(Duration::from_secs(120), read_all)
        .await
        .expect("the peer finished");
    let status = child.wait().await.unwrap();
    assert_eq!(
        results.len(),
        64,
        "one result per combination: {results:#?}"
    );
    for line in &results {
        assert!(line.contains("\"ok\": true"), "{line}");
        assert!(line.contains("permessage-deflate"), "{line}");
    }
    assert!(status.success(), "the Python peer reported a failure");
}
