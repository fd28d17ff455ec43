//! Rooms in one process (`Hub::new`): memberships that end with their connection, publishing
//! to a room and only that room, leaving, counting, and the slow-consumer rule; with
//! tokio-tungstenite clients.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use squall::rooms::Hub;
use squall::{Application, Message, PathArgs, WebSocket, WebSocketHandler};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as TMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Joins every room named in the path (`/rooms/a+b`), publishes each text message `ROOM:TEXT`
/// to ROOM, leaves ROOM on `leave:ROOM`, and panics on `panic`.
struct Member {
    hub: Hub,
    memberships: Vec<squall::rooms::Membership>,
}

impl WebSocketHandler for Member {
    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        for room in args.get(0).unwrap_or_default().split('+') {
            self.memberships.push(self.hub.join(room, ws).await);
        }
    }

    async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
        match message.as_text() {
            Some("panic") => panic!("a handler bug"),
            Some(text) if text.starts_with("leave:") => {
                let room = &text["leave:".len()..];
                if let Some(index) = self.memberships.iter().position(|m| m.room() == room) {
                    self.memberships.remove(index).leave();
                }
            }
            Some(text) => {
                let (room, body) = text.split_once(':').unwrap();
                self.hub.publish(room, body).await.unwrap();
            }
            None => {
                self.hub.publish("binary", message).await.unwrap();
            }
        }
    }
}

async fn server(hub: &Hub) -> (squall::Server, String) {
    let hub = hub.clone();
    let server = Application::new()
        .route(r"/rooms/([\w+]+)", move || Member {
            hub: hub.clone(),
            memberships: Vec::new(),
        })
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let base = format!("ws://{}/rooms/", server.local_addr());
    (server, base)
}

async fn connect(base: &str, rooms: &str) -> Client {
    tokio_tungstenite::connect_async(format!("{base}{rooms}"))
        .await
        .unwrap()
        .0
}

async fn wait_members(hub: &Hub, room: &str, n: usize) {
    for _ in 0..500 {
        if hub.local_members(room) == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "room {room} has {} members, expected {n}",
        hub.local_members(room)
    );
}

async fn next(client: &mut Client) -> TMessage {
    tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("a message within 5 s")
        .expect("the connection ended")
        .unwrap()
}

/// Nothing arrives within `wait`.
async fn nothing(client: &mut Client, wait: Duration) {
    if let Ok(message) = tokio::time::timeout(wait, client.next()).await {
        panic!("unexpected {message:?}");
    }
}

#[tokio::test]
async fn a_message_reaches_every_member_of_its_room_and_no_other() {
    let hub = Hub::new();
    let (_server, base) = server(&hub).await;
    let mut a1 = connect(&base, "a").await;
    let mut a2 = connect(&base, "a").await;
    let mut b = connect(&base, "b").await;
    wait_members(&hub, "a", 2).await;
    wait_members(&hub, "b", 1).await;
    a1.send(TMessage::text("a:hello a")).await.unwrap();
    assert_eq!(
        next(&mut a1).await,
        TMessage::text("hello a"),
        "the sender too"
    );
    assert_eq!(next(&mut a2).await, TMessage::text("hello a"));
    b.send(TMessage::text("b:hello b")).await.unwrap();
    assert_eq!(next(&mut b).await, TMessage::text("hello b"));
    nothing(&mut a2, Duration::from_millis(200)).await;
    // From outside any handler: a background task publishes too.
    let publisher = hub.clone();
    tokio::spawn(async move { publisher.publish("b", "from a task").await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next(&mut b).await, TMessage::text("from a task"));
    nothing(&mut a1, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn binary_messages_and_several_rooms_per_connection() {
    let hub = Hub::new();
    let (_server, base) = server(&hub).await;
    let mut both = connect(&base, "x+binary").await;
    let mut x = connect(&base, "x").await;
    wait_members(&hub, "binary", 1).await;
    wait_members(&hub, "x", 2).await;
    x.send(TMessage::binary(vec![0u8, 159, 255])).await.unwrap();
    assert_eq!(next(&mut both).await, TMessage::binary(vec![0u8, 159, 255]));
    x.send(TMessage::text("x:in x")).await.unwrap();
    assert_eq!(next(&mut both).await, TMessage::text("in x"));
    assert_eq!(next(&mut x).await, TMessage::text("in x"));
    let status = hub.status();
    assert_eq!((status.backend, status.connected), ("in-process", true));
    assert_eq!((status.rooms, status.members), (2, 3));
}

#[tokio::test]
async fn memberships_end_when_the_connection_closes_even_after_a_handler_panic() {
    let hub = Hub::new();
    let (_server, base) = server(&hub).await;
    let mut closing = connect(&base, "c+d").await;
    let mut panicking = connect(&base, "c").await;
    let dropped = connect(&base, "c").await;
    wait_members(&hub, "c", 3).await;
    wait_members(&hub, "d", 1).await;
    closing.close(None).await.unwrap();
    panicking.send(TMessage::text("panic")).await.unwrap();
    drop(dropped);
    wait_members(&hub, "c", 0).await;
    wait_members(&hub, "d", 0).await;
    let status = hub.status();
    assert_eq!((status.rooms, status.members), (0, 0), "nothing leaks");
}

#[tokio::test]
async fn leave_ends_one_membership_early() {
    let hub = Hub::new();
    let (_server, base) = server(&hub).await;
    let mut member = connect(&base, "e+f").await;
    let mut other = connect(&base, "e").await;
    wait_members(&hub, "e", 2).await;
    member.send(TMessage::text("leave:e")).await.unwrap();
    wait_members(&hub, "e", 1).await;
    assert_eq!(hub.local_members("f"), 1, "the other membership stays");
    other.send(TMessage::text("e:after leaving")).await.unwrap();
    assert_eq!(next(&mut other).await, TMessage::text("after leaving"));
    nothing(&mut member, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_slow_member_is_closed_with_1013_and_the_room_goes_on() {
    let hub = Hub::new();
    let (_server, base) = server(&hub).await;
    let mut fast = connect(&base, "s").await;
    let mut slow = connect(&base, "s").await;
    wait_members(&hub, "s", 2).await;
    let reader = tokio::spawn(async move {
        let mut count = 0usize;
        while count < 2000 {
            match fast.next().await {
                Some(Ok(message)) if message.is_binary() => count += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        count
    });
    let chunk = Message::Binary(vec![7u8; 64 * 1024].into());
    for _ in 0..2000 {
        hub.publish("s", chunk.clone()).await.unwrap();
        tokio::task::yield_now().await;
    }
    let count = tokio::time::timeout(Duration::from_secs(20), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count, 2000, "the fast member got every message");
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
    wait_members(&hub, "s", 1).await;
}
