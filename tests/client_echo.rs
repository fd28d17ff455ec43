//! Echo through the client, against squall's server and tokio-tungstenite.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{tungstenite_echo_server, within};
use common::{recorder_server, Seen};
use squall::{websocket_connect, ConnectOptions, Message, Settings};

async fn assert_echoes(url: &str) {
    let mut conn = within(websocket_connect(url, ConnectOptions::new()))
        .await
        .unwrap();
    let big = vec![7u8; 1 << 20];
    let messages = [
        Message::from("héllo"),
        Message::from(vec![0u8, 1, 2, 255]),
        Message::from(""),
        Message::from(big),
    ];
    for message in &messages {
        within(conn.write_message(message.clone())).await.unwrap();
    }
    for message in &messages {
        assert_eq!(within(conn.read_message()).await.as_ref(), Some(message));
    }
    within(conn.close(None, None)).await.unwrap();
    assert_eq!(within(conn.read_message()).await, None);
}

#[tokio::test]
async fn echo_with_squall_server() {
    let mut server = recorder_server(r"/echo", None, Settings::default()).await;
    assert_echoes(&server.url("/echo")).await;
    assert!(matches!(server.next().await.0, Seen::Open(_)));
    assert_eq!(server.next().await.0, Seen::Message(Message::from("héllo")));
}

#[tokio::test]
async fn echo_with_tungstenite_server() {
    let addr = tungstenite_echo_server().await;
    assert_echoes(&format!("ws://{addr}/")).await;
}

#[tokio::test]
async fn many_messages_in_order() {
    let addr = tungstenite_echo_server().await;
    let mut conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    let writer = async {
        for i in 0..500 {
            conn.write_message(format!("m{i}")).await.unwrap();
        }
    };
    within(writer).await;
    for i in 0..500 {
        let message = within(conn.read_message()).await.unwrap();
        assert_eq!(message.as_text(), Some(format!("m{i}").as_str()));
    }
}

#[cfg(feature = "json")]
#[tokio::test]
async fn write_json_sends_text() {
    let addr = tungstenite_echo_server().await;
    let mut conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    within(conn.write_json(&serde_json::json!({"n": 1})))
        .await
        .unwrap();
    let echoed = within(conn.read_message()).await.unwrap();
    assert_eq!(echoed.as_text(), Some(r#"{"n":1}"#));
}

#[tokio::test]
async fn set_nodelay_works_on_tcp() {
    let addr = tungstenite_echo_server().await;
    let conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    within(conn.set_nodelay(true)).await.unwrap();
    within(conn.set_nodelay(false)).await.unwrap();
}

#[test]
fn connection_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<squall::WebSocketClientConnection>();
    assert_send_sync::<squall::ClientReader>();
    assert_send_sync::<squall::ClientWriter>();
}

#[tokio::test]
async fn frames_sent_with_the_101_are_not_lost() {
    use common::client::{answering_server, switching_protocols};
    // The server's first frame ("early", unmasked text) arrives in the same write as its
    // 101 head, so the client reads both at once.
    let addr = answering_server(
        |head| {
            let mut answer = switching_protocols(head, "").into_bytes();
            answer.extend_from_slice(b"\x81\x05early");
            answer
        },
        std::time::Duration::from_secs(5),
    )
    .await;
    let mut conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("early"))
    );
}
