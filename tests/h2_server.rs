//! WebSockets over HTTP/2 (RFC 8441) on squall's server, driven by a raw HTTP/2 client
//! (the `h2` crate) whose WebSocket frames are written by hand: h2c and TLS, echo,
//! multiplexing, the refusals, resets, flow control and graceful shutdown.
#![cfg(feature = "http2")]
#![allow(clippy::unwrap_used)]

mod common;
mod h2_support;

use std::time::Duration;

use h2_support::{Ws, H2};
use squall::{Application, CloseCode, Message, PathArgs, Server, WebSocket, WebSocketHandler};
use tokio::sync::mpsc;

/// Echoes every message; says which HTTP version and subprotocol it got on open, and
/// reports its close code.
struct Echo {
    closed: mpsc::UnboundedSender<(String, Option<CloseCode>)>,
}

impl WebSocketHandler for Echo {
    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        let hello = format!(
            "{:?} {} {} {}",
            ws.request().version(),
            ws.request().method(),
            args.get(0).unwrap_or("-"),
            ws.selected_subprotocol().unwrap_or("-"),
        );
        let _ = ws.write_message(hello).await;
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }

    fn select_subprotocol(&mut self, subprotocols: &[String]) -> Option<String> {
        subprotocols.iter().find(|p| *p == "chat").cloned()
    }

    fn on_close(&mut self, ws: &WebSocket) -> impl std::future::Future<Output = ()> + Send {
        let _ = self
            .closed
            .send((ws.request().path().to_owned(), ws.close_code()));
        async {}
    }
}

type Closed = mpsc::UnboundedReceiver<(String, Option<CloseCode>)>;

fn app() -> (Application, Closed) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Application::new().route(r"/echo/?(\w*)", move || Echo { closed: tx.clone() });
    (app, rx)
}

async fn h2c_server() -> (Server, Closed) {
    let (app, closed) = app();
    let server = app.h2c(true).listen("127.0.0.1:0").await.unwrap();
    (server, closed)
}

async fn hello(ws: &mut Ws) -> String {
    let frame = ws.next().await;
    assert_eq!(frame.opcode, 0x1);
    String::from_utf8(frame.payload).unwrap()
}

async fn assert_echoes(ws: &mut Ws, text: &str) {
    ws.send_text(text);
    let frame = ws.next().await;
    assert_eq!(
        (frame.opcode, frame.payload.as_slice()),
        (0x1, text.as_bytes())
    );
}

async fn closed_within(closed: &mut Closed) -> (String, Option<CloseCode>) {
    tokio::time::timeout(Duration::from_secs(10), closed.recv())
        .await
        .expect("on_close within 10 s")
        .unwrap()
}

#[tokio::test]
async fn echo_text_and_binary_over_h2c() {
    let (server, mut closed) = h2c_server().await;
    let mut h2 = H2::h2c(server.local_addr()).await;
    assert!(h2.send.is_extended_connect_protocol_enabled());
    let mut ws = h2
        .open_with("/echo/room", &[("sec-websocket-protocol", "x, chat")])
        .await
        .unwrap();
    assert_eq!(ws.headers["sec-websocket-protocol"], "chat");
    assert!(!ws.headers.contains_key("sec-websocket-accept"));
    assert_eq!(hello(&mut ws).await, "HTTP/2.0 CONNECT room chat");
    assert_echoes(&mut ws, "hello over h2").await;
    let binary: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    ws.send_frame(0x2, &binary);
    let frame = ws.next().await;
    assert_eq!((frame.opcode, frame.payload), (0x2, binary));
    ws.close(1000).await;
    assert_eq!(
        closed_within(&mut closed).await,
        ("/echo/room".to_owned(), Some(CloseCode::NORMAL))
    );
}

