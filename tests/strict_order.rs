//! A violation behind a message closes the connection only after the application has
//! answered that message, on the server and on the client, against raw peers (as the
//! Autobahn cases 3.*, 4.* and 5.15 send them: all in one write).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{read_head, serve_tcp, switching_protocols, within};
use common::{masked_frame, RawPeer};
use squall::{
    websocket_connect, Application, ConnectOptions, Message, WebSocket, WebSocketHandler,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

struct Echo;

impl WebSocketHandler for Echo {
    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

/// A text frame "first", then `bad`, in one write.
fn first_then(bad: &[u8]) -> Vec<u8> {
    let mut bytes = masked_frame(0x81, b"first");
    bytes.extend_from_slice(bad);
    bytes
}

#[tokio::test]
async fn the_server_echoes_the_message_before_closing_for_the_violation_behind_it() {
    let server = Application::new()
        .route("/", || Echo)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    // RSV2 set; a reserved opcode; a continuation with nothing to continue.
    for (bad, code) in [
        (masked_frame(0xA1, b"bad"), 1002),
        (masked_frame(0x83, b""), 1002),
        (masked_frame(0x80, b"x"), 1002),
        (masked_frame(0x81, &[0xce, 0xba, 0xff]), 1007),
    ] {
        let mut peer = RawPeer::connect(server.local_addr(), "/").await;
        peer.stream.write_all(&first_then(&bad)).await.unwrap();
        assert_eq!(
            peer.read_frame().await,
            Some((0x81, b"first".to_vec())),
            "the echo comes first"
        );
        assert_eq!(peer.read_close_code().await, code);
    }
}

/// A raw server: the handshake, then `frames` in one write (or, with `split`, the first
/// `split` bytes, then the rest 50 ms later); returns what the client sent after the
/// handshake, until it closed.
async fn raw_server(
    frames: Vec<u8>,
    split: Option<usize>,
) -> (std::net::SocketAddr, mpsc::Receiver<Vec<u8>>) {
    let (sent, received) = mpsc::channel(1);
    let addr = serve_tcp(move |mut stream: TcpStream| {
        let frames = frames.clone();
        let sent = sent.clone();
        async move {
            let head = read_head(&mut stream).await;
            let mut answer = switching_protocols(&head, "").into_bytes();
            if let Some(split) = split {
                answer.extend_from_slice(&frames[..split]);
                stream.write_all(&answer).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
                stream.write_all(&frames[split..]).await.unwrap();
            } else {
                answer.extend_from_slice(&frames);
                stream.write_all(&answer).await.unwrap();
            }
            let mut from_client = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut from_client))
                    .await;
            let _ = sent.send(from_client).await;
        }
    })
    .await;
    (addr, received)
}

/// Decodes masked client frames into (first byte, payload).
fn client_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while bytes.len() >= 6 {
        let len = usize::from(bytes[1] & 0x7F);
        assert!(len < 126, "short frames only");
        let mask = [bytes[2], bytes[3], bytes[4], bytes[5]];
        let payload = bytes[6..6 + len]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ mask[i % 4])
            .collect();
        frames.push((bytes[0], payload));
        bytes = &bytes[6 + len..];
    }
    frames
}

fn server_frames_first_then_reserved_opcode() -> Vec<u8> {
    let mut frames = vec![0x81, 5];
    frames.extend_from_slice(b"first");
    frames.extend_from_slice(&[0x83, 0]);
    frames
}

#[tokio::test]
async fn the_client_echoes_the_message_before_closing_for_the_violation_behind_it() {
    // In one write, and with the violation 50 ms after the message, which a slow reader
    // has taken from the connection but not answered yet.
    for split in [None, Some(7)] {
        let frames = server_frames_first_then_reserved_opcode();
        let (addr, mut received) = raw_server(frames, split).await;
        let mut conn = websocket_connect(format!("ws://{addr}/"), ConnectOptions::new())
            .await
            .unwrap();
        let echo = async {
            while let Some(message) = conn.read_message().await {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let _ = conn.write_message(message).await;
            }
        };
        within(echo).await;
        let frames = client_frames(&within(received.recv()).await.unwrap());
        assert_eq!(frames[0], (0x81, b"first".to_vec()), "the echo comes first");
        assert_eq!(frames[1].0, 0x88);
        assert_eq!(frames[1].1[..2], 1002u16.to_be_bytes());
    }
}

#[tokio::test]
async fn a_client_that_does_not_read_still_closes_for_the_violation() {
    let (addr, mut received) = raw_server(server_frames_first_then_reserved_opcode(), None).await;
    let conn = websocket_connect(format!("ws://{addr}/"), ConnectOptions::new())
        .await
        .unwrap();
    // Nobody reads: the close goes out after a short grace.
    let frames = client_frames(&within(received.recv()).await.unwrap());
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, 0x88);
    assert_eq!(frames[0].1[..2], 1002u16.to_be_bytes());
    drop(conn);
}
