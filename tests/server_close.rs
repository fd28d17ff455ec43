//! The close handshake as handlers see it.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{recorder_server, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::{CloseCode, Error, Settings};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as TFrame;
use tokio_tungstenite::tungstenite::Message as TMessage;

#[tokio::test]
async fn client_close_code_and_reason_reach_on_close() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (mut client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
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
    // The server echoed 4000 and closed TCP: the client sees the end of the stream.
    let echoed = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap();
    assert!(
        echoed.is_none()
            || matches!(echoed, Some(Ok(TMessage::Close(Some(ref f)))) if u16::from(f.code) == 4000)
    );
}

#[tokio::test]
async fn server_initiated_close_reaches_the_client_and_writes_fail_after() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (mut client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
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

#[tokio::test]
async fn reason_without_code_is_sent_as_1000() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (mut client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
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

#[tokio::test]
async fn invalid_close_arguments_are_refused() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (_client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
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

#[tokio::test]
async fn dropped_tcp_is_1006_in_on_close() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
    let _ = server.next().await;
    drop(client);
    let (seen, ws) = server.next().await;
    assert_eq!(seen, Seen::Close(Some(1006), Some(String::new())));
    assert!(!ws.closed().unwrap().clean);
}

#[tokio::test]
async fn write_message_from_another_task_while_open() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let (mut client, _) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
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
