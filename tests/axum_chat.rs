//! squall handlers hosted by axum and hyper: the `axum_chat` example with an independent
//! client, and the handshake rules of `Application` holding through the host server.
#![allow(clippy::unwrap_used)]

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/axum_chat.rs"]
mod axum_chat;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{FromRequestParts, Path};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use squall::axum::{Upgrader, WebSocketUpgrade};
use squall::{Message, PathArgs, Rejection, Settings, WebSocket, WebSocketHandler};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Error as TError};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Serves `app` on 127.0.0.1 with the peer address available to handlers.
async fn start(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    addr
}

async fn chat_server() -> SocketAddr {
    let www = std::env::temp_dir().join("squall-axum-chat-no-www");
    start(axum_chat::app(axum_chat::Hub::new(), www)).await
}

async fn next_text(client: &mut Client) -> String {
    let message = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("no message within 5 s")
        .expect("the connection ended")
        .unwrap();
    message.into_text().unwrap().as_str().to_owned()
}

/// Sends `text` and waits for it to come back: the broadcast reaches the sender too, so
/// this proves the sender has joined its room.
async fn say(client: &mut Client, text: &str) {
    client.send(tungstenite::Message::text(text)).await.unwrap();
    assert_eq!(next_text(client).await, text);
}

async fn status_of(request: http::Request<()>) -> (u16, http::Response<Option<Vec<u8>>>) {
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => (response.status().as_u16(), response),
        Err(TError::Http(response)) => (response.status().as_u16(), *response),
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// Sends a raw HTTP request and returns the response head, lower-cased, and the stream.
async fn raw_head(addr: SocketAddr, request: &str) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .expect("no response within 5 s")
            .unwrap();
        assert_eq!(n, 1, "connection closed in the response head: {head:?}");
        head.push(byte[0]);
    }
    (
        String::from_utf8(head).unwrap().to_ascii_lowercase(),
        stream,
    )
}

fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

#[tokio::test]
async fn a_message_reaches_everyone_in_the_room_and_no_one_else() {
    let addr = chat_server().await;
    let url = |room: &str| format!("ws://{addr}/chat/{room}");
    // Each joins before the next connects, so each one's first message is its own.
    let (mut carol, _) = tokio_tungstenite::connect_async(url("coffee"))
        .await
        .unwrap();
    say(&mut carol, "carol joined").await;
    let (mut alice, _) = tokio_tungstenite::connect_async(url("tea")).await.unwrap();
    say(&mut alice, "alice joined").await;
    let (mut bob, _) = tokio_tungstenite::connect_async(url("tea")).await.unwrap();
    say(&mut bob, "bob joined").await;
    assert_eq!(next_text(&mut alice).await, "bob joined");

    alice
        .send(tungstenite::Message::text("hello"))
        .await
        .unwrap();
    assert_eq!(next_text(&mut alice).await, "hello");
    assert_eq!(next_text(&mut bob).await, "hello");
    // Carol's room saw none of it: her next message is her own.
    say(&mut carol, "carol again").await;
}

#[tokio::test]
async fn static_files_and_unknown_paths_are_plain_http() {
    let www = std::env::temp_dir().join(format!("squall-axum-www-{}", std::process::id()));
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "<p>chat</p>").unwrap();
    let addr = start(axum_chat::app(axum_chat::Hub::new(), www.clone())).await;
    let (head, mut stream) = raw_head(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/html"), "{head}");
    let mut body = [0u8; 11];
    stream.read_exact(&mut body).await.unwrap();
    assert_eq!(&body, b"<p>chat</p>");
    let (head, _) = raw_head(addr, "GET /../Cargo.toml HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 404"), "{head}");
    std::fs::remove_dir_all(&www).unwrap();
}

#[tokio::test]
async fn cross_origin_is_403_and_same_origin_is_accepted() {
    let addr = chat_server().await;
    let url = format!("ws://{addr}/chat/tea");
    let with_origin = |origin: &str| {
        let mut request = url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        request
    };
    let (status, response) = status_of(with_origin("http://evil.example")).await;
    assert_eq!(status, 403);
    assert_eq!(
        response.body().as_deref(),
        Some(&b"Cross origin websockets not allowed"[..])
    );
    assert_eq!(
        status_of(with_origin(&format!("http://{addr}"))).await.0,
        101
    );
}

