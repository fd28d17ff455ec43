//! RFC 8441 against an independent client: Node's built-in `http2` module sends the
//! extended CONNECTs, and tests/interop/h2_ws_client.mjs writes the WebSocket frames by
//! hand. h2c and TLS (ALPN `h2`), several WebSockets on one connection.
#![cfg(feature = "http2")]
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use squall::{Application, Message, PathArgs, Server, WebSocket, WebSocketHandler};

struct Echo;

impl WebSocketHandler for Echo {
    async fn open(&mut self, ws: &WebSocket, _args: PathArgs) {
        let hello = format!("{:?} {}", ws.request().version(), ws.request().path());
        let _ = ws.write_message(hello).await;
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

/// Runs the Node client against `url` with `paths`; its output lines.
async fn node(url: String, paths: &[&str]) -> Vec<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/h2_ws_client.mjs");
    let paths: Vec<String> = paths.iter().map(|p| (*p).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .args(paths)
            .output()
            .expect("node 20 on the PATH")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "node failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.lines().map(str::to_owned).collect()
}

fn expected(paths: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = paths
        .iter()
        .map(|p| format!("{p} hello HTTP/2.0 {p}"))
        .collect();
    lines.extend(paths.iter().map(|p| format!("{p} closed 1000")));
    lines.push("done".to_owned());
    lines
}

fn app() -> Application {
    Application::new().route("/echo/.*", || Echo)
}

async fn h2c() -> Server {
    app().h2c(true).listen("127.0.0.1:0").await.unwrap()
}

#[tokio::test]
async fn node_http2_client_over_h2c() {
    let server = h2c().await;
    let paths = ["/echo/a", "/echo/b", "/echo/c"];
    let url = format!("http://{}", server.local_addr());
    assert_eq!(node(url, &paths).await, expected(&paths));
}

#[tokio::test]
async fn node_http2_client_over_tls() {
    let certs = common::client::test_certs();
    let config =
        squall::tls::server_config_from_pem(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .unwrap();
    let server = app().tls(config).listen("127.0.0.1:0").await.unwrap();
    let paths = ["/echo/x", "/echo/y"];
    let url = format!("https://localhost:{}", server.local_addr().port());
    assert_eq!(node(url, &paths).await, expected(&paths));
}
