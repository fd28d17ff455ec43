//! The Redis backend through its API, against a real redis-server per test: URL errors at
//! start-up, a Redis that is down at start-up, the publish timeout and the bound on waiting
//! messages, key prefixes, binary messages, the events and the status, and Redis work per
//! message rather than per member. Each hub serves its own squall server; the clients are
//! tokio-tungstenite. (`tests/scale_out.rs` runs whole chat nodes as processes.)
#![allow(clippy::unwrap_used)]

#[path = "common/redis.rs"]
mod redis;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use redis::RedisServer;
use squall::rooms::{GapReason, Hub, HubError, HubEvent, RedisOptions};
use squall::{Application, Message, PathArgs, WebSocket, WebSocketHandler};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as TMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Joins the room named by the path and says so; publishes what it receives there.
struct Member {
    hub: Hub,
    room: String,
}

impl WebSocketHandler for Member {
    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        self.room = args.get(0).unwrap().to_owned();
        self.hub.join(&self.room, ws).await;
        // Only now does this node read the room for it: a test must not publish before.
        ws.write_message(JOINED).await.unwrap();
    }

    async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
        self.hub.publish(&self.room, message).await.unwrap();
    }
}

/// What a member is told once `Hub::join` has returned.
const JOINED: &str = "joined";

/// A hub on `url` recording its events, and a squall server whose members join it.
struct Node {
    hub: Hub,
    events: Arc<Mutex<Vec<HubEvent>>>,
    base: String,
    _server: squall::Server,
}

impl Node {
    async fn start(options: RedisOptions) -> Self {
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&events);
        let options = options.on_event(move |_hub, event| seen.lock().unwrap().push(event.clone()));
        let hub = Hub::redis(options).unwrap();
        let handler_hub = hub.clone();
        let server = Application::new()
            .route(r"/rooms/(\w+)", move || Member {
                hub: handler_hub.clone(),
                room: String::new(),
            })
            .listen("127.0.0.1:0")
            .await
            .unwrap();
        let base = format!("ws://{}/rooms/", server.local_addr());
        Self {
            hub,
            events,
            base,
            _server: server,
        }
    }

    /// A client that has joined `room`: its node reads the room for it.
    async fn member(&self, room: &str) -> Client {
        let mut client = tokio_tungstenite::connect_async(format!("{}{room}", self.base))
            .await
            .unwrap()
            .0;
        assert_eq!(next(&mut client).await, TMessage::text(JOINED));
        assert!(self.hub.local_members(room) > 0);
        client
    }

    fn events(&self) -> Vec<HubEvent> {
        self.events.lock().unwrap().clone()
    }
}

fn options(url: &str) -> RedisOptions {
    RedisOptions::new(url).unwrap()
}

async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn next(client: &mut Client) -> TMessage {
    tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("a message within 5 s")
        .expect("the connection ended")
        .unwrap()
}

async fn nothing(client: &mut Client, wait: Duration) {
    if let Ok(message) = tokio::time::timeout(wait, client.next()).await {
        panic!("unexpected {message:?}");
    }
}

