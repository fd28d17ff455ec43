//! Echo through the server with tokio-tungstenite as an independent client, over HTTP/1.1,
//! h2c and HTTP/2 over TLS (`common::peer`).
#![allow(clippy::unwrap_used)]

mod common;

use common::peer::{transport_tests, Client, Transport};
use common::{recorder_server_on, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::{Message, PathArgs, Settings};
use tokio_tungstenite::tungstenite::Message as TMessage;

transport_tests!(
    text_and_binary_are_echoed_unchanged,
    route_captures_reach_open,
    query_and_headers_are_visible_to_the_handler,
    messages_are_handled_in_order,
    a_slow_handler_gets_every_message_in_order_and_the_close_last,
);

async fn text_and_binary_are_echoed_unchanged(transport: Transport) {
    let mut server = recorder_server_on(transport, r"/echo", None, Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    let mut client = client.connect("/echo").await;
    assert!(matches!(server.next().await.0, Seen::Open(_)));
    client.send(TMessage::text("héllo")).await.unwrap();
    client
        .send(TMessage::binary(vec![0u8, 1, 2, 255]))
        .await
        .unwrap();
    let big = vec![7u8; 1 << 20];
    client.send(TMessage::binary(big.clone())).await.unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        TMessage::text("héllo")
    );
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        TMessage::binary(vec![0u8, 1, 2, 255])
    );
    assert_eq!(client.next().await.unwrap().unwrap(), TMessage::binary(big));
    assert_eq!(server.next().await.0, Seen::Message(Message::from("héllo")));
}

async fn route_captures_reach_open(transport: Transport) {
    let mut server = recorder_server_on(
        transport,
        r"/rooms/(\w+)/(?P<user>\w+)",
        None,
        Settings::default(),
    )
    .await;
    let client = Client::new(transport, &server.server).await;
    let _client = client.connect("/rooms/lobby/ann").await;
    let (Seen::Open(args), ws) = server.next().await else {
        panic!("expected open")
    };
    let expected = PathArgs {
        positional: vec!["lobby".into()],
        named: [("user".to_owned(), "ann".to_owned())].into(),
    };
    assert_eq!(args, expected);
    assert_eq!(ws.request().path(), "/rooms/lobby/ann");
    assert!(ws.request().peer_addr().unwrap().ip().is_loopback());
    let version = if transport.is_http2() {
        http::Version::HTTP_2
    } else {
        http::Version::HTTP_11
    };
    assert_eq!(ws.request().version(), version);
}

async fn query_and_headers_are_visible_to_the_handler(transport: Transport) {
    let mut server = recorder_server_on(transport, r"/q", None, Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    let mut request = client.request("/q?token=abc");
    request
        .headers_mut()
        .insert("x-user", "ann".parse().unwrap());
    let _client = client.connect_with(request).await.unwrap();
    let (_, ws) = server.next().await;
    assert_eq!(ws.request().query(), Some("token=abc"));
    assert_eq!(ws.request().headers()["x-user"], "ann");
}

async fn messages_are_handled_in_order(transport: Transport) {
    let mut server = recorder_server_on(transport, r"/echo", None, Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    let mut client = client.connect("/echo").await;
    for i in 0..500 {
        client.feed(TMessage::text(format!("m{i}"))).await.unwrap();
    }
    client.flush().await.unwrap();
    for i in 0..500 {
        assert_eq!(
            client.next().await.unwrap().unwrap(),
            TMessage::text(format!("m{i}"))
        );
    }
    let _ = server.next().await;
}

/// A handler that is slow now and then, and reports what it saw.
struct SlowReader {
    seen: tokio::sync::mpsc::UnboundedSender<String>,
}

impl squall::WebSocketHandler for SlowReader {
    async fn on_message(&mut self, _ws: &squall::WebSocket, message: Message) {
        let text = message.as_text().unwrap().to_owned();
        if text.ends_with('0') {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let _ = self.seen.send(text);
    }

    async fn on_close(&mut self, ws: &squall::WebSocket) {
        let _ = self.seen.send(format!("closed {:?}", ws.close_code()));
    }
}

async fn a_slow_handler_gets_every_message_in_order_and_the_close_last(transport: Transport) {
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let app = squall::Application::new().route("/slow", move || SlowReader {
        seen: seen_tx.clone(),
    });
    let server = transport.listen(app).await;
    let client = Client::new(transport, &server).await;
    let mut client = client.connect("/slow").await;
    // More than the handler's queue and the protocol core's together, sent before the
    // handler has read any: reading stops and resumes while the handler catches up.
    for i in 0..600 {
        client.feed(TMessage::text(format!("m{i}"))).await.unwrap();
    }
    let normal = tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "".into(),
    };
    client.send(TMessage::Close(Some(normal))).await.unwrap();
    for i in 0..600 {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), seen.recv());
        assert_eq!(next.await.unwrap().unwrap(), format!("m{i}"));
    }
    let last = tokio::time::timeout(std::time::Duration::from_secs(10), seen.recv());
    assert_eq!(
        last.await.unwrap().unwrap(),
        format!("closed {:?}", Some(squall::CloseCode::NORMAL))
    );
}
