//! Hostile peers: each gets a bounded, documented answer, and other clients are not held up.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{raw_request, recorder_server, upgrade_request, RawPeer, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::{Failure, Settings, Timeout};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as TMessage;

fn short_handshake() -> Settings {
    Settings::new().handshake_timeout(Duration::from_millis(300))
}

/// Reads until EOF (or a reset), returning how long it took; fails after 5 s.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut sink = vec![0u8; 4096];
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closed the connection");
    start.elapsed()
}

/// An echo by a well-behaved client completes quickly while a hostile one is connected.
async fn assert_others_are_served(url: &str) {
    let start = Instant::now();
    let (mut client, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    client.send(TMessage::text("still here")).await.unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(2), client.next())
        .await
        .unwrap();
    assert_eq!(echo.unwrap().unwrap(), TMessage::text("still here"));
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn silent_tcp_client_is_dropped_at_the_handshake_timeout() {
    let server = recorder_server("/ws", None, short_handshake()).await;
    let mut silent = TcpStream::connect(server.server.local_addr())
        .await
        .unwrap();
    assert_others_are_served(&server.url("/ws")).await;
    let waited = time_until_closed(&mut silent).await;
    assert!(waited < Duration::from_secs(2), "closed after {waited:?}");
}

#[tokio::test]
async fn slowloris_headers_are_cut_off_at_the_handshake_timeout() {
    let server = recorder_server("/ws", None, short_handshake()).await;
    let mut slow = TcpStream::connect(server.server.local_addr())
        .await
        .unwrap();
    let request = upgrade_request("/ws", "");
    let start = Instant::now();
    for byte in request.as_bytes().iter().take(40) {
        if slow.write_all(std::slice::from_ref(byte)).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_others_are_served(&server.url("/ws")).await;
    time_until_closed(&mut slow).await;
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn megabyte_header_block_is_431_without_reading_it_all() {
    let server = recorder_server("/ws", None, Settings::default()).await;
    let big = format!("X-Big: {}\r\n", "a".repeat(1 << 20));
    let response = raw_request(server.server.local_addr(), &upgrade_request("/ws", &big)).await;
    assert!(
        response.starts_with("HTTP/1.1 431"),
        "{}",
        &response[..response.len().min(200)]
    );
}

#[tokio::test]
async fn ten_thousand_headers_are_431() {
    let headers: String = (0..10_000).map(|i| format!("X-{i}: v\r\n")).collect();
    // With the default head limit the size trips first; with a large one, the count does.
    for max_head_bytes in [16 * 1024, 4 << 20] {
        let settings = Settings::new().max_head_bytes(max_head_bytes);
        let server = recorder_server("/ws", None, settings).await;
        let response = raw_request(
            server.server.local_addr(),
            &upgrade_request("/ws", &headers),
        )
        .await;
        assert!(
            response.starts_with("HTTP/1.1 431"),
            "{}",
            &response[..response.len().min(200)]
        );
    }
}

async fn raw_close_code(bytes: &[u8]) -> u16 {
    let server = recorder_server("/ws", None, Settings::default()).await;
    let mut peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    peer.stream.write_all(bytes).await.unwrap();
    peer.read_close_code().await
}

#[tokio::test]
async fn frame_announcing_2_pow_63_minus_1_bytes_is_1009() {
    let header = [
        0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4,
    ];
    assert_eq!(raw_close_code(&header).await, 1009);
}

#[tokio::test]
async fn frame_length_with_the_top_bit_set_is_1002() {
    let header = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4];
    assert_eq!(raw_close_code(&header).await, 1002);
}

#[tokio::test]
async fn a_million_one_byte_fragments_make_one_message() {
    let server = recorder_server("/ws", None, Settings::default()).await;
    let mut peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    let mask = [9, 8, 7, 6];
    let fragments = 1_000_000usize;
    let mut bytes = Vec::with_capacity(fragments * 7);
    for i in 0..fragments {
        let opcode = if i == 0 { 0x2 } else { 0x0 };
        let fin = if i == fragments - 1 { 0x80 } else { 0 };
        bytes.extend_from_slice(&[fin | opcode, 0x81]);
        bytes.extend_from_slice(&mask);
        bytes.push((i % 251) as u8 ^ mask[0]);
    }
    let writer = tokio::spawn(async move {
        peer.stream.write_all(&bytes).await.unwrap();
        peer
    });
    let mut peer = tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .unwrap()
        .unwrap();
    let (first, payload) = tokio::time::timeout(Duration::from_secs(60), peer.read_frame())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, 0x82);
    assert_eq!(payload.len(), fragments);
    assert!(payload
        .iter()
        .enumerate()
        .all(|(i, b)| *b == (i % 251) as u8));
}

#[tokio::test]
async fn ping_flood_without_reading_is_stopped_by_back_pressure() {
    let server = recorder_server("/ws", None, Settings::default()).await;
    let url = server.url("/ws");
    let mut peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    // 400,000 pings of 125 bytes would queue 52 MB of pongs; the peer reads none of them.
    let mut ping = vec![0x89, 0x80 | 125, 0, 0, 0, 0];
    ping.extend_from_slice(&[0u8; 125]);
    let flood: Vec<u8> = ping
        .iter()
        .copied()
        .cycle()
        .take(ping.len() * 400_000)
        .collect();
    let flooded = tokio::time::timeout(Duration::from_secs(3), peer.stream.write_all(&flood)).await;
    assert!(
        flooded.is_err(),
        "the server kept reading although its pongs went unread"
    );
    assert_others_are_served(&url).await;
}

#[tokio::test]
async fn peer_that_never_reads_is_closed_and_writers_wait_meanwhile() {
    let settings = Settings::new().write_timeout(Some(Duration::from_millis(500)));
    let mut server = recorder_server("/ws", None, settings).await;
    let _peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    let (_, ws) = server.next().await;
    let writer = tokio::spawn(async move {
        let chunk = vec![0u8; 64 * 1024];
        let mut written = 0usize;
        while ws.write_message(chunk.clone()).await.is_ok() {
            written += 1;
        }
        (written, ws)
    });
    let (written, ws) = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .unwrap()
        .unwrap();
    // Socket buffers plus the 1 MiB high-water mark hold a few MB at most; nothing grew past that.
    assert!(
        written * 64 * 1024 < 64 << 20,
        "{written} writes of 64 KiB were accepted"
    );
    let (seen, _) = server.next().await;
    assert!(matches!(seen, Seen::Close(..)), "{seen:?}");
    assert_eq!(
        ws.closed().unwrap().error,
        Some(Failure::Timeout(Timeout::Write))
    );
}

#[tokio::test]
async fn connections_beyond_max_connections_get_503() {
    let settings = Settings::new().max_connections(2);
    let mut server = recorder_server("/ws", None, settings).await;
    let (_a, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
    let (_b, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
    let _ = server.next().await;
    let _ = server.next().await;
    match tokio_tungstenite::connect_async(server.url("/ws")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        other => panic!("expected 503, got {other:?}"),
    }
}

#[tokio::test]
async fn idle_connection_is_closed_with_1001() {
    let settings = Settings::new().idle_timeout(Duration::from_millis(300));
    let server = recorder_server("/ws", None, settings).await;
    let mut peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    let start = Instant::now();
    assert_eq!(peer.read_close_code().await, 1001);
    assert!(start.elapsed() >= Duration::from_millis(250));
}
