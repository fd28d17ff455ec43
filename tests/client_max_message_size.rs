//! A message over `max_message_size` closes the connection with 1009.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{tungstenite_echo_server, within};
use common::recorder_server;
use squall::{websocket_connect, CloseCode, ConnectOptions, Failure, ProtocolError, Settings};

async fn assert_too_big_closes(url: String) {
    let options = ConnectOptions::new().max_message_size(Some(1024));
    let mut conn = within(websocket_connect(url, options)).await.unwrap();
    within(conn.write_message(vec![1u8; 1024])).await.unwrap();
    assert_eq!(within(conn.read_message()).await.unwrap().len(), 1024);
    within(conn.write_message(vec![1u8; 1025])).await.unwrap();
    assert_eq!(within(conn.read_message()).await, None);
    assert_eq!(conn.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
    let closed = conn.closed().unwrap();
    assert_eq!(
        closed.error,
        Some(Failure::Protocol(ProtocolError::MessageTooBig {
            limit: 1024
        }))
    );
    assert!(!closed.by_peer);
}

#[tokio::test]
async fn oversized_echo_from_squall_server() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    assert_too_big_closes(server.url("/ws")).await;
}

#[tokio::test]
async fn oversized_echo_from_tungstenite_server() {
    let addr = tungstenite_echo_server().await;
    assert_too_big_closes(format!("ws://{addr}/")).await;
}

#[tokio::test]
async fn no_limit_accepts_big_messages() {
    let addr = tungstenite_echo_server().await;
    let options = ConnectOptions::new().max_message_size(None);
    let mut conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    let big = vec![3u8; 12 * 1024 * 1024];
    within(conn.write_message(big.clone())).await.unwrap();
    assert_eq!(
        within(conn.read_message()).await.unwrap().as_bytes(),
        &big[..]
    );
}
