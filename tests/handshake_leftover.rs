//! Frames that arrive in the same read as the handshake are handled at once, on both
//! sides: nothing waits for more input before it is answered.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{read_head, serve_tcp, switching_protocols, within};
use common::{recorder_server, upgrade_request};
use squall::{websocket_connect, CloseCode, ConnectOptions, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

#[tokio::test]
async fn a_ping_sent_with_the_upgrade_request_is_answered() {
    let server = recorder_server("/ws", None, Settings::default()).await;
    let mut stream = TcpStream::connect(server.server.local_addr())
        .await
        .unwrap();
    // The request and a masked ping "hi" in one write.
    let mut bytes = upgrade_request("/ws", "").into_bytes();
    let mask = [1u8, 2, 3, 4];
    bytes.extend_from_slice(&[0x89, 0x82]);
    bytes.extend_from_slice(&mask);
    bytes.extend(b"hi".iter().zip(mask).map(|(byte, m)| byte ^ m));
    stream.write_all(&bytes).await.unwrap();
    let head = read_head(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut pong = [0u8; 4];
    within(stream.read_exact(&mut pong)).await.unwrap();
    assert_eq!(pong, [0x8A, 0x02, b'h', b'i']);
}

#[tokio::test]
async fn a_bad_frame_sent_with_the_101_fails_the_client_at_once() {
    let (code_tx, code_rx) = oneshot::channel();
    let code_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(code_tx)));
    let addr = serve_tcp(move |mut stream| {
        let code_tx = code_tx.clone();
        async move {
            let head = read_head(&mut stream).await;
            // The 101 and a text frame that is not UTF-8, in one write.
            let mut answer = switching_protocols(&head, "").into_bytes();
            answer.extend_from_slice(&[0x81, 0x02, 0xC3, 0x28]);
            stream.write_all(&answer).await.unwrap();
            // The client's close frame: masked, code first.
            let mut close = [0u8; 8];
            if stream.read_exact(&mut close).await.is_ok() {
                let code = u16::from_be_bytes([close[6] ^ close[2], close[7] ^ close[3]]);
                if let Some(tx) = code_tx.lock().unwrap().take() {
                    let _ = tx.send((close[0], code));
                }
            }
        }
    })
    .await;
    let mut client = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    assert_eq!(within(client.read_message()).await, None);
    assert_eq!(client.close_code(), Some(CloseCode::INVALID_PAYLOAD));
    // Without waiting for any more input from the server.
    let (opcode, code) = tokio::time::timeout(Duration::from_secs(2), code_rx)
        .await
        .expect("the client sent its close frame at once")
        .unwrap();
    assert_eq!((opcode, code), (0x88, 1007));
}
