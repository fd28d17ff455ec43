//! The close handshake as handlers see it, with tokio-tungstenite as the client over
//! HTTP/1.1, h2c and HTTP/2 over TLS (`common::peer`).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::peer::{transport_tests, Client, Transport};
use common::{recorder_server_on, Recorded, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::{CloseCode, Error, Settings};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as TFrame;
use tokio_tungstenite::tungstenite::Message as TMessage;

transport_tests!(
    client_close_code_and_reason_reach_on_close,
    server_initiated_close_reaches_the_client_and_writes_fail_after,
    reason_without_code_is_sent_as_1000,
    invalid_close_arguments_are_refused,
    a_dropped_connection_is_1006_in_on_close,
    write_message_from_another_task_while_open,
);

/// A `Recorder` server on `/ws` and a WebSocket connected to it.
async fn connected(transport: Transport) -> (Recorded, common::peer::Ws) {
    let (server, _connection, ws) = connected_on(transport).await;
    (server, ws)
}

/// As [`connected`], with the client that opened the WebSocket (over HTTP/2, it holds the
/// connection).
async fn connected_on(transport: Transport) -> (Recorded, Client, common::peer::Ws) {
    let server = recorder_server_on(transport, r"/ws", None, Settings::default()).await;
    let connection = Client::new(transport, &server.server).await;
    let ws = connection.connect("/ws").await;
    (server, connection, ws)
}

async fn client_close_code_and_reason_reach_on_close(transport: Transport) {
    let (mut server, mut client) = connected(transport).await;
    let _ = server.next().await;
    client
        .close(Some(TFrame {
            code: TCode::from(4000),
            reason: "bye now".into(),
        }))
        .await
        .unwrap();
    let (seen, ws) = server.next().await;
    assert_eq!(seen, Seen::Close(Some(4000), Some("bye now".into())));
    let closed = ws.closed().unwrap();
    assert!(closed.by_peer && closed.clean);
    // The server echoed 4000 and ended the connection (or its HTTP/2 stream): the client
    // sees the end of the stream.
    let echoed = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap();
    assert!(
        echoed.is_none()
            || matches!(echoed, Some(Ok(TMessage::Close(Some(ref f)))) if u16::from(f.code) == 4000)
    );
}

async fn server_initiated_close_reaches_the_client_and_writes_fail_after(transport: Transport) {
    let (mut server, mut client) = connected(transport).await;
    let (_, ws) = server.next().await;
    let closer = ws.clone();
    let closing = tokio::spawn(async move { closer.close(CloseCode::from(4001), "done").await });
    let frame = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap();
    let Some(Ok(TMessage::Close(Some(frame)))) = frame else {
        panic!("{frame:?}")
    };
    assert_eq!(
        (u16::from(frame.code), frame.reason.as_str()),
        (4001, "done")
    );
    // tokio-tungstenite answers the close when it is next polled.
    let _ = tokio::time::timeout(Duration::from_secs(5), client.next()).await;
    closing.await.unwrap().unwrap();
    let (seen, _) = server.next().await;
    assert_eq!(seen, Seen::Close(Some(4001), Some("done".into())));
    let closed = ws.closed().unwrap();
    assert!(!closed.by_peer && closed.clean, "{closed:?}");
    assert!(matches!(
        ws.write_message("late").await,
        Err(Error::Closed(_))
    ));
    assert!(matches!(ws.ping("x").await, Err(Error::Closed(_))));
}

async fn reason_without_code_is_sent_as_1000(transport: Transport) {
    let (mut server, mut client) = connected(transport).await;
    let (_, ws) = server.next().await;
    let closer = ws.clone();
    tokio::spawn(async move { closer.close(None, "only a reason").await });
    let frame = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap();
    let Some(Ok(TMessage::Close(Some(frame)))) = frame else {
        panic!("{frame:?}")
    };
    assert_eq!(
        (u16::from(frame.code), frame.reason.as_str()),
        (1000, "only a reason")
    );
}

async fn invalid_close_arguments_are_refused(transport: Transport) {
    let (mut server, _client) = connected(transport).await;
    let (_, ws) = server.next().await;
    assert!(matches!(
        ws.close(CloseCode::ABNORMAL, None).await,
        Err(Error::InvalidCloseCode(_))
    ));
    let long = "x".repeat(124);
    assert!(matches!(
        ws.close(None, long.as_str()).await,
        Err(Error::CloseReasonTooLong(124))
    ));
    assert!(!ws.is_closing());
}

/// The client goes away without a close: its TCP connection, or its HTTP/2 stream
/// (RST_STREAM), is gone.
async fn a_dropped_connection_is_1006_in_on_close(transport: Transport) {
    // Over HTTP/2 the connection stays: only the stream is reset.
    let (mut server, _connection, client) = connected_on(transport).await;
    let _ = server.next().await;
    drop(client);
    let (seen, ws) = server.next().await;
    assert_eq!(seen, Seen::Close(Some(1006), Some(String::new())));
    assert!(!ws.closed().unwrap().clean);
}

async fn write_message_from_another_task_while_open(transport: Transport) {
    let (mut server, mut client) = connected(transport).await;
    let (_, ws) = server.next().await;
    tokio::spawn(async move { ws.write_message("pushed").await })
        .await
        .unwrap()
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap();
    assert_eq!(got.unwrap().unwrap(), TMessage::text("pushed"));
    client.send(TMessage::Close(None)).await.unwrap();
}
