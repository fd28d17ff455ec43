//! Graceful shutdown: 1001 to every connection, nothing acknowledged is lost.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use squall::{Application, Message, WebSocket, WebSocketHandler};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as TMessage;

/// Streams numbered messages to the client until the connection closes, reporting each
/// one whose `write_message` future resolved.
struct Streamer {
    written: mpsc::UnboundedSender<(Option<SocketAddr>, u64)>,
}

impl WebSocketHandler for Streamer {
    async fn open(&mut self, ws: &WebSocket, _args: squall::PathArgs) {
        let ws = ws.clone();
        let written = self.written.clone();
        let peer = ws.request().peer_addr();
        tokio::spawn(async move {
            for n in 0u64.. {
                if ws.write_message(n.to_string()).await.is_err() {
                    break;
                }
                let _ = written.send((peer, n));
            }
        });
    }

    async fn on_message(&mut self, _ws: &WebSocket, _message: Message) {}
}

#[tokio::test]
async fn shutdown_sends_1001_and_every_acknowledged_message_arrives() {
    let (written_tx, mut written) = mpsc::unbounded_channel();
    let server = Application::new()
        .route("/stream", move || Streamer {
            written: written_tx.clone(),
        })
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/stream", server.local_addr());
    let mut clients = Vec::new();
    for _ in 0..20 {
        let (client, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        clients.push(client);
    }
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let local = match client.get_ref() {
                tokio_tungstenite::MaybeTlsStream::Plain(tcp) => tcp.local_addr().ok(),
                _ => None,
            };
            tokio::spawn(async move {
                let mut received = Vec::new();
                let mut close = None;
                while let Some(Ok(message)) = client.next().await {
                    match message {
                        TMessage::Text(text) => received.push(text.parse::<u64>().unwrap()),
                        TMessage::Close(frame) => close = frame.map(|f| u16::from(f.code)),
                        _ => {}
                    }
                }
                (local, received, close)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(
        Duration::from_secs(10),
        server.shutdown(Duration::from_secs(5)),
    )
    .await
    .expect("shutdown finishes within its grace period");
    assert!(started.elapsed() < Duration::from_secs(6));
    let mut acknowledged: HashMap<Option<SocketAddr>, u64> = HashMap::new();
    while let Ok((peer, n)) = written.try_recv() {
        let highest = acknowledged.entry(peer).or_default();
        *highest = (*highest).max(n);
    }
    let mut total = 0;
    for reader in readers {
        let (local, received, close) = tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(close, Some(1001), "every client got 1001");
        // Each client's stream is in order and has no gaps.
        for (i, n) in received.iter().enumerate() {
            assert_eq!(*n, i as u64);
        }
        // Every message whose write_message future resolved reached this client.
        if let Some(highest) = acknowledged.get(&local) {
            assert!(
                received.len() as u64 > *highest,
                "acknowledged {highest}, received {}",
                received.len()
            );
        }
        total += received.len();
    }
    assert!(total > 0);
    assert_eq!(
        acknowledged.len(),
        20,
        "every connection acknowledged writes"
    );
}

#[tokio::test]
async fn shutdown_gives_up_after_the_grace_period() {
    let (written_tx, _written) = mpsc::unbounded_channel();
    let server = Application::new()
        .route("/stream", move || Streamer {
            written: written_tx.clone(),
        })
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    // A client that never reads and never answers the close: the server must not wait forever.
    let url = format!("ws://{}/stream", server.local_addr());
    let (_silent, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(
        Duration::from_secs(5),
        server.shutdown(Duration::from_millis(500)),
    )
    .await
    .expect("shutdown ends after the grace period");
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn no_connections_are_accepted_after_shutdown() {
    let (written_tx, _written) = mpsc::unbounded_channel();
    let server = Application::new()
        .route("/stream", move || Streamer {
            written: written_tx.clone(),
        })
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    server.shutdown(Duration::from_secs(1)).await;
    let url = format!("ws://{addr}/stream");
    assert!(tokio_tungstenite::connect_async(&url).await.is_err());
}

/// Echoes; for the shutdown-signal test.
struct Echo;

impl WebSocketHandler for Echo {
    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

#[tokio::test]
async fn shutdown_on_serves_until_the_signal_then_closes_with_1001() {
    let server = Application::new()
        .route("/echo", || Echo)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/echo", server.local_addr());
    let (signal, stop) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.shutdown_on(
        async {
            let _ = stop.await;
        },
        Duration::from_secs(2),
    ));
    let (mut client, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    futures_util::SinkExt::send(&mut client, TMessage::text("before"))
        .await
        .unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap();
    assert_eq!(echo.unwrap().unwrap(), TMessage::text("before"));
    assert!(!serving.is_finished(), "serves until the signal");
    signal.send(()).unwrap();
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = client.next().await {
            if let TMessage::Close(frame) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .unwrap();
    assert_eq!(close, Some(1001));
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("shutdown_on returns after the shutdown")
        .unwrap();
    assert!(
        tokio_tungstenite::connect_async(&url).await.is_err(),
        "no longer listening"
    );
}
