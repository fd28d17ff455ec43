//! Tornado's `on_message_callback` style: every message, then `None`, to the callback.

mod common;

use common::client::{tungstenite_echo_server, within};
use common::{recorder_server, Seen};
use squall::{websocket_connect, ConnectOptions, Message, Settings};
use tokio::sync::mpsc;

#[tokio::test]
async fn callback_gets_every_message_then_none() {
    let addr = tungstenite_echo_server().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let options = ConnectOptions::new().on_message_callback(move |message: Option<Message>| {
        let _ = tx.send(message);
    });
    let mut conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    // In this style read_message never returns messages.
    assert_eq!(within(conn.read_message()).await, None);
    for text in ["one", "two", "three"] {
        within(conn.write_message(text)).await.unwrap();
    }
    for text in ["one", "two", "three"] {
        assert_eq!(within(rx.recv()).await.unwrap(), Some(Message::from(text)));
    }
    within(conn.close(None, None)).await.unwrap();
    assert_eq!(within(rx.recv()).await.unwrap(), None);
    // Exactly one None, and nothing after it.
    assert!(within(rx.recv()).await.is_none());
}

#[tokio::test]
async fn callback_gets_none_when_the_server_closes() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let options = ConnectOptions::new().on_message_callback(move |message: Option<Message>| {
        let _ = tx.send(message);
    });
    let conn = within(websocket_connect(server.url("/ws"), options))
        .await
        .unwrap();
    let (Seen::Open(_), ws) = server.next().await else {
        panic!("expected open")
    };
    within(ws.write_message("from server")).await.unwrap();
    assert_eq!(
        within(rx.recv()).await.unwrap(),
        Some(Message::from("from server"))
    );
    within(ws.close(squall::CloseCode::from(4003), "bye"))
        .await
        .unwrap();
    assert_eq!(within(rx.recv()).await.unwrap(), None);
    assert_eq!(conn.close_code(), Some(squall::CloseCode::from(4003)));
    assert_eq!(conn.close_reason().as_deref(), Some("bye"));
}