#[test]
fn a_malformed_url_is_an_error_at_start_up() {
    for url in [
        "http://127.0.0.1:6379",
        "redis://127.0.0.1:port",
        "not a url",
    ] {
        match RedisOptions::new(url) {
            Err(HubError::InvalidUrl(message)) => assert!(message.contains(url), "{message}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    let options = options("redis://user:secret@127.0.0.1:6379/2");
    assert!(
        !format!("{options:?}").contains("secret"),
        "Debug shows no password"
    );
    // The backend runs on a thread of its own: no runtime is needed to start it.
    assert!(Hub::redis(options).is_ok());
}

#[tokio::test]
async fn publishing_while_redis_is_unreachable_fails_after_the_timeout_with_bounded_memory() {
    let mut redis = RedisServer::start().await;
    let url = redis.url();
    redis.kill();
    let node = Node::start(
        options(&url)
            .publish_timeout(Duration::from_millis(800))
            .max_pending_bytes(10_000),
    )
    .await;
    let started = Instant::now();
    let publishes = (0..100).map(|i| {
        let hub = node.hub.clone();
        tokio::spawn(async move {
            hub.publish("down", vec![i as u8; 1000])
                .await?
                .confirmed()
                .await
        })
    });
    let publishes: Vec<_> = publishes.collect();
    let mut most_pending = 0;
    while started.elapsed() < Duration::from_millis(500) {
        most_pending = most_pending.max(node.hub.status().pending_publishes);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for publish in publishes {
        assert!(matches!(
            publish.await.unwrap(),
            Err(HubError::PublishTimeout(_))
        ));
    }
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(3),
        "publishes ended after {waited:?}"
    );
    assert!(
        most_pending <= 10,
        "{most_pending} messages of 1000 B waited within a 10 kB budget"
    );
    let status = node.hub.status();
    assert!(
        !status.connected && status.last_error.is_some(),
        "{status:?}"
    );
    assert!(
        matches!(node.events().first(), Some(HubEvent::Disconnected { .. })),
        "a Redis down at start-up is said: {:?}",
        node.events()
    );
    // Published without waiting for confirmation: when they expire, the hub says so (the
    // count includes the ones above, whose waiters got the timeout).
    let before = node.hub.status().dropped;
    for i in 0..3 {
        drop(
            node.hub
                .publish("down", format!("unwatched {i}"))
                .await
                .unwrap(),
        );
    }
    wait_until(Duration::from_secs(10), || {
        node.hub.status().dropped >= before + 3
    })
    .await;
    assert!(
        node.events()
            .iter()
            .any(|event| matches!(event, HubEvent::Dropped { .. })),
        "{:?}",
        node.events()
    );
}

#[tokio::test]
async fn a_redis_that_is_down_at_start_up_is_used_once_it_comes_up() {
    let mut redis = RedisServer::start().await;
    redis.kill();
    let node = Node::start(
        options(&redis.url()).backoff(
            squall::rooms::Backoff::new()
                .initial_delay(Duration::from_millis(50))
                .max_delay(Duration::from_millis(200)),
        ),
    )
    .await;
    let mut member = node.member("late").await;
    let hub = node.hub.clone();
    let published = tokio::spawn(async move {
        hub.publish("late", "waited for Redis")
            .await?
            .confirmed()
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !published.is_finished(),
        "publish waits while Redis is down"
    );
    redis.restart().await;
    published.await.unwrap().unwrap();
    assert_eq!(next(&mut member).await, TMessage::text("waited for Redis"));
    wait_until(Duration::from_secs(5), || node.hub.status().connected).await;
    let events = node.events();
    assert!(
        matches!(events.first(), Some(HubEvent::Disconnected { .. })),
        "{events:?}"
    );
    assert!(events.contains(&HubEvent::Connected), "{events:?}");
}

#[tokio::test]
async fn hubs_share_rooms_by_prefix_and_carry_binary_and_text() {
    let redis = RedisServer::start().await;
    let one = Node::start(options(&redis.url()).key_prefix("app1")).await;
    let two = Node::start(options(&redis.url()).key_prefix("app1")).await;
    let other_app = Node::start(options(&redis.url()).key_prefix("app2")).await;
    let mut on_one = one.member("shared").await;
    let mut on_two = two.member("shared").await;
    let mut elsewhere = other_app.member("shared").await;
    on_one
        .send(TMessage::binary(vec![0u8, 255, 1]))
        .await
        .unwrap();
    on_two.send(TMessage::text("héllo")).await.unwrap();
    for client in [&mut on_one, &mut on_two] {
        let first = next(client).await;
        let second = next(client).await;
        let mut got = vec![first, second];
        got.sort_by_key(TMessage::is_text);
        assert_eq!(
            got,
            [TMessage::binary(vec![0u8, 255, 1]), TMessage::text("héllo")]
        );
    }
    nothing(&mut elsewhere, Duration::from_millis(300)).await;
    let status = one.hub.status();
    assert_eq!(
        (status.backend, status.connected, status.rooms),
        ("redis", true, 1)
    );
    assert!(status.lag.is_some(), "{status:?}");
}

#[tokio::test]
async fn data_lost_by_redis_is_reported_as_a_gap_and_delivery_goes_on() {
    let mut redis = RedisServer::start().await;
    let sender = Node::start(options(&redis.url())).await;
    let receiver = Node::start(options(&redis.url())).await;
    let mut publisher = sender.member("lost").await;
    let mut member = receiver.member("lost").await;
    publisher.send(TMessage::text("before")).await.unwrap();
    assert_eq!(next(&mut member).await, TMessage::text("before"));
    // Redis acknowledged "before" to its publisher: it is not published again after the loss.
    wait_until(Duration::from_secs(5), || {
        sender.hub.status().pending_publishes == 0
    })
    .await;
    redis.kill();
    redis.restart().await;
    wait_until(Duration::from_secs(10), || receiver.hub.status().gaps == 1).await;
    let gap = receiver.events().into_iter().find_map(|event| match event {
        HubEvent::Gap(gap) => Some(gap),
        _ => None,
    });
    let gap = gap.unwrap();
    assert_eq!((gap.room.as_str(), gap.reason), ("lost", GapReason::Reset));
    publisher.send(TMessage::text("after")).await.unwrap();
    assert_eq!(next(&mut member).await, TMessage::text("after"));
}

#[tokio::test]
async fn redis_work_grows_with_messages_not_with_members() {
    let redis = RedisServer::start().await;
    let node = Node::start(options(&redis.url())).await;
    let commands = || async { redis.command(&["INFO", "stats"]).await.text().unwrap() };
    let processed = |info: String| -> u64 {
        let line = info
            .lines()
            .find(|l| l.starts_with("total_commands_processed:"))
            .unwrap();
        line["total_commands_processed:".len()..]
            .trim()
            .parse()
            .unwrap()
    };
    let mut per_message = Vec::new();
    for members in [1usize, 50] {
        let room = format!("work{members}");
        let mut clients = Vec::new();
        for _ in 0..members {
            clients.push(node.member(&room).await);
        }
        let before = processed(commands().await);
        for i in 0..100 {
            let published = node.hub.publish(&room, format!("m{i}")).await.unwrap();
            published.confirmed().await.unwrap();
        }
        for client in &mut clients {
            for i in 0..100 {
                assert_eq!(next(client).await, TMessage::text(format!("m{i}")));
            }
        }
        let after = processed(commands().await);
        per_message.push((after - before - 1) as f64 / 100.0);
    }
    // One script call per message (seven commands, counting those inside the script) and
    // one read per batch, whatever the number of members.
    let (one, fifty) = (per_message[0], per_message[1]);
    assert!(
        one <= 9.0 && fifty <= one * 1.1,
        "Redis commands per message: {per_message:?}"
    );
}

/// A Redis serving TLS only, with a certificate from a private CA, killed when dropped.
#[cfg(feature = "tls")]
struct TlsRedis {
    child: std::process::Child,
    port: u16,
    root_pem: String,
    /// The certificates and Redis' working directory, removed on drop.
    dir: std::path::PathBuf,
}

#[cfg(feature = "tls")]
impl TlsRedis {
    fn start() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let dir = std::env::temp_dir().join(format!("squall-tls-redis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = |name: &str| dir.join(name).display().to_string();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--tls-cert-file",
                &path("cert.pem"),
                "--tls-key-file",
                &path("key.pem"),
            ])
            .args([
                "--tls-ca-cert-file",
                &path("ca.pem"),
                "--tls-auth-clients",
                "no",
            ])
            .args(["--save", "", "--appendonly", "no", "--dir", &path("")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on the PATH");
        Self {
            child,
            port,
            root_pem: ca.pem(),
            dir,
        }
    }
}

#[cfg(feature = "tls")]
impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn rediss_with_a_private_ca_carries_the_rooms() {
    let redis = TlsRedis::start();
    let url = format!("rediss://127.0.0.1:{}", redis.port);
    let trusting = options(&url)
        .ca_certificate(redis.root_pem.as_bytes())
        .unwrap();
    let node = Node::start(trusting).await;
    wait_until(Duration::from_secs(10), || node.hub.status().connected).await;
    let mut member = node.member("tls").await;
    let published = node.hub.publish("tls", "over TLS").await.unwrap();
    published.confirmed().await.unwrap();
    assert_eq!(next(&mut member).await, TMessage::text("over TLS"));
    // Without the CA the certificate is refused, and the hub says so.
    let untrusting = Node::start(options(&url)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = untrusting.hub.status();
    assert!(
        !status.connected && status.last_error.is_some(),
        "{status:?}"
    );
}
