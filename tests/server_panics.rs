//! A handler hook that panics: the client gets a 1011 close (not a dropped connection),
//! `on_close` still runs once, and the server goes on serving, over HTTP/2 the other
//! WebSockets of the same connection too; with tokio-tungstenite as the client over
//! HTTP/1.1, h2c and HTTP/2 over TLS (`common::peer`).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::peer::{transport_tests, Client, Transport, Ws};
use futures_util::{SinkExt, StreamExt};
use squall::{Application, Message, PathArgs, WebSocket, WebSocketHandler};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as TMessage;

transport_tests!(
    a_panic_in_open_or_on_message_closes_with_1011_and_on_close_runs,
    a_panic_in_on_close_leaves_the_server_serving,
);

/// Panics in the hook named by the path (`/open`, `/message`, `/close`), echoes otherwise, and
/// reports each `on_close` with the close code it saw.
struct Fragile {
    closed: mpsc::UnboundedSender<Option<u16>>,
    panic_in: String,
}

impl WebSocketHandler for Fragile {
    async fn open(&mut self, _ws: &WebSocket, args: PathArgs) {
        self.panic_in = args.get(0).unwrap().to_owned();
        assert!(self.panic_in != "open", "a bug in open");
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        assert!(self.panic_in != "message", "a bug in on_message");
        let _ = ws.write_message(message).await;
    }

    async fn on_close(&mut self, ws: &WebSocket) {
        let _ = self.closed.send(ws.close_code().map(u16::from));
        assert!(self.panic_in != "close", "a bug in on_close");
    }
}

/// A server of `Fragile`s, a client of it, and a WebSocket on `/fine` open beside the
/// fragile ones: over HTTP/2 they are all streams of one connection.
async fn server(
    transport: Transport,
) -> (
    squall::Server,
    Client,
    Ws,
    mpsc::UnboundedReceiver<Option<u16>>,
) {
    let (closed, seen) = mpsc::unbounded_channel();
    let app = Application::new().route(r"/(\w+)", move || Fragile {
        closed: closed.clone(),
        panic_in: String::new(),
    });
    let server = transport.listen(app).await;
    let client = Client::new(transport, &server).await;
    let bystander = client.connect("/fine").await;
    (server, client, bystander, seen)
}

/// The close code the client receives on `path`, after sending `send` (if any).
async fn close_code_after(client: &Client, path: &str, send: Option<&str>) -> Option<u16> {
    let transport = client.transport;
    let mut ws = client.connect(path).await;
    if let Some(text) = send {
        ws.send(TMessage::text(text)).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut code = None;
        // Read on after the close frame: that sends tungstenite's answer, completing the
        // close handshake.
        while let Some(message) = ws.next().await {
            match message {
                Ok(TMessage::Close(frame)) => code = Some(frame.map(|f| u16::from(f.code))),
                Ok(_) => {}
                Err(error) => {
                    panic!("{transport}: the connection failed instead of closing: {error}")
                }
            }
        }
        code.expect("the connection ended without a close frame")
    })
    .await
    .expect("a close within 5 s")
}

async fn on_close_code(seen: &mut mpsc::UnboundedReceiver<Option<u16>>) -> Option<u16> {
    tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("on_close within 5 s")
        .expect("the server is running")
}

/// The WebSocket still echoes.
async fn assert_echoes(ws: &mut Ws, text: &str, transport: Transport) {
    ws.send(TMessage::text(text)).await.unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert_eq!(echo.unwrap().unwrap(), TMessage::text(text), "{transport}");
}

async fn a_panic_in_open_or_on_message_closes_with_1011_and_on_close_runs(transport: Transport) {
    let (_server, client, mut bystander, mut seen) = server(transport).await;
    assert_eq!(
        close_code_after(&client, "/open", None).await,
        Some(1011),
        "{transport}"
    );
    assert_eq!(on_close_code(&mut seen).await, Some(1011));
    assert_eq!(
        close_code_after(&client, "/message", Some("boom")).await,
        Some(1011),
        "{transport}"
    );
    assert_eq!(on_close_code(&mut seen).await, Some(1011));
    assert_echoes(&mut bystander, "unaffected", transport).await;
}

async fn a_panic_in_on_close_leaves_the_server_serving(transport: Transport) {
    let (_server, client, mut bystander, mut seen) = server(transport).await;
    let mut ws = client.connect("/close").await;
    ws.close(None).await.unwrap();
    assert_eq!(
        on_close_code(&mut seen).await,
        Some(1005),
        "a close frame without a code"
    );
    assert_echoes(&mut bystander, "unaffected", transport).await;
    let mut next = client.connect("/fine").await;
    assert_echoes(&mut next, "still here", transport).await;
}
