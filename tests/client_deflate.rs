//! permessage-deflate from the client: the offer, the server's answer, compressed echoes.
#![cfg(feature = "deflate")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{answering_server, header, switching_protocols, within};
use squall::{
    websocket_connect, Application, CompressionOptions, ConnectOptions, Error, HandshakeError,
    Message, WebSocket, WebSocketHandler,
};
use tokio::sync::mpsc;

struct Echo(Option<CompressionOptions>);

impl WebSocketHandler for Echo {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        self.0.clone()
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

/// A running squall echo server (it stops when the `Server` is dropped) and its URL.
async fn echo_server(options: Option<CompressionOptions>) -> (squall::Server, String) {
    let server = Application::new()
        .route("/echo", move || Echo(options.clone()))
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/echo", server.local_addr());
    (server, url)
}

fn messages() -> Vec<Message> {
    vec![
        Message::from("hello hello hello hello hello hello hello hello"),
        Message::from("x".repeat(200_000)),
        Message::from((0..=255u8).cycle().take(70_000).collect::<Vec<u8>>()),
        Message::from(""),
        Message::from("hello hello hello hello hello hello hello hello"),
    ]
}

async fn assert_echoes(conn: &mut squall::WebSocketClientConnection) {
    for message in messages() {
        within(conn.write_message(message.clone())).await.unwrap();
        assert_eq!(within(conn.read_message()).await, Some(message));
    }
    within(conn.write_message_uncompressed("plain"))
        .await
        .unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("plain"))
    );
}

#[tokio::test]
async fn compressed_echo_with_squall_server() {
    for (client, server) in [
        (
            CompressionOptions::new(),
            CompressionOptions::new().threshold(0),
        ),
        (
            CompressionOptions::new()
                .client_no_context_takeover(true)
                .server_no_context_takeover(true),
            CompressionOptions::new(),
        ),
        (
            CompressionOptions::new()
                .server_max_window_bits(Some(10))
                .client_max_window_bits(Some(12)),
            CompressionOptions::new().threshold(0),
        ),
    ] {
        let (_server, url) = echo_server(Some(server)).await;
        let options = ConnectOptions::new().compression_options(client.clone());
        let mut conn = within(websocket_connect(url, options)).await.unwrap();
        let agreed = conn.extensions().unwrap();
        assert!(agreed.starts_with("permessage-deflate"), "{agreed}");
        assert_echoes(&mut conn).await;
    }
}

#[tokio::test]
async fn server_declining_compression_is_fine() {
    let (_server, url) = echo_server(None).await;
    let options = ConnectOptions::new().compression_options(CompressionOptions::new());
    let mut conn = within(websocket_connect(url, options)).await.unwrap();
    assert_eq!(conn.extensions(), None);
    assert_echoes(&mut conn).await;
}

#[tokio::test]
async fn the_offer_is_tornados_and_absent_without_options() {
    let (tx, mut heads) = mpsc::unbounded_channel();
    let addr = answering_server(
        move |head| {
            let _ = tx.send(head.to_owned());
            switching_protocols(head, "")
        },
        Duration::from_secs(5),
    )
    .await;
    let options = ConnectOptions::new().compression_options(CompressionOptions::new());
    let _conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    let head = within(heads.recv()).await.unwrap();
    assert_eq!(
        header(&head, "sec-websocket-extensions"),
        Some("permessage-deflate; client_max_window_bits")
    );
    let _conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    let head = within(heads.recv()).await.unwrap();
    assert_eq!(header(&head, "sec-websocket-extensions"), None);
}

#[tokio::test]
async fn an_answer_rfc_7692_forbids_fails_the_handshake() {
    for (answer, expect_malformed) in [
        ("permessage-deflate; server_max_window_bits=16", true),
        ("permessage-deflate; bogus_param", true),
        ("permessage-deflate, permessage-deflate", true),
        ("x-webkit-deflate-frame", false),
    ] {
        let extra = format!("Sec-WebSocket-Extensions: {answer}\r\n");
        let addr = answering_server(
            move |head| switching_protocols(head, &extra),
            Duration::from_secs(5),
        )
        .await;
        let options = ConnectOptions::new().compression_options(CompressionOptions::new());
        let err = within(websocket_connect(format!("ws://{addr}/"), options))
            .await
            .unwrap_err();
        let Error::Handshake(err) = err else {
            panic!("{answer}: {err:?}")
        };
        if expect_malformed {
            assert!(
                matches!(*err, HandshakeError::Malformed(_)),
                "{answer}: {err:?}"
            );
        } else {
            assert!(
                matches!(*err, HandshakeError::UnofferedExtension(_)),
                "{answer}: {err:?}"
            );
        }
    }
}