#[tokio::test]
async fn bad_version_is_426_with_the_supported_version() {
    let addr = chat_server().await;
    let request = upgrade_request("/chat/tea", "").replace("Version: 13", "Version: 8");
    let (head, _) = raw_head(addr, &request).await;
    assert!(head.starts_with("http/1.1 426"), "{head}");
    assert!(head.contains("sec-websocket-version: 13"), "{head}");
}

#[tokio::test]
async fn plain_get_to_a_websocket_route_is_400() {
    let addr = chat_server().await;
    let (head, _) = raw_head(addr, "GET /chat/tea HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 400"), "{head}");
}

#[tokio::test]
async fn permessage_deflate_is_negotiated_when_the_handler_asks() {
    let addr = chat_server().await;
    let extra = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    let (head, mut stream) = raw_head(addr, &upgrade_request("/chat/tea", extra)).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        head.contains("sec-websocket-extensions: permessage-deflate"),
        "{head}"
    );
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    // RFC 7692 §7.2.3.1: "Hello" compressed, masked with zeros. Without deflate, RSV1
    // would fail the connection with 1002.
    let payload = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let mut frame = vec![0xc1, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(&payload);
    stream.write_all(&frame).await.unwrap();
    let mut echo = [0u8; 7];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut echo))
        .await
        .expect("no broadcast within 5 s")
        .unwrap();
    // The room's broadcast frame: text, FIN, uncompressed (encoded once for all).
    assert_eq!(echo, [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);

    let (head, _) = raw_head(addr, &upgrade_request("/chat/tea", "")).await;
    assert!(!head.contains("sec-websocket-extensions"), "{head}");
}

/// What a [`Probe`] saw when its connection opened.
#[derive(Debug)]
struct Opened {
    args: PathArgs,
    peer: Option<SocketAddr>,
    subprotocol: Option<String>,
    /// Whether `set_nodelay` worked: only on a stream hyper gave back as a `TcpStream`.
    nodelay: bool,
}

/// A handler for the handshake rules: picks `chat.v2`, refuses `?deny` in `prepare`,
/// reports `open`, echoes messages.
struct Probe {
    opened: mpsc::UnboundedSender<Opened>,
}

impl WebSocketHandler for Probe {
    async fn prepare(&mut self, request: &squall::Request) -> Result<(), Rejection> {
        if request.query() == Some("deny") {
            let mut rejection = Rejection::new(StatusCode::UNAUTHORIZED, "who are you?");
            rejection
                .headers
                .insert("www-authenticate", "Bearer".parse().unwrap());
            return Err(rejection);
        }
        Ok(())
    }

