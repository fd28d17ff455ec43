//! A real `redis-server` per test and `chat_server` nodes that share it, for the scale-out
//! tests. Both run as plain `std::process` children (the tests' tokio has no `process` or
//! `signal` feature) and are signalled with `kill`; both are killed when dropped, so a
//! failing test leaves no process behind.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "example.rs"]
mod example;

/// Sends `signal` (a `kill` name such as `STOP`) to `pid`.
fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}: {status}");
}

/// Waits up to `limit` for `child` to exit, polling (no blocking wait on a runtime thread).
async fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Kills a child with SIGKILL and reaps it.
fn kill_child(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A RESP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Self>>),
}

impl Resp {
    /// The text of a simple or bulk string reply.
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Simple(s) => Some(s.clone()),
            Self::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }
}

/// Parses one reply at the start of `buf`: the reply and its length, `None` if incomplete.
fn parse_reply(buf: &[u8]) -> Option<(Resp, usize)> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = String::from_utf8_lossy(&buf[1..end]).into_owned();
    let after = end + 2;
    let reply = match *buf.first()? {
        b'+' => (Resp::Simple(line), after),
        b'-' => (Resp::Error(line), after),
        b':' => (Resp::Integer(line.parse().expect("RESP integer")), after),
        b'$' => {
            let len: i64 = line.parse().expect("RESP bulk length");
            if len < 0 {
                (Resp::Bulk(None), after)
            } else {
                let len = usize::try_from(len).unwrap();
                if buf.len() < after + len + 2 {
                    return None;
                }
                (
                    Resp::Bulk(Some(buf[after..after + len].to_vec())),
                    after + len + 2,
                )
            }
        }
        b'*' => {
            let len: i64 = line.parse().expect("RESP array length");
            if len < 0 {
                (Resp::Array(None), after)
            } else {
                let mut items = Vec::new();
                let mut at = after;
                for _ in 0..len {
                    let (item, used) = parse_reply(&buf[at..])?;
                    items.push(item);
                    at += used;
                }
                (Resp::Array(Some(items)), at)
            }
        }
        other => panic!("unexpected RESP type byte {other:#x}"),
    };
    Some(reply)
}

/// Sends one command on a new connection to `port` and reads its reply, within 5 s.
pub async fn command(port: u16, args: &[&str]) -> std::io::Result<Resp> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
        stream.write_all(&request).await?;
        let mut buf = Vec::new();
        loop {
            if let Some((reply, _)) = parse_reply(&buf) {
                return Ok(reply);
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

/// A process-unique number for temporary names and port picks.
fn unique() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A port to give redis-server: below the ephemeral range, so that the nodes' reconnection
/// attempts while it is down can never take it as their own local port (a TCP
/// self-connect would then keep the restarted server from binding it).
fn free_port() -> u16 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut seed = nanos ^ std::process::id().rotate_left(16) ^ unique().wrapping_mul(7919);
    for _ in 0..1000 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let port = 20_000 + u16::try_from((seed >> 8) % 12_000).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000");
}

/// A `redis-server` on 127.0.0.1 in its own temporary directory, killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    /// `None` while killed.
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    persistent: bool,
}

impl RedisServer {
    /// A server without persistence: a restart starts it empty.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// A server that writes every command to its append-only file before replying
    /// (`--appendonly yes --appendfsync always`): a restart loads everything it acknowledged.
    pub async fn start_persistent() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(persistent: bool) -> Self {
        let dir =
            std::env::temp_dir().join(format!("squall-redis-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            child: None,
            port: 0,
            dir,
            persistent,
        };
        // Another process may take the picked port before redis-server binds it: try again.
        for _ in 0..5 {
            server.port = free_port();
            if server.launch().await.is_ok() {
                return server;
            }
        }
        panic!("redis-server did not start; its log:\n{}", server.log());
    }

    /// Runs redis-server on `self.port` and waits until it answers PING.
    async fn launch(&mut self) -> Result<(), ()> {
        let mut args = vec![
            "--port".to_owned(),
            self.port.to_string(),
            "--bind".to_owned(),
            "127.0.0.1".to_owned(),
            "--save".to_owned(),
            String::new(),
            "--dir".to_owned(),
            self.dir.display().to_string(),
            "--logfile".to_owned(),
            self.dir.join("redis.log").display().to_string(),
        ];
        if self.persistent {
            args.extend(["--appendonly", "yes", "--appendfsync", "always"].map(str::to_owned));
        } else {
            args.extend(["--appendonly", "no"].map(str::to_owned));
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server) on the PATH");
        let child = self.child.insert(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                self.child = None;
                return Err(());
            }
            // LOADING while it reads its append-only file; PONG once it serves.
            if let Ok(Resp::Simple(pong)) = command(self.port, &["PING"]).await {
                if pong == "PONG" {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "redis-server on port {} did not answer PING within 10 s; its log:\n{}",
            self.port,
            self.log()
        );
    }

    /// What redis-server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL the nodes connect to.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("redis-server is running").id()
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing is answered.
    pub fn pause(&self) {
        signal(self.pid(), "STOP");
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        signal(self.pid(), "CONT");
    }

    /// Kills the server with SIGKILL: no shutdown, no final save.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_child(&mut child);
        }
    }

