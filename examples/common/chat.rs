//! The chat shared by `chat_server` and `axum_chat`: rooms created on first use, every text
//! message published to the room (on every node, with `--redis`), permessage-deflate on, and
//! the command line both examples take.
//!
//! Messages are text lines; lines from the server itself start with `* `. A client that
//! connects with `?http` in its URL (`/chat/lobby?http`, as the browser demo does) first gets
//! `* connected over HTTP/2` (or `HTTP/1.1`): the version that carried its upgrade, which a
//! page cannot read from its `WebSocket`.
// Public for axum_chat, which re-exports it; private in chat_server.
#![allow(unreachable_pub, dead_code)]

use std::path::PathBuf;

pub use squall::rooms::Hub;
#[cfg(feature = "redis")]
use squall::rooms::{HubEvent, RedisOptions};
use squall::{CompressionOptions, Message, PathArgs, Request, WebSocket, WebSocketHandler};

/// The notice that tells a client the HTTP version of its upgrade, before the version.
pub const CONNECTED_OVER: &str = "* connected over ";

/// One chat connection; `open` takes the room from the route's first capture.
#[derive(Debug)]
pub struct Chat {
    hub: Hub,
    room: String,
    verbose: bool,
}

impl Chat {
    /// A connection that will join a room of `hub`.
    pub fn new(hub: Hub) -> Self {
        Self {
            hub,
            room: String::new(),
            verbose: false,
        }
    }

    /// With `true`, prints a line on stderr for each WebSocket that joins a room: its peer,
    /// room and HTTP version (`chat: 127.0.0.1:50312 joined room lobby over HTTP/2`).
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }
}

/// `HTTP/2` or `HTTP/1.1`: the version that carried `request`'s upgrade.
pub fn http_version(request: &Request) -> &'static str {
    if request.version() == http::Version::HTTP_2 {
        "HTTP/2"
    } else {
        "HTTP/1.1"
    }
}

/// Whether the upgrade's query asks for the `* connected over VERSION` notice (`?http`).
fn wants_version(request: &Request) -> bool {
    request.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair == "http" || pair.starts_with("http="))
    })
}

impl WebSocketHandler for Chat {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        Some(CompressionOptions::default())
    }

    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        self.room = args.get(0).unwrap_or("lobby").to_owned();
        let version = http_version(ws.request());
        if self.verbose {
            let peer = ws
                .request()
                .peer_addr()
                .map_or_else(|| "?".to_owned(), |addr| addr.to_string());
            eprintln!("chat: {peer} joined room {} over {version}", self.room);
        }
        // Before joining, so that it is the first line the client reads.
        if wants_version(ws.request()) {
            let _ = ws.write_message(format!("{CONNECTED_OVER}{version}")).await;
        }
        // The membership ends by itself when the connection closes.
        self.hub.join(&self.room, ws).await;
    }

    async fn on_message(&mut self, _ws: &WebSocket, message: Message) {
        if message.is_text() {
            // Awaited: the sender's next message waits until this one is published.
            if let Err(error) = self.hub.publish(&self.room, message).await {
                eprintln!(
                    "chat: a message to room {} was not published: {error}",
                    self.room
                );
            }
        }
    }
}

/// The command line of the chat examples.
#[derive(Debug)]
pub struct Args {
    /// `--port PORT` on 127.0.0.1 (8888; 0 for any free port).
    pub port: u16,
    /// `--www DIR`: the browser demo's files.
    pub www: PathBuf,
    /// `--redis URL`: rooms shared with every node on that Redis.
    pub redis: Option<String>,
    /// `--node NAME`: this node's name in Redis's `CLIENT LIST` and the logs.
    pub node: Option<String>,
    /// `--cert CERT.pem --key KEY.pem`: TLS (chat_server only), HTTP/2 and HTTP/1.1 by ALPN.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `--verbose`: a line on stderr per WebSocket opened (chat_server only; see
    /// [`Chat::verbose`]).
    pub verbose: bool,
}

impl Args {
    /// The arguments, as the usage line shows them.
    pub const USAGE: &'static str =
        "[--port PORT] [--www DIR] [--redis redis://HOST:PORT] [--node NAME] [--cert CERT.pem --key KEY.pem] [--verbose]";

    /// Parses the process's arguments; on an error prints it with the usage and exits 2.
    pub fn parse(program: &str) -> Self {
        Self::try_parse(std::env::args().skip(1)).unwrap_or_else(|error| {
            eprintln!("{program}: {error}\nusage: {program} {}", Self::USAGE);
            std::process::exit(2);
        })
    }

    fn try_parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Self {
            port: 8888,
            www: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www"),
            redis: None,
            node: None,
            tls: None,
            verbose: false,
        };
        let (mut cert, mut key) = (None, None);
        while let Some(arg) = args.next() {
            if arg == "--verbose" {
                parsed.verbose = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
            match arg.as_str() {
                "--port" => parsed.port = value.parse().map_err(|e| format!("--port: {e}"))?,
                "--www" => parsed.www = PathBuf::from(value),
                "--redis" => parsed.redis = Some(value),
                "--node" => parsed.node = Some(value),
                "--cert" => cert = Some(PathBuf::from(value)),
                "--key" => key = Some(PathBuf::from(value)),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        parsed.tls = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err("--cert and --key go together".to_owned()),
        };
        Ok(parsed)
    }

    /// The rooms: in-process, or through Redis with `--redis`. State changes are printed on
    /// stderr (`chat_server: redis connected`, `... redis disconnected: WHY`, `... gap in
    /// room ROOM: WHAT`); on a gap, the room's members here get a `* ` notice to reload.
    pub fn hub(&self, program: &'static str, port: u16) -> Hub {
        let Some(url) = &self.redis else {
            return Hub::new();
        };
        #[cfg(not(feature = "redis"))]
        {
            let _ = (url, port);
            eprintln!("{program}: --redis needs the `redis` feature (cargo build --example {program} --features redis)");
            std::process::exit(2);
        }
        #[cfg(feature = "redis")]
        self.redis_hub(program, url, port)
    }

    #[cfg(feature = "redis")]
    fn redis_hub(&self, program: &'static str, url: &str, port: u16) -> Hub {
        let node = self
            .node
            .clone()
            .unwrap_or_else(|| format!("127.0.0.1:{port}"));
        let options = RedisOptions::new(url).unwrap_or_else(|error| {
            eprintln!("{program}: {error}");
            std::process::exit(2);
        });
        let options = options
            .node_name(node)
            .on_event(move |hub, event| match event {
                HubEvent::Connected => eprintln!("{program}: redis connected"),
                HubEvent::Disconnected { error } => {
                    eprintln!("{program}: redis disconnected: {error}")
                }
                HubEvent::Gap(gap) => {
                    eprintln!("{program}: gap in room {}: {gap}", gap.room);
                    let notice =
                        format!("* some messages of this room were lost ({gap}); reload to resync");
                    hub.send_local(&gap.room, notice);
                }
                other => eprintln!("{program}: {other:?}"),
            });
        Hub::redis(options).unwrap_or_else(|error| {
            eprintln!("{program}: {error}");
            std::process::exit(1);
        })
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn stop_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                eprintln!("cannot watch SIGTERM: {error}");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
