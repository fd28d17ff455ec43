//! [`RedisOptions`]: where the Redis is, and the knobs of the backend.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::rooms::{Hub, HubError, HubEvent};

/// The hook [`RedisOptions::on_event`] installs.
pub(super) type Hook = Arc<dyn Fn(&Hub, &HubEvent) + Send + Sync>;

/// The Redis backend of a [`Hub`](crate::rooms::Hub): rooms that span every server process
/// using the same Redis and key prefix.
///
/// # How it works
/// Each room is a Redis stream. Publishing appends the message to the room's stream through
/// a small script that numbers it and makes a retry a no-op; each node reads the streams of
/// the rooms it has members in, from where it stopped, and delivers to its members. A node
/// uses two Redis connections whatever its number of WebSockets and rooms: one publishes
/// (several messages per round trip under load), one reads (one blocking `XREAD` for all its
/// rooms), served by a thread of the hub's own with a single-threaded runtime, so that under
/// load they do not wait behind every connection's task. Redis does work per message and per
/// node, never per WebSocket.
///
/// # Guarantees
/// - **One order.** Every member of a room, on every node, receives the room's messages in
///   one and the same order (the stream's), and each publisher's messages in the order it
///   published them, across retries and reconnects.
/// - **From the join on.** A member receives every message published after its
///   [`join`](crate::rooms::Hub::join) returned.
/// - **No loss, no duplicates across outages.** When a connection to Redis drops (Redis
///   restarted with persistence, paused, the connection killed), the node reconnects with
///   backoff, reads each room from the last message it delivered, and catches up; messages
///   published meanwhile are delivered once. A publish retried after a lost reply is
///   applied once (each carries its publisher's sequence number).
/// - **Gaps are reported, never skipped silently.** When messages are gone from Redis
///   before a node read them (it fell behind by more than the [`retention`](Self::retention),
///   or Redis lost its data), the node emits [`HubEvent::Gap`] to the
///   [`on_event`](Self::on_event) hook, logs it, counts it in
///   [`HubStatus::gaps`](crate::rooms::HubStatus::gaps), and goes on with the messages that
///   are there. When Redis lost its data, it also lost which publishes it had applied: a
///   message whose acknowledgment the loss cut off is published again, after the gap, so
///   members that had it before the gap can receive it twice.
/// - **Bounded waiting and memory.** [`publish`](crate::rooms::Hub::publish) returns once
///   the message is queued for Redis, in order; messages waiting for Redis hold at most
///   [`max_pending_bytes`](Self::max_pending_bytes), beyond which `publish` waits, up to the
///   [`publish_timeout`](Self::publish_timeout) (15 s), then fails with
///   [`HubError::PublishTimeout`]. A queued message Redis has not taken within the publish
///   timeout (it was unreachable all along) is dropped: its
///   [`Published::confirmed`](crate::rooms::Published::confirmed) fails with
///   `PublishTimeout`, and the hub reports it ([`HubEvent::Dropped`]).
/// - **Never down with Redis.** Redis errors are logged and retried, never a panic; local
///   connections stay open and receive again once Redis is back. A Redis that is down when
///   the server starts only delays delivery. A malformed URL is an error from
///   [`RedisOptions::new`].
///
/// What is durable is what Redis keeps: with `appendonly yes` and `appendfsync always`, a
/// confirmed message survives a Redis crash; with weaker persistence a crash
/// can lose the last acknowledged messages, which the nodes then report as a gap.
///
/// # Deployments
/// `redis://` and `rediss://` (TLS, with the `tls` feature) URLs, with a user and password
/// and a database number (`rediss://user:password@host:6380/2`). Redis 5 or later (streams,
/// `CLIENT UNBLOCK`). Redis Sentinel: point the URL at the current primary, or behind a
/// proxy that follows it; after a failover the nodes reconnect, and messages the old
/// primary had not replicated are reported as gaps. Redis Cluster is not supported by this
/// backend (its keys are already hash-tagged per room, but it opens no cluster connection).
///
/// | knob | default | |
/// |---|---|---|
/// | [`key_prefix`](Self::key_prefix) | `squall` | several applications on one Redis |
/// | [`node_name`](Self::node_name) | `host:pid` | shown in `CLIENT LIST` and the logs |
/// | [`retention`](Self::retention) | 10,000 messages per room | how far behind a node may fall before a gap |
/// | [`room_ttl`](Self::room_ttl) | 1 day | a room's keys expire after this long without a message |
/// | [`publish_timeout`](Self::publish_timeout) | 15 s | how long a message may wait for Redis |
/// | [`max_pending_bytes`](Self::max_pending_bytes) | 64 MiB | messages waiting for Redis, per node |
/// | [`connect_timeout`](Self::connect_timeout) | 2 s | one connection attempt |
/// | [`response_timeout`](Self::response_timeout) | 3 s | a reply, before the connection is deemed dead |
/// | [`backoff`](Self::backoff) | 100 ms doubling to 2 s, jitter 0.5 | between reconnect attempts |
#[derive(Clone)]
pub struct RedisOptions {
    pub(super) client: redis::Client,
    pub(super) key_prefix: String,
    pub(super) node_name: String,
    pub(super) retention: usize,
    pub(super) room_ttl: Duration,
    pub(super) publish_timeout: Duration,
    pub(super) max_pending_bytes: usize,
    pub(super) connect_timeout: Duration,
    pub(super) response_timeout: Duration,
    pub(super) backoff: Backoff,
    pub(super) hook: Option<Hook>,
}