    fn select_subprotocol(&mut self, offered: &[String]) -> Option<String> {
        offered.iter().find(|p| *p == "chat.v2").cloned()
    }

    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        let _ = self.opened.send(Opened {
            args,
            peer: ws.request().peer_addr(),
            subprotocol: ws.selected_subprotocol().map(str::to_owned),
            nodelay: ws.set_nodelay(true).await.is_ok(),
        });
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

/// `/probe/{name}`: the capture goes to `open` as the named argument `name`.
async fn probe_server(upgrader: Upgrader) -> (SocketAddr, mpsc::UnboundedReceiver<Opened>) {
    let (opened, seen) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route(
            "/probe/{name}",
            get(move |Path(name): Path<String>, ws: WebSocketUpgrade| {
                let mut args = PathArgs::default();
                args.named.insert("name".to_owned(), name);
                ws.serve(Probe { opened }, args)
            }),
        )
        .layer(axum::Extension(upgrader));
    (start(app).await, seen)
}

async fn next_opened(seen: &mut mpsc::UnboundedReceiver<Opened>) -> Opened {
    tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("open was not called within 5 s")
        .unwrap()
}

#[tokio::test]
async fn path_capture_and_peer_address_reach_open() {
    let (addr, mut seen) = probe_server(Upgrader::default()).await;
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/probe/caf%C3%A9"))
        .await
        .unwrap();
    let opened = next_opened(&mut seen).await;
    assert_eq!(opened.args.named("name"), Some("café"));
    assert!(opened.args.positional.is_empty());
    let local = match client.get_ref() {
        MaybeTlsStream::Plain(stream) => stream.local_addr().unwrap(),
        _ => unreachable!("plain ws://"),
    };
    assert_eq!(opened.peer, Some(local));
    assert!(!opened.nodelay, "axum's upgraded stream hides its socket");
    client
        .send(tungstenite::Message::text("echo"))
        .await
        .unwrap();
    assert_eq!(next_text(&mut client).await, "echo");
}

#[tokio::test]
async fn subprotocol_is_selected_from_the_offer() {
    let (addr, mut seen) = probe_server(Upgrader::default()).await;
    let mut request = format!("ws://{addr}/probe/x")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "chat.v1, chat.v2".parse().unwrap(),
    );
    let (_client, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v2");
    let opened = next_opened(&mut seen).await;
    assert_eq!(opened.subprotocol.as_deref(), Some("chat.v2"));
}

#[tokio::test]
async fn a_prepare_rejection_answers_its_status_headers_and_body() {
    let (addr, _seen) = probe_server(Upgrader::default()).await;
    let request = format!("ws://{addr}/probe/x?deny")
        .into_client_request()
        .unwrap();
    let (status, response) = status_of(request).await;
    assert_eq!(status, 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.body().as_deref(), Some(&b"who are you?"[..]));
}

#[tokio::test]
async fn the_upgrader_shutdown_signal_closes_with_1001() {
    let (stop, stopping) = watch::channel(false);
    let upgrader = Upgrader::new(Settings::default()).with_shutdown(stopping);
    let (addr, mut seen) = probe_server(upgrader).await;
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/probe/x"))
        .await
        .unwrap();
    next_opened(&mut seen).await;
    stop.send_replace(true);
    let close = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("no close within 5 s")
        .unwrap()
        .unwrap();
    match close {
        tungstenite::Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn the_upgraders_settings_apply_to_the_connection() {
    let settings = Settings::new().max_message_size(Some(16));
    let (addr, mut seen) = probe_server(Upgrader::new(settings)).await;
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/probe/x"))
        .await
        .unwrap();
    next_opened(&mut seen).await;
    client
        .send(tungstenite::Message::text("x".repeat(17)))
        .await
        .unwrap();
    let close = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("no close within 5 s")
        .unwrap()
        .unwrap();
    match close {
        tungstenite::Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1009),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn the_extractor_refuses_requests_it_cannot_upgrade() {
    let request = |upgrade: bool| {
        let mut builder = http::Request::get("/probe/x").header("host", "127.0.0.1");
        if upgrade {
            builder = builder
                .header("upgrade", "websocket")
                .header("connection", "Upgrade")
                .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
                .header("sec-websocket-version", "13");
        }
        builder.body(()).unwrap().into_parts().0
    };
    let mut plain = request(false);
    let refused = WebSocketUpgrade::from_request_parts(&mut plain, &())
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    // A valid upgrade that did not come through hyper has no connection to take over.
    let mut detached = request(true);
    let refused = WebSocketUpgrade::from_request_parts(&mut detached, &())
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn plain_hyper_serves_a_handler() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (opened, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (stream, peer) = listener.accept().await.unwrap();
            let opened = opened.clone();
            let service = hyper::service::service_fn(move |mut req| {
                req.extensions_mut().insert(peer);
                let probe = Probe {
                    opened: opened.clone(),
                };
                let response =
                    squall::hyper::upgrade(req, probe, PathArgs::default(), Settings::default());
                async move { Ok::<_, Infallible>(response.await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            tokio::spawn(connection);
        }
    });
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/any"))
        .await
        .unwrap();
    let opened = next_opened(&mut seen).await;
    assert!(opened.peer.is_some());
    assert!(opened.nodelay, "hyper gives back the TcpStream");
    client
        .send(tungstenite::Message::text("echo"))
        .await
        .unwrap();
    assert_eq!(next_text(&mut client).await, "echo");

    // A frame sent with the request, before the 101: hyper has read it already.
    let mut pipelined = upgrade_request("/any", "").into_bytes();
    pipelined.extend_from_slice(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']);
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&pipelined).await.unwrap();
    let mut reply = Vec::new();
    while !reply.ends_with(&[0x81, 0x02, b'h', b'i']) {
        let mut chunk = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("no echo within 5 s")
            .unwrap();
        assert!(n > 0, "closed before the echo: {reply:?}");
        reply.extend_from_slice(&chunk[..n]);
    }
    assert!(reply.starts_with(b"HTTP/1.1 101"));

    let (head, _) = raw_head(addr, "GET /any HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 400"), "{head}");
}
