//! Pings: round-trip time, keepalive timeout, and the on_ping/on_pong callbacks.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::client::{answering_server, switching_protocols, tungstenite_echo_server, within};
use common::recorder_server;
use squall::{websocket_connect, CloseCode, ConnectOptions, Error, Failure, Settings, Timeout};
use tokio::sync::mpsc;

#[tokio::test]
async fn ping_resolves_with_the_round_trip_time() {
    let squall_server = recorder_server(r"/ws", None, Settings::default()).await;
    let tungstenite = tungstenite_echo_server().await;
    for url in [squall_server.url("/ws"), format!("ws://{tungstenite}/")] {
        let mut conn = within(websocket_connect(&url, ConnectOptions::new()))
            .await
            .unwrap();
        let rtt = within(conn.ping("are you there")).await.unwrap();
        assert!(rtt < Duration::from_secs(5), "{rtt:?}");
        // Messages still flow after pings.
        within(conn.write_message("after")).await.unwrap();
        assert_eq!(
            within(conn.read_message()).await.unwrap().as_text(),
            Some("after")
        );
    }
}

#[tokio::test]
async fn ping_payload_over_125_bytes_is_refused() {
    let addr = tungstenite_echo_server().await;
    let conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    let err = within(conn.ping(vec![0u8; 126])).await.unwrap_err();
    assert!(matches!(err, Error::ControlPayloadTooLong(126)), "{err:?}");
}

#[tokio::test]
async fn keepalive_timeout_against_a_server_that_stopped_reading() {
    // Completes the handshake, then never reads nor writes again.
    let addr = answering_server(
        |head| switching_protocols(head, ""),
        Duration::from_secs(30),
    )
    .await;
    let options = ConnectOptions::new()
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_millis(100))
        .close_timeout(Duration::from_millis(200));
    let mut conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    assert_eq!(within(conn.read_message()).await, None);
    assert_eq!(conn.close_code(), Some(CloseCode::INTERNAL_ERROR));
    let closed = conn.closed().unwrap();
    assert_eq!(closed.error, Some(Failure::Timeout(Timeout::Ping)));
    assert!(!closed.by_peer);
    assert!(matches!(
        within(conn.write_message("late")).await,
        Err(Error::Closed(_))
    ));
}

#[tokio::test]
async fn keepalive_pings_keep_a_live_connection_open() {
    let addr = tungstenite_echo_server().await;
    let options = ConnectOptions::new()
        .ping_interval(Duration::from_millis(50))
        .ping_timeout(Duration::from_millis(1000));
    let mut conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(conn.closed(), None);
    within(conn.write_message("alive")).await.unwrap();
    assert_eq!(
        within(conn.read_message()).await.unwrap().as_text(),
        Some("alive")
    );
}

#[tokio::test]
async fn on_ping_sees_the_server_keepalive_pings() {
    let settings = Settings::new().ping_interval(Duration::from_millis(50));
    let server = recorder_server(r"/ws", None, settings).await;
    let (tx, mut pings) = mpsc::unbounded_channel();
    let options = ConnectOptions::new().on_ping(move |data: Bytes| {
        let _ = tx.send(data);
    });
    // Nobody reads: pings are answered and reported all the same.
    let _conn = within(websocket_connect(server.url("/ws"), options))
        .await
        .unwrap();
    for _ in 0..3 {
        within(pings.recv()).await.unwrap();
    }
}

#[tokio::test]
async fn on_pong_sees_the_answers_to_our_pings() {
    let addr = tungstenite_echo_server().await;
    let (tx, mut pongs) = mpsc::unbounded_channel();
    let options = ConnectOptions::new().on_pong(move |data: Bytes| {
        let _ = tx.send(data);
    });
    let conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    within(conn.ping("one")).await.unwrap();
    assert_eq!(within(pongs.recv()).await.unwrap(), "one");
}