impl fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.client.get_connection_info();
        f.debug_struct("RedisOptions")
            .field("addr", &info.addr().to_string())
            .field("key_prefix", &self.key_prefix)
            .field("node_name", &self.node_name)
            .field("retention", &self.retention)
            .field("room_ttl", &self.room_ttl)
            .field("publish_timeout", &self.publish_timeout)
            .field("max_pending_bytes", &self.max_pending_bytes)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("backoff", &self.backoff)
            .field("on_event", &self.hook.is_some())
            .finish()
    }
}

impl RedisOptions {
    /// Options for the Redis at `url` (`redis://[user:password@]host[:port][/db]`, or
    /// `rediss://` for TLS), with the defaults above. Nothing connects yet.
    ///
    /// # Errors
    /// [`HubError::InvalidUrl`] when `url` cannot be parsed (or is `rediss://` without the
    /// `tls` feature).
    pub fn new(url: &str) -> Result<Self, HubError> {
        let client = redis::Client::open(url)
            .map_err(|error| HubError::InvalidUrl(format!("{url}: {error}")))?;
        if url.starts_with("rediss:") && !cfg!(feature = "tls") {
            return Err(HubError::InvalidUrl(format!(
                "{url}: rediss:// needs squall's `tls` feature"
            )));
        }
        Ok(Self {
            client,
            key_prefix: "squall".to_owned(),
            node_name: default_node_name(),
            retention: 10_000,
            room_ttl: Duration::from_secs(24 * 60 * 60),
            publish_timeout: Duration::from_secs(15),
            max_pending_bytes: 64 << 20,
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(3),
            backoff: Backoff::new()
                .initial_delay(Duration::from_millis(100))
                .max_delay(Duration::from_secs(2))
                .reset_after(Duration::from_secs(5)),
            hook: None,
        })
    }

    /// Trusts the CA certificate(s) in `pem` (PEM) for a `rediss://` URL, instead of the
    /// Mozilla roots: a Redis with a certificate from a private CA.
    ///
    /// # Errors
    /// [`HubError::InvalidUrl`] when the URL is not `rediss://` or `pem` holds no usable
    /// certificate.
    #[cfg(feature = "tls")]
    pub fn ca_certificate(mut self, pem: &[u8]) -> Result<Self, HubError> {
        let info = self.client.get_connection_info().clone();
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.to_vec()),
        };
        self.client = redis::Client::build_with_tls(info, certificates)
            .map_err(|error| HubError::InvalidUrl(format!("CA certificate: {error}")))?;
        Ok(self)
    }

    /// Prefixes every key, so several applications (or environments) share one Redis.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// This node's name in `CLIENT LIST` (`squall:NAME:publish`, `squall:NAME:read`) and in
    /// the logs. Spaces become `_`.
    pub fn node_name(mut self, name: impl Into<String>) -> Self {
        self.node_name = name.into().replace(char::is_whitespace, "_");
        self
    }

    /// About how many messages each room's stream keeps (`XADD MAXLEN ~`): a node that falls
    /// further behind, or is disconnected while more are published, reports a
    /// [`GapReason::Trimmed`](crate::rooms::GapReason::Trimmed) gap. Memory in Redis is about
    /// this many messages per active room.
    pub fn retention(mut self, messages: usize) -> Self {
        self.retention = messages.max(1);
        self
    }

    /// A room's keys expire after this long without a message (at least a second).
    pub fn room_ttl(mut self, ttl: Duration) -> Self {
        self.room_ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// How long a published message may wait for Redis (for room in the queue, then to be
    /// taken) before it fails with [`HubError::PublishTimeout`] and is dropped. The default,
    /// 15 s, outlasts a Redis restart.
    pub fn publish_timeout(mut self, timeout: Duration) -> Self {
        self.publish_timeout = timeout;
        self
    }

    /// The bytes of messages that may wait for Redis on this node; publishers beyond it wait
    /// (within their timeout) for room.
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.max_pending_bytes = bytes.max(1);
        self
    }

    /// The time one connection attempt may take (TCP, TLS, authentication).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time a reply may take before the connection is deemed dead and replaced (a
    /// paused or unreachable Redis keeps TCP connections open).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The delays between reconnect attempts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Calls `hook` on every [`HubEvent`]: connected, disconnected (once per outage, also
    /// when Redis is down at start-up), gap. It runs on the backend's task: keep it short
    /// (send a notice with [`Hub::send_local`](crate::rooms::Hub::send_local), bump a metric).
    pub fn on_event(mut self, hook: impl Fn(&Hub, &HubEvent) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }
}

fn default_node_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".to_owned());
    format!("{host}:{}", std::process::id())
}
