//! Broadcast from another task, with a slow consumer; over HTTP/1.1, and over h2c and
//! HTTP/2 over TLS with every member a stream of one connection (`common::peer`).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::peer::{transport_tests, Client, Transport};
use futures_util::StreamExt;
use squall::{Application, Broadcast, Message, PathArgs, WebSocket, WebSocketHandler};
use tokio_tungstenite::tungstenite::Message as TMessage;

transport_tests!(
    a_message_sent_from_another_task_reaches_every_member,
    a_slow_consumer_is_closed_with_1013_and_the_others_keep_receiving,
);
transport_tests!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    members_on_two_threads_broadcasting_to_each_other_never_deadlock,
);

struct Member {
    room: Broadcast,
}

impl WebSocketHandler for Member {
    async fn open(&mut self, ws: &WebSocket, _args: PathArgs) {
        self.room.join(ws);
    }

    async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
        self.room.send(message);
    }
}

/// A server of `room` on `/room`, and a client of it.
async fn room_server(transport: Transport, room: &Broadcast) -> (squall::Server, Client) {
    let room = room.clone();
    let app = Application::new().route("/room", move || Member { room: room.clone() });
    let server = transport.listen(app).await;
    let client = Client::new(transport, &server).await;
    (server, client)
}

async fn wait_for_members(room: &Broadcast, n: usize) {
    for _ in 0..500 {
        if room.len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("room has {} members, expected {n}", room.len());
}

async fn a_message_sent_from_another_task_reaches_every_member(transport: Transport) {
    let room = Broadcast::new();
    let (_server, client) = room_server(transport, &room).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(client.connect("/room").await);
    }
    wait_for_members(&room, 5).await;
    let sender = room.clone();
    let delivered = tokio::spawn(async move { sender.send("to everyone") })
        .await
        .unwrap();
    assert_eq!(delivered, 5);
    for client in &mut clients {
        let got = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .unwrap();
        assert_eq!(got.unwrap().unwrap(), TMessage::text("to everyone"));
    }
}

async fn a_slow_consumer_is_closed_with_1013_and_the_others_keep_receiving(transport: Transport) {
    let room = Broadcast::new();
    let (_server, client) = room_server(transport, &room).await;
    let mut fast = client.connect("/room").await;
    let mut slow = client.connect("/room").await;
    wait_for_members(&room, 2).await;
    // The fast client reads everything in the background.
    let fast_reader = tokio::spawn(async move {
        let mut count = 0usize;
        while let Some(Ok(message)) = fast.next().await {
            if message.is_binary() {
                count += 1;
                if count == 2000 {
                    break;
                }
            }
        }
        count
    });
    // 2000 x 64 KiB is far more than the slow client's socket buffers and queue hold.
    let chunk = vec![1u8; 64 * 1024];
    for _ in 0..2000 {
        room.send(chunk.clone());
        tokio::task::yield_now().await;
    }
    let count = tokio::time::timeout(Duration::from_secs(20), fast_reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count, 2000, "the fast client got every message");
    assert_eq!(room.len(), 1, "the slow client was removed");
    // The slow client, reading at last, finds a 1013 close after what it had buffered.
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = slow.next().await {
            if let TMessage::Close(frame) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .unwrap();
    assert_eq!(close, Some(1013));
}

/// Handlers on two threads that write to each other's connections from inside
/// `on_message` (a room's broadcast) keep going: no connection's lock is held while its
/// handler runs, so two such writes never wait on each other.
async fn members_on_two_threads_broadcasting_to_each_other_never_deadlock(transport: Transport) {
    use futures_util::SinkExt;
    const EACH: usize = 300;
    let room = Broadcast::new();
    let (_server, client) = room_server(transport, &room).await;
    let a = client.connect("/room").await;
    let b = client.connect("/room").await;
    wait_for_members(&room, 2).await;
    let member = |ws: common::peer::Ws| async move {
        let (mut tx, mut rx) = ws.split();
        let writer = async move {
            for i in 0..EACH {
                tx.send(TMessage::text(i.to_string())).await.unwrap();
            }
        };
        // Every message of both members comes back to each.
        let reader = async move {
            let mut seen = 0;
            while seen < 2 * EACH {
                match rx.next().await {
                    Some(Ok(message)) if message.is_text() => seen += 1,
                    Some(Ok(_)) => {}
                    other => panic!("the connection ended after {seen} messages: {other:?}"),
                }
            }
            seen
        };
        tokio::join!(writer, reader).1
    };
    let both = futures_util::future::join(tokio::spawn(member(a)), tokio::spawn(member(b)));
    let (seen_a, seen_b) = tokio::time::timeout(Duration::from_secs(20), both)
        .await
        .expect("both members got every message");
    assert_eq!((seen_a.unwrap(), seen_b.unwrap()), (2 * EACH, 2 * EACH));
}
