//! A squall handler on an axum 0.8 route served over HTTP/2 (RFC 8441 through hyper's
//! extended CONNECT), driven by the raw HTTP/2 client with hand-written frames; the same
//! route still serves HTTP/1.1.
#![allow(clippy::unwrap_used)]

mod common;

use axum::routing::any;
use common::raw_h2::H2;
use squall::axum::WebSocketUpgrade;
use squall::{Message, PathArgs, WebSocket, WebSocketHandler};
use tokio::net::TcpListener;

struct Echo;

impl WebSocketHandler for Echo {
    async fn open(&mut self, ws: &WebSocket, _args: PathArgs) {
        let hello = format!("{:?} {}", ws.request().version(), ws.request().method());
        let _ = ws.write_message(hello).await;
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

async fn axum_server() -> std::net::SocketAddr {
    let app = axum::Router::new().route(
        "/ws",
        any(|ws: WebSocketUpgrade| async move { ws.serve(Echo, PathArgs::default()).await }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn a_squall_handler_on_axum_over_http2() {
    let addr = axum_server().await;
    let h2 = H2::h2c(addr).await;
    assert!(h2.send.is_extended_connect_protocol_enabled());
    let mut a = h2.open("/ws").await;
    let mut b = h2.open("/ws").await;
    assert!(!a.headers.contains_key("sec-websocket-accept"));
    for ws in [&mut a, &mut b] {
        let hello = ws.next().await;
        assert_eq!(hello.payload, b"HTTP/2.0 CONNECT");
        ws.send_text("over axum and h2");
        assert_eq!(ws.next().await.payload, b"over axum and h2");
    }
    a.close(1000).await;
    b.send_text("b goes on");
    assert_eq!(b.next().await.payload, b"b goes on");
    b.close(1000).await;
    // The same-host origin rule reads :authority.
    let same = format!("http://{addr}");
    let mut c = h2.open_with("/ws", &[("origin", &same)]).await.unwrap();
    assert_eq!(c.next().await.payload, b"HTTP/2.0 CONNECT");
    c.close(1000).await;
    let refused = h2
        .open_with("/ws", &[("origin", "http://evil.example")])
        .await;
    assert_eq!(refused.err(), Some(http::StatusCode::FORBIDDEN));
    // A wrong version is refused by the same rules.
    let mut request = h2.connect_request("/ws", &[]);
    request
        .headers_mut()
        .insert("sec-websocket-version", "8".parse().unwrap());
    let (parts, _, _) = h2.request(request).await.unwrap();
    assert_eq!(parts.status, http::StatusCode::UPGRADE_REQUIRED);
}

#[tokio::test]
async fn the_same_route_serves_http1() {
    use futures_util::StreamExt;
    let addr = axum_server().await;
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let hello = client.next().await.unwrap().unwrap();
    assert_eq!(hello.into_text().unwrap().as_str(), "HTTP/1.1 GET");
}
