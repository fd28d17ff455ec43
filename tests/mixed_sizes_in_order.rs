//! Large payloads leave by reference in vectored writes, small ones copied between them:
//! a peer must still get every message whole and in order, however the socket splits them.
#![allow(clippy::unwrap_used)]

mod common;

use common::{recorder_server, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::Settings;
use tokio_tungstenite::tungstenite::Message as TMessage;

/// Messages whose sizes straddle the 4 KiB share threshold, each with its own bytes.
fn messages() -> Vec<TMessage> {
    let sizes = [5, 300_000, 4_095, 4_096, 1, 2 << 20, 17, 70_000, 0, 9_000];
    sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            if i % 2 == 0 {
                let text: String = (0..size)
                    .map(|n| char::from(b'a' + ((n + i) % 26) as u8))
                    .collect();
                TMessage::text(text)
            } else {
                let data: Vec<u8> = (0..size).map(|n| (n * 7 + i) as u8).collect();
                TMessage::binary(data)
            }
        })
        .collect()
}

#[tokio::test]
async fn large_and_small_messages_sent_back_to_back_come_back_whole_and_in_order() {
    let settings = Settings::new().max_message_size(Some(8 << 20));
    let mut server = recorder_server(r"/echo", None, settings).await;
    let (client, _) = tokio_tungstenite::connect_async(server.url("/echo"))
        .await
        .unwrap();
    assert!(matches!(server.next().await.0, Seen::Open(_)));
    let (mut write, mut read) = client.split();
    let sent = messages();
    let to_send = sent.clone();
    // Everything goes out before anything is read, so the server's output queues several
    // shared payloads at once and its socket takes them in pieces.
    let writer = tokio::spawn(async move {
        for message in to_send {
            write.send(message).await.unwrap();
        }
        write
    });
    for expected in &sent {
        let echoed = read.next().await.unwrap().unwrap();
        assert_eq!(echoed.len(), expected.len());
        assert!(
            &echoed == expected,
            "a message of {} bytes differs",
            expected.len()
        );
    }
    drop(writer.await.unwrap());
}
