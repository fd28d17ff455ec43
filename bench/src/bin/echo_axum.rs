//! axum 0.8 echo server with axum's own `WebSocketUpgrade`, as that crate's `websockets`
//! example, on a current-thread runtime. `axum::serve` (hyper-util's auto builder) answers
//! HTTP/1.1 and cleartext HTTP/2 with prior knowledge on the same port, with extended
//! CONNECT (RFC 8441) enabled, so one route serves WebSockets over both.
//!
//! `echo_axum --port PORT`; prints `listening on 127.0.0.1:PORT`.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::any;
use axum::serve::ListenerExt;
use axum::Router;
use squall_bench::cli;
use tokio::net::TcpListener;

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(cli::MAX_MESSAGE_SIZE)
        .max_frame_size(cli::MAX_MESSAGE_SIZE)
        .on_upgrade(echo)
}

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(_) | Message::Binary(_) => {
                if socket.send(message).await.is_err() {
                    return;
                }
            }
            Message::Close(_) => return,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

fn main() {
    let port = cli::server_port();
    cli::runtime().block_on(async {
        // `any`: HTTP/1.1 upgrades are GETs, RFC 8441 ones CONNECTs.
        let app = Router::new().route("/", any(upgrade));
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        // As axum's docs advise for latency-bound traffic (the other servers set it too).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let _ = axum::serve(listener, app).await;
    });
}
