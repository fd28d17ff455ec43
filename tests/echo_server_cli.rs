//! `examples/echo_server`'s command line, run as a user runs it: `--cert`/`--key` serve
//! TLS with HTTP/2 and HTTP/1.1 on one port (ALPN `h2`, `http/1.1`), `--h2c` serves
//! cleartext HTTP/2 with prior knowledge beside HTTP/1.1, and without them it speaks
//! HTTP/1.1 alone. The process prints `listening on 127.0.0.1:PORT` when ready; the clients
//! are tokio-tungstenite over TCP, TLS or an HTTP/2 stream (`common::peer`), not squall.
//!
//! The example is built (default features) if it is missing or older than the sources.
#![cfg(all(feature = "server", feature = "tls", feature = "http2"))]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use common::client::within;
use common::example::{example_binary, Example};
use common::peer::{certs, Client, Transport};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as TMessage;

/// `echo_server --port 0` with `args`, once it listens.
async fn echo_server(args: &[&str]) -> (Example, SocketAddr) {
    let binary = example_binary("echo_server", &[]);
    let mut all = vec!["--port", "0"];
    all.extend_from_slice(args);
    Example::listening(&binary, &all).await
}

/// A directory of this test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "squall-echo-server-cli-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Writes `contents` to `name` in the directory; its path.
    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Text and binary round trips on one WebSocket over `transport`, the first offered
/// subprotocol selected, then the close handshake; with a second WebSocket open beside
/// it (over HTTP/2, on the same connection).
async fn assert_echoes(transport: Transport, addr: SocketAddr) {
    let client = Client::to(transport, addr).await;
    let mut request = client.request("/any/path?x=1");
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "first, second".parse().unwrap());
    let (mut ws, response) = within(client.connect_with(request)).await.unwrap();
    assert_eq!(response.status(), transport.accepted(), "{transport}");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "first",
        "{transport}"
    );
    let mut beside = within(client.connect("/another")).await;
    let binary: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    for message in [TMessage::text("héllo"), TMessage::binary(binary)] {
        ws.send(message.clone()).await.unwrap();
        let echo = within(ws.next()).await.unwrap().unwrap();
        assert_eq!(echo, message, "{transport}");
    }
    beside.send(TMessage::text("beside")).await.unwrap();
    let echo = within(beside.next()).await.unwrap().unwrap();
    assert_eq!(echo, TMessage::text("beside"), "{transport}");
    ws.close(None).await.unwrap();
    // The server's answer to the close, then the end of the stream.
    let rest: Vec<_> = within(ws.collect::<Vec<_>>()).await;
    assert!(
        rest.iter().all(|m| matches!(m, Ok(TMessage::Close(_)))),
        "{transport}: {rest:?}"
    );
}

#[tokio::test]
async fn cert_and_key_serve_http2_and_http1_over_tls_on_one_port() {
    let dir = TempDir::new("tls");
    let cert = dir.file("cert.pem", &certs().cert_pem);
    let key = dir.file("key.pem", &certs().key_pem);
    let (_server, addr) = echo_server(&["--cert", &cert, "--key", &key]).await;
    assert_echoes(Transport::H2Tls, addr).await;
    assert_echoes(Transport::Http1Tls, addr).await;
}

#[tokio::test]
async fn h2c_serves_http2_with_prior_knowledge_beside_http1() {
    let (_server, addr) = echo_server(&["--h2c"]).await;
    assert_echoes(Transport::H2c, addr).await;
    assert_echoes(Transport::Http1, addr).await;
}

#[tokio::test]
async fn without_the_flags_it_speaks_http1_alone() {
    let (_server, addr) = echo_server(&[]).await;
    assert_echoes(Transport::Http1, addr).await;
    // The HTTP/2 preface is no HTTP/1.1 request: no SETTINGS frame comes back.
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    tcp.write_all(&preface).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "answered the HTTP/2 preface with {answer:?}"
    );
}

#[tokio::test]
async fn a_cert_without_a_key_or_a_missing_file_is_refused() {
    let binary = example_binary("echo_server", &[]);
    let dir = TempDir::new("refused");
    let cert = dir.file("cert.pem", &certs().cert_pem);
    let missing = dir.0.join("missing.pem");
    let missing = missing.to_str().unwrap();
    let cases: [(&[&str], i32, &str); 3] = [
        (&["--cert", &cert], 2, "--cert and --key go together"),
        (&["--key", &cert], 2, "--cert and --key go together"),
        (&["--cert", &cert, "--key", missing], 1, "missing.pem"),
    ];
    for (args, code, message) in cases {
        let mut all = vec!["--port", "0"];
        all.extend_from_slice(args);
        let mut server = Example::spawn(&binary, &all);
        let status = server.wait_exit(Duration::from_secs(10)).await;
        assert_eq!(status.and_then(|s| s.code()), Some(code), "{args:?}");
        // The pipe's last lines may still be on their way.
        let mut stderr = server.stderr();
        for _ in 0..50 {
            if stderr.contains(message) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            stderr = server.stderr();
        }
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(
            !server.stdout().contains("listening on"),
            "{args:?}: {}",
            server.stdout()
        );
    }
}
