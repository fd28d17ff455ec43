//! Pings: hooks, round-trip times and the keepalive timeout; over HTTP/1.1, h2c and
//! HTTP/2 over TLS (`common::peer`).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::peer::{transport_tests, Client, Transport};
use common::{recorder_server_on, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::{Failure, Settings, Timeout};
use tokio_tungstenite::tungstenite::Message as TMessage;

transport_tests!(
    on_ping_sees_client_pings_and_they_are_answered,
    server_ping_resolves_with_the_round_trip_time_and_on_pong_sees_it,
    silent_peer_is_closed_with_1011_after_the_ping_timeout,
    answering_peer_survives_many_keepalive_rounds,
);

async fn on_ping_sees_client_pings_and_they_are_answered(transport: Transport) {
    let mut server = recorder_server_on(transport, r"/ws", None, Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    let mut client = client.connect("/ws").await;
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

async fn server_ping_resolves_with_the_round_trip_time_and_on_pong_sees_it(transport: Transport) {
    let mut server = recorder_server_on(transport, r"/ws", None, Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    let mut client = client.connect("/ws").await;
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

async fn silent_peer_is_closed_with_1011_after_the_ping_timeout(transport: Transport) {
    let settings = Settings::new()
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_millis(100));
    let mut server = recorder_server_on(transport, r"/ws", None, settings).await;
    // A raw peer that completes the handshake and never answers a ping.
    let client = Client::new(transport, &server.server).await;
    let mut peer = client.raw("/ws").await;
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

async fn answering_peer_survives_many_keepalive_rounds(transport: Transport) {
    let settings = Settings::new().ping_interval(Duration::from_millis(20));
    let mut server = recorder_server_on(transport, r"/ws", None, settings).await;
    let client = Client::new(transport, &server.server).await;
    let mut client = client.connect("/ws").await;
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
