//! permessage-deflate against an independent implementation: Python `websockets`, every
//! parameter combination it can offer against each compression policy, several rounds per
//! connection (context takeover).
//!
//! The Python interpreter comes from `SQUALL_PYTHON` (scripts/setup.sh makes a venv with
//! `websockets` in `target/interop-venv`); the test fails if it cannot run.
#![allow(clippy::unwrap_used)]

#[path = "common/python.rs"]
mod python;

use std::time::Duration;

use python::PythonPeer;
use squall::{Application, CompressionOptions, Message, WebSocket, WebSocketHandler};

struct Echo(CompressionOptions);

impl WebSocketHandler for Echo {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        // Threshold 0: every message is compressed, so every exchange exercises the codec.
        Some(self.0.clone().threshold(0))
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

#[tokio::test]
async fn python_websockets_client_against_squall_server() {
    let server = Application::new()
        .route("/balanced", || Echo(CompressionOptions::balanced()))
        .route("/max_ratio", || Echo(CompressionOptions::max_ratio()))
        .route("/lean", || Echo(CompressionOptions::lean()))
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    for policy in ["balanced", "max_ratio", "lean"] {
        let url = format!("ws://{}/{policy}", server.local_addr());
        let mut peer = PythonPeer::spawn(&["client", &url]);
        let mut results = Vec::new();
        let read_all = async {
            while let Some(line) = peer.lines.next_line().await.unwrap() {
                results.push(line);
            }
        };
        tokio::time::timeout(Duration::from_secs(120), read_all)
            .await
            .expect("the peer finished");
        let status = peer.wait().await;
        assert_eq!(
            results.len(),
            64,
            "{policy}: one result per combination: {results:#?}"
        );
        for line in &results {
            assert!(line.contains("\"ok\": true"), "{policy}: {line}");
            assert!(line.contains("permessage-deflate"), "{policy}: {line}");
        }
        assert!(
            status.success(),
            "{policy}: the Python peer reported a failure"
        );
    }
}
