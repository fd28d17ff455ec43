//! The reader and writer halves in two tasks, and the Stream/Sink impls.

mod common;

use common::client::{tungstenite_echo_server, within};
use common::recorder_server;
use futures_util::{stream, SinkExt, StreamExt};
use squall::{websocket_connect, ConnectOptions, Message, Settings};

#[tokio::test]
async fn reader_and_writers_in_separate_tasks() {
    let addr = tungstenite_echo_server().await;
    let conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    let (mut reader, writer) = conn.split();
    let reading = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < 200 {
            match reader.read_message().await {
                Some(message) => seen.push(message),
                None => break,
            }
        }
        seen
    });
    let writers: Vec<_> = (0..2)
        .map(|n| {
            let writer = writer.clone();
            tokio::spawn(async move {
                for i in 0..100 {
                    writer.write_message(format!("w{n}-{i}")).await.unwrap();
                }
            })
        })
        .collect();
    for task in writers {
        within(task).await.unwrap();
    }
    let seen = within(reading).await.unwrap();
    assert_eq!(seen.len(), 200);
    // Each writer's messages stay in order.
    for n in 0..2 {
        let prefix = format!("w{n}-");
        let mine: Vec<_> = seen
            .iter()
            .filter_map(|m| m.as_text()?.strip_prefix(&prefix))
            .map(|i| i.parse::<u32>().unwrap())
            .collect();
        assert_eq!(mine, (0..100).collect::<Vec<_>>());
    }
    within(writer.close(None, None)).await.unwrap();
    assert!(writer.closed().is_some());
}

#[tokio::test]
async fn dropping_every_writer_closes_and_ends_the_reader() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    let (mut reader, writer) = conn.split();
    let second = writer.clone();
    drop(writer);
    second.write_message("still open").await.unwrap();
    assert_eq!(
        within(reader.read_message()).await,
        Some(Message::from("still open"))
    );
    drop(second);
    assert_eq!(within(reader.read_message()).await, None);
    assert_eq!(reader.close_code(), Some(squall::CloseCode::NORMAL));
}

#[tokio::test]
async fn stream_and_sink() {
    let addr = tungstenite_echo_server().await;
    let mut conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    let outgoing: Vec<Message> = (0..50).map(|i| Message::from(format!("s{i}"))).collect();
    let mut source = stream::iter(outgoing.clone()).map(Ok);
    within(conn.send_all(&mut source)).await.unwrap();
    let echoed: Vec<Message> = within((&mut conn).take(50).collect()).await;
    assert_eq!(echoed, outgoing);
    within(SinkExt::close(&mut conn)).await.unwrap();
    assert_eq!(within(conn.next()).await, None);
}

#[tokio::test]
async fn split_halves_are_stream_and_sink() {
    let addr = tungstenite_echo_server().await;
    let conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    let (reader, mut writer) = conn.split();
    within(writer.feed(Message::from("a"))).await.unwrap();
    within(writer.feed(Message::from(vec![1u8, 2])))
        .await
        .unwrap();
    within(writer.flush()).await.unwrap();
    let got: Vec<Message> = within(reader.take(2).collect()).await;
    assert_eq!(got, [Message::from("a"), Message::from(vec![1u8, 2])]);
}
