//! Protocol violations from a raw peer get the RFC's close code, over HTTP/1.1, h2c and
//! HTTP/2 over TLS (`common::peer`: the frames are written by hand on the TCP connection
//! or in the HTTP/2 stream's DATA).
#![allow(clippy::unwrap_used)]

mod common;

use common::peer::{transport_tests, Client, Transport};
use common::{recorder_server_on, Seen};
use squall::{Failure, ProtocolError, Settings};

transport_tests!(
    invalid_utf8_is_1007,
    reserved_bits_are_1002,
    message_over_max_message_size_is_1009,
    message_at_max_message_size_is_echoed,
);

async fn close_code_for(
    transport: Transport,
    frames: &[(u8, &[u8])],
    settings: Settings,
) -> (u16, Seen, Option<Failure>) {
    let mut server = recorder_server_on(transport, r"/ws", None, settings).await;
    let client = Client::new(transport, &server.server).await;
    let mut peer = client.raw("/ws").await;
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

async fn invalid_utf8_is_1007(transport: Transport) {
    let (code, seen, error) =
        close_code_for(transport, &[(0x81, &[0xff, 0xfe])], Settings::default()).await;
    assert_eq!(code, 1007, "{transport}");
    assert!(matches!(seen, Seen::Close(Some(1007), _)));
    assert_eq!(error, Some(Failure::Protocol(ProtocolError::InvalidUtf8)));
}

async fn reserved_bits_are_1002(transport: Transport) {
    let (code, _, error) = close_code_for(transport, &[(0xC1, b"x")], Settings::default()).await;
    assert_eq!(code, 1002, "{transport}");
    assert_eq!(error, Some(Failure::Protocol(ProtocolError::ReservedBits)));
}

async fn message_over_max_message_size_is_1009(transport: Transport) {
    let settings = Settings::new().max_message_size(Some(1000));
    let (code, _, error) = close_code_for(transport, &[(0x82, &[0u8; 1001])], settings).await;
    assert_eq!(code, 1009, "{transport}");
    assert_eq!(
        error,
        Some(Failure::Protocol(ProtocolError::MessageTooBig {
            limit: 1000
        }))
    );
}

async fn message_at_max_message_size_is_echoed(transport: Transport) {
    let settings = Settings::new().max_message_size(Some(1000));
    let mut server = recorder_server_on(transport, r"/ws", None, settings).await;
    let client = Client::new(transport, &server.server).await;
    let mut peer = client.raw("/ws").await;
    let _ = server.next().await;
    peer.send_frame(0x82, &[5u8; 1000]).await;
    let (first, payload) = peer.read_frame().await.unwrap();
    assert_eq!((first, payload.len()), (0x82, 1000), "{transport}");
}