#[tokio::test]
async fn http1_still_served_beside_h2c() {
    let (server, _closed) = h2c_server().await;
    let url = format!("ws://{}/echo/one", server.local_addr());
    let (mut client, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as T;
    let hello = client.next().await.unwrap().unwrap();
    assert_eq!(hello, T::text("HTTP/1.1 GET one -"));
    client.send(T::text("plain")).await.unwrap();
    assert_eq!(client.next().await.unwrap().unwrap(), T::text("plain"));
    client.close(None).await.unwrap();
}

#[tokio::test]
async fn two_websockets_on_one_connection_close_independently() {
    let (server, mut closed) = h2c_server().await;
    let mut h2 = H2::h2c(server.local_addr()).await;
    let mut a = h2.open("/echo/a").await;
    let mut b = h2.open("/echo/b").await;
    assert_eq!(hello(&mut a).await, "HTTP/2.0 CONNECT a -");
    assert_eq!(hello(&mut b).await, "HTTP/2.0 CONNECT b -");
    assert_echoes(&mut a, "to a").await;
    assert_echoes(&mut b, "to b").await;
    a.close(1000).await;
    assert_eq!(closed_within(&mut closed).await.0, "/echo/a");
    // b and the connection go on; a third WebSocket opens beside b.
    assert_echoes(&mut b, "b still here").await;
    let mut c = h2.open("/echo/c").await;
    hello(&mut c).await;
    assert_echoes(&mut c, "to c").await;
    b.close(4000).await;
    c.close(1000).await;
    let mut codes = vec![
        closed_within(&mut closed).await,
        closed_within(&mut closed).await,
    ];
    codes.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        codes,
        [
            ("/echo/b".to_owned(), Some(CloseCode::from(4000))),
            ("/echo/c".to_owned(), Some(CloseCode::NORMAL)),
        ]
    );
    assert!(
        !h2.task.is_finished(),
        "the connection outlives its WebSockets"
    );
}

#[tokio::test]
async fn check_origin_reads_the_authority() {
    let (server, _closed) = h2c_server().await;
    let mut h2 = H2::h2c(server.local_addr()).await;
    let same = format!("http://{}", server.local_addr());
    let mut ws = h2.open_with("/echo", &[("origin", &same)]).await.unwrap();
    hello(&mut ws).await;
    let status = h2
        .open_with("/echo", &[("origin", "http://evil.example")])
        .await
        .err();
    assert_eq!(status, Some(http::StatusCode::FORBIDDEN));
    assert_echoes(&mut ws, "unaffected").await;
}

#[tokio::test]
async fn refusals_get_their_status() {
    let (server, _closed) = h2c_server().await;
    let mut h2 = H2::h2c(server.local_addr()).await;
    // A path with no route.
    let status = h2.open_with("/nowhere", &[]).await.err();
    assert_eq!(status, Some(http::StatusCode::NOT_FOUND));
    // A wrong version.
    let mut request = h2.connect_request("/echo", &[]);
    request
        .headers_mut()
        .insert("sec-websocket-version", "8".parse().unwrap());
    let (parts, _, _) = h2.request(request).await.unwrap();
    assert_eq!(parts.status, http::StatusCode::UPGRADE_REQUIRED);
    assert_eq!(parts.headers["sec-websocket-version"], "13");
    // A plain CONNECT asks for a tunnel: refused, never opened.
    let tunnel = http::Request::connect(h2.authority.clone())
        .body(())
        .unwrap();
    let (parts, _, _) = h2.request(tunnel).await.unwrap();
    assert_eq!(parts.status, http::StatusCode::METHOD_NOT_ALLOWED);
    // A GET of a WebSocket route over HTTP/2.
    let get = http::Request::get(format!("http://{}/echo", h2.authority))
        .body(())
        .unwrap();
    let (parts, _, _) = h2.request(get).await.unwrap();
    assert_eq!(parts.status, http::StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(parts.headers["allow"], "CONNECT");
    // Another :protocol.
    let mut request = h2.connect_request("/echo", &[]);
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from("webtransport"));
    let (parts, _, _) = h2.request(request).await.unwrap();
    assert_eq!(parts.status, http::StatusCode::BAD_REQUEST);
    // The connection still serves.
    let mut ws = h2.open("/echo").await;
    hello(&mut ws).await;
    ws.close(1000).await;
}