    /// Starts the server again on the same port and directory, with the same options (so an
    /// append-only file is loaded, and a server without persistence starts empty).
    pub async fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            if self.launch().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "redis-server did not restart on port {}; its log:\n{}",
            self.port,
            self.log()
        );
    }

    /// Sends one command and returns its reply.
    pub async fn command(&self, args: &[&str]) -> Resp {
        command(self.port, args)
            .await
            .unwrap_or_else(|e| panic!("redis {args:?}: {e}"))
    }

    /// `CLIENT KILL TYPE normal` (and `pubsub`): closes every client connection but the
    /// one asking; returns how many were closed.
    pub async fn kill_clients(&self) -> i64 {
        let mut killed = 0;
        for kind in ["normal", "pubsub"] {
            match self.command(&["CLIENT", "KILL", "TYPE", kind]).await {
                Resp::Integer(n) => killed += n,
                other => panic!("CLIENT KILL TYPE {kind}: {other:?}"),
            }
        }
        killed
    }

    /// The clients connected now: (id, name) from `CLIENT LIST`.
    pub async fn clients(&self) -> Vec<(String, String)> {
        let list = self.command(&["CLIENT", "LIST"]).await;
        let list = list
            .text()
            .unwrap_or_else(|| panic!("CLIENT LIST: {list:?}"));
        list.lines()
            .map(|line| {
                let field = |key: &str| {
                    line.split(' ')
                        .find_map(|kv| kv.strip_prefix(key))
                        .unwrap_or_default()
                        .to_owned()
                };
                (field("id="), field("name="))
            })
            .collect()
    }

    /// The names of the clients connected now.
    pub async fn client_names(&self) -> Vec<String> {
        self.clients()
            .await
            .into_iter()
            .map(|(_, name)| name)
            .collect()
    }

    /// Closes every connection whose name starts with `prefix`; returns how many.
    pub async fn kill_clients_named(&self, prefix: &str) -> usize {
        let mut killed = 0;
        for (id, name) in self.clients().await {
            if name.starts_with(prefix) {
                if let Resp::Integer(n) = self.command(&["CLIENT", "KILL", "ID", &id]).await {
                    killed += usize::try_from(n).unwrap();
                }
            }
        }
        killed
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `chat_server` example: next to this test's binary, built with the `redis` feature
/// first if it is missing or older than the sources.
pub fn chat_server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| example::example_binary("chat_server", &["redis"]))
}

/// Lines a child wrote, shared with the thread that reads them.
type Lines = Arc<Mutex<Vec<String>>>;

/// Reads `pipe` line by line into `lines` until it closes, reporting each to `line_seen`.
fn collect_lines(
    pipe: impl std::io::Read + Send + 'static,
    lines: Lines,
    mut line_seen: impl FnMut(&str) + Send + 'static,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            line_seen(&line);
            lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    });
}

/// A `chat_server --redis` process, killed when dropped.
#[derive(Debug)]
pub struct Node {
    /// `None` once it has exited and been reaped.
    child: Option<Child>,
    exited: Option<ExitStatus>,
    pub name: String,
    pub addr: SocketAddr,
    stderr: Lines,
}

impl Node {
    /// Starts node `name` on a free port against `redis` and waits until it listens.
    pub async fn start(redis: &RedisServer, name: &str) -> Self {
        let mut child = Command::new(chat_server_binary())
            .args(["--port", "0", "--redis", &redis.url(), "--node", name])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run chat_server");
        let stderr: Lines = Arc::default();
        collect_lines(child.stderr.take().unwrap(), stderr.clone(), |_| {});
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let mut port_tx = Some(port_tx);
        collect_lines(child.stdout.take().unwrap(), Arc::default(), move |line| {
            if let Some(addr) = line.strip_prefix("listening on ") {
                if let (Some(tx), Ok(addr)) = (port_tx.take(), addr.trim().parse::<SocketAddr>()) {
                    let _ = tx.send(addr);
                }
            }
        });
        let mut node = Self {
            child: Some(child),
            exited: None,
            name: name.to_owned(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
        };
        match tokio::time::timeout(Duration::from_secs(10), port_rx).await {
            Ok(Ok(addr)) => node.addr = addr,
            _ => panic!(
                "node {name} printed no `listening on 127.0.0.1:PORT` within 10 s; stderr:\n{}",
                node.stderr()
            ),
        }
        node
    }

    /// The WebSocket URL of `room` on this node.
    pub fn url(&self, room: &str) -> String {
        format!("ws://{}/chat/{room}", self.addr)
    }

    /// Everything the node wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr_lines().join("\n")
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many stderr lines so far start with `prefix`.
    pub fn count_stderr(&self, prefix: &str) -> usize {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|line| line.starts_with(prefix))
            .count()
    }

    /// Waits up to `limit` until at least `count` stderr lines start with `prefix`.
    pub async fn wait_stderr(&self, prefix: &str, count: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.count_stderr(prefix) < count {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        signal(
            self.child.as_ref().expect("the node is running").id(),
            "TERM",
        );
    }

    /// Waits up to `limit` for the node to exit; its status if it did.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        if let Some(child) = self.child.as_mut() {
            self.exited = wait_exit(child, limit).await;
            if self.exited.is_some() {
                self.child = None;
            }
        }
        self.exited
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_child(&mut child);
        }
    }
}
