//! A handler hook that panics: the client gets a 1011 close (not a dropped connection),
//! `on_close` still runs once, and the server goes on serving; with a tokio-tungstenite client.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use squall::{Application, Message, PathArgs, WebSocket, WebSocketHandler};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as TMessage;

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

async fn server() -> (squall::Server, mpsc::UnboundedReceiver<Option<u16>>) {
    let (closed, seen) = mpsc::unbounded_channel();
    let server = Application::new()
        .route(r"/(\w+)", move || Fragile {
            closed: closed.clone(),
            panic_in: String::new(),
        })
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    (server, seen)
}

/// The close code the client receives, after sending `send` (if any).
async fn close_code_after(url: &str, send: Option<&str>) -> Option<u16> {
    let (mut client, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    if let Some(text) = send {
        client.send(TMessage::text(text)).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut code = None;
        // Read on after the close frame: that sends tungstenite's answer, completing the
        // close handshake.
        while let Some(message) = client.next().await {
            match message {
                Ok(TMessage::Close(frame)) => code = Some(frame.map(|f| u16::from(f.code))),
                Ok(_) => {}
                Err(error) => panic!("the connection failed instead of closing: {error}"),
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

#[tokio::test]
async fn a_panic_in_open_or_on_message_closes_with_1011_and_on_close_runs() {
    let (server, mut seen) = server().await;
    let base = format!("ws://{}", server.local_addr());
    assert_eq!(
        close_code_after(&format!("{base}/open"), None).await,
        Some(1011)
    );
    assert_eq!(on_close_code(&mut seen).await, Some(1011));
    assert_eq!(
        close_code_after(&format!("{base}/message"), Some("boom")).await,
        Some(1011)
    );
    assert_eq!(on_close_code(&mut seen).await, Some(1011));
}

#[tokio::test]
async fn a_panic_in_on_close_leaves_the_server_serving() {
    let (server, mut seen) = server().await;
    let base = format!("ws://{}", server.local_addr());
    let (mut client, _) = tokio_tungstenite::connect_async(format!("{base}/close"))
        .await
        .unwrap();
    client.close(None).await.unwrap();
    assert_eq!(
        on_close_code(&mut seen).await,
        Some(1005),
        "a close frame without a code"
    );
    let (mut next, _) = tokio_tungstenite::connect_async(format!("{base}/fine"))
        .await
        .unwrap();
    next.send(TMessage::text("still here")).await.unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), next.next())
        .await
        .unwrap();
    assert_eq!(echo.unwrap().unwrap(), TMessage::text("still here"));
}
