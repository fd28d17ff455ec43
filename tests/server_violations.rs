//! Protocol violations from a raw peer get the RFC's close code.
#![allow(clippy::unwrap_used)]

mod common;

use common::{recorder_server, RawPeer, Seen};
use squall::{Failure, ProtocolError, Settings};

async fn close_code_for(
    frames: &[(u8, &[u8])],
    settings: Settings,
) -> (u16, Seen, Option<Failure>) {
    let mut server = recorder_server(r"/ws", None, settings).await;
    let mut peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    let _ = server.next().await;
    for (first, payload) in frames {
        peer.send_frame(*first, payload).await;
    }
    let code = peer.read_close_code().await;
    let (seen, ws) = loop {
        let (seen, ws) = server.next().await;
        if matches!(seen, Seen::Close(..)) {
            break (seen, ws);
        }
    };
    (code, seen, ws.closed().unwrap().error)
}

#[tokio::test]
async fn invalid_utf8_is_1007() {
    let (code, seen, error) = close_code_for(&[(0x81, &[0xff, 0xfe])], Settings::default()).await;
    assert_eq!(code, 1007);
    assert!(matches!(seen, Seen::Close(Some(1007), _)));
    assert_eq!(error, Some(Failure::Protocol(ProtocolError::InvalidUtf8)));
}

#[tokio::test]
async fn reserved_bits_are_1002() {
    let (code, _, error) = close_code_for(&[(0xC1, b"x")], Settings::default()).await;
    assert_eq!(code, 1002);
    assert_eq!(error, Some(Failure::Protocol(ProtocolError::ReservedBits)));
}

#[tokio::test]
async fn message_over_max_message_size_is_1009() {
    let settings = Settings::new().max_message_size(Some(1000));
    let (code, _, error) = close_code_for(&[(0x82, &[0u8; 1001])], settings).await;
    assert_eq!(code, 1009);
    assert_eq!(
        error,
        Some(Failure::Protocol(ProtocolError::MessageTooBig {
            limit: 1000
        }))
    );
}

#[tokio::test]
async fn message_at_max_message_size_is_echoed() {
    let settings = Settings::new().max_message_size(Some(1000));
    let mut server = recorder_server(r"/ws", None, settings).await;
    let mut peer = RawPeer::connect(server.server.local_addr(), "/ws").await;
    let _ = server.next().await;
    peer.send_frame(0x82, &[5u8; 1000]).await;
    let (first, payload) = peer.read_frame().await.unwrap();
    assert_eq!((first, payload.len()), (0x82, 1000));
}
