//! The benchmark's peer servers answer the generator's loads: every library's echo server
//! echoes what the echo cells send, and the servers with permessage-deflate compress what
//! the deflate cells send. Each server is the crate's own binary on a port of 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use squall_bench::chat::{ChatCell, ChatLoad, Payloads, DEFAULT_CLIENT_LEVEL};
use squall_bench::echo::{run_echo, EchoCell, Transport};
use squall_bench::open::OpenLoad;

/// A server process, killed on drop.
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

fn start(bin: &str, deflate: bool) -> Server {
    let mut command = Command::new(bin);
    command.args(["--port", "0"]);
    if deflate {
        command.arg("--deflate");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{bin}: {line:?}"))
        .parse()
        .unwrap();
    Server { child, addr }
}

fn chat(payloads: Payloads, deflate: bool) -> ChatCell {
    ChatCell {
        conns: 3,
        payloads,
        deflate,
        client_level: DEFAULT_CLIENT_LEVEL,
    }
}

const SERVERS: [&str; 6] = [
    env!("CARGO_BIN_EXE_echo_axum"),
    env!("CARGO_BIN_EXE_echo_sockudo"),
    env!("CARGO_BIN_EXE_echo_tokio_websockets"),
    env!("CARGO_BIN_EXE_echo_yawc"),
    env!("CARGO_BIN_EXE_echo_fastwebsockets"),
    env!("CARGO_BIN_EXE_echo_tungstenite"),
];

#[tokio::test]
async fn every_peer_echoes_binary_text_and_chat_messages() {
    for bin in SERVERS {
        let server = start(bin, false);
        for (size, text) in [(16, false), (70_000, true)] {
            let cell = EchoCell {
                conns: 2,
                transport: Transport::Http1,
                size,
                depth: 2,
                text,
                warmup: Duration::from_millis(50),
                duration: Duration::from_millis(150),
            };
            let result = run_echo(server.addr, cell, None).await.unwrap();
            assert!(result.total > 0, "{bin}: nothing echoed");
        }
        let mut load = ChatLoad::open(server.addr, chat(Payloads::Chat, false), None)
            .await
            .unwrap();
        load.slice(Duration::from_millis(150)).await.unwrap();
        let wire = load.result().wire;
        assert!(wire.payload_read > 0, "{bin}: no chat echo");
        // Uncompressed: the payload plus 2-4 header bytes per frame.
        let ratio = wire.server_ratio().unwrap();
        assert!((1.0..1.05).contains(&ratio), "{bin}: {ratio}");
    }
}

#[tokio::test]
async fn axum_echoes_over_http2_streams_of_one_or_several_connections() {
    let server = start(env!("CARGO_BIN_EXE_echo_axum"), false);
    // 3 WebSockets, 2 on the first connection and 1 on the second; messages larger than
    // the default stream window (64 KiB) too.
    for (size, text, depth) in [(16, false, 2), (70_000, true, 1), (200_000, false, 2)] {
        let cell = EchoCell {
            conns: 3,
            transport: Transport::Http2 { per_conn: 2 },
            size,
            depth,
            text,
            warmup: Duration::from_millis(50),
            duration: Duration::from_millis(150),
        };
        let result = run_echo(server.addr, cell, None).await.unwrap();
        assert!(result.total > 0, "{size} B: nothing echoed");
    }
}

#[tokio::test]
async fn websockets_open_over_http2_and_http1() {
    let server = start(env!("CARGO_BIN_EXE_echo_axum"), false);
    for transport in [Transport::Http2 { per_conn: 100 }, Transport::Http1] {
        let mut load = OpenLoad::new(server.addr, transport, None);
        load.slice(Duration::from_millis(100)).await.unwrap();
        let result = load.result();
        assert!(result.opens > 0, "{transport:?}: nothing opened");
        assert!(result.median_us > 0.0, "{transport:?}");
        assert_eq!(load.slice_medians().len(), 1);
    }
}

#[tokio::test]
async fn an_http2_load_fails_against_a_server_without_http2() {
    let server = start(env!("CARGO_BIN_EXE_echo_tungstenite"), false);
    let cell = EchoCell {
        conns: 1,
        transport: Transport::Http2 { per_conn: 1 },
        size: 16,
        depth: 1,
        text: false,
        warmup: Duration::from_millis(50),
        duration: Duration::from_millis(50),
    };
    assert!(run_echo(server.addr, cell, None).await.is_err());
}

#[tokio::test]
async fn deflate_peers_compress_chat_and_large_text() {
    for bin in [
        env!("CARGO_BIN_EXE_echo_sockudo"),
        env!("CARGO_BIN_EXE_echo_yawc"),
    ] {
        let server = start(bin, true);
        for payloads in [Payloads::Chat, Payloads::Text(64 << 10)] {
            let mut load = ChatLoad::open(server.addr, chat(payloads, true), None)
                .await
                .unwrap();
            load.warm_up(Duration::from_millis(50)).await.unwrap();
            load.slice(Duration::from_millis(200)).await.unwrap();
            let result = load.result();
            assert!(result.msgs_per_sec > 0.0, "{bin}: nothing echoed");
            // JSON of a small vocabulary compresses to well under half.
            let server_ratio = result.wire.server_ratio().unwrap();
            let client_ratio = result.wire.client_ratio().unwrap();
            assert!(server_ratio < 0.5, "{bin} {payloads:?}: {server_ratio}");
            assert!(client_ratio < 0.5, "{bin} {payloads:?}: {client_ratio}");
        }
    }
}

#[tokio::test]
async fn a_deflate_cell_fails_against_a_server_without_deflate() {
    let server = start(env!("CARGO_BIN_EXE_echo_sockudo"), false);
    let opened = ChatLoad::open(server.addr, chat(Payloads::Chat, true), None).await;
    let error = opened.err().expect("a deflate load against a plain server");
    assert!(error.to_string().contains("declined"), "{error}");
}
