//! Pings: hooks, round-trip times and the keepalive timeout.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{recorder_server, RawPeer, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::{Failure, Settings, Timeout};
use tokio_tungstenite::tungstenite::Message as TMessage;

#[tokio::test]
async fn on_ping_sees_client_pings_and_they_are_answered() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (mut client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
    let _ = server.next().await;
    client
        .send(TMessage::Ping(Bytes::from_static(b"hi")))
        .await
        .unwrap();
    assert_eq!(server.next().await.0, Seen::Ping(Bytes::from_static(b"hi")));
    let pong = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap();
    assert_eq!(
        pong.unwrap().unwrap(),
        TMessage::Pong(Bytes::from_static(b"hi"))
    );
}

#[tokio::test]
async fn server_ping_resolves_with_the_round_trip_time_and_on_pong_sees_it() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (mut client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
    let (_, ws) = server.next().await;
    // The client answers pings while it reads.
    tokio::spawn(async move { while let Some(Ok(_)) = client.next().await {} });
    let rtt = tokio::time::timeout(Duration::from_secs(5), ws.ping("abc"))
        .await
        .unwrap()
        .unwrap();
    assert!(rtt < Duration::from_secs(5));
    assert_eq!(
        server.next().await.0,
        Seen::Pong(Bytes::from_static(b"abc"))
    );
    assert!(matches!(
        ws.ping(vec![0u8; 126]).await,
        Err(squall::Error::ControlPayloadTooLong(126))
    ));
}

#[tokio::test]
async fn silent_peer_is_closed_with_1011_after_the_ping_timeout() {
    let settings = Settings::new()
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_millis(100));
    let mut server = recorder_server(r"/ws", None, settings).await;
    // A raw peer that completes the handshake and never answers a ping.
    let mut peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    let _ = server.next().await;
    let (first, _) = peer.read_frame().await.unwrap();
    assert_eq!(first & 0x0F, 0x9, "a keepalive ping");
    assert_eq!(peer.read_close_code().await, 1011);
    let (seen, ws) = server.next().await;
    assert!(matches!(seen, Seen::Close(Some(1011), _)), "{seen:?}");
    assert_eq!(
        ws.closed().unwrap().error,
        Some(Failure::Timeout(Timeout::Ping))
    );
}

#[tokio::test]
async fn answering_peer_survives_many_keepalive_rounds() {
    let settings = Settings::new().ping_interval(Duration::from_millis(20));
    let mut server = recorder_server(r"/ws", None, settings).await;
    let (mut client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
    let (_, ws) = server.next().await;
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        while pings < 10 {
            match client.next().await {
                Some(Ok(TMessage::Ping(_))) => pings += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        pings
    });
    let pings = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pings, 10);
    assert!(ws.close_code().is_none(), "still open");
}
