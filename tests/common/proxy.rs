//! A tiny HTTP CONNECT proxy on 127.0.0.1 for the client's proxy tests: it records every
//! `CONNECT` (target and whole head), can require basic credentials (407 otherwise), refuse
//! every tunnel with a status, or never answer; otherwise it opens the tunnel and copies
//! bytes both ways.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::client::{header, read_head, serve_tcp};

/// What the proxy does with each `CONNECT`.
#[derive(Clone, Debug)]
pub enum Policy {
    /// Opens every tunnel.
    Open,
    /// Opens tunnels whose `Proxy-Authorization` is exactly this; 407 otherwise.
    RequireAuthorization(&'static str),
    /// Answers every `CONNECT` with this status.
    Refuse(u16),
    /// Reads the request and never answers.
    Silent,
}

/// One `CONNECT` the proxy received.
#[derive(Clone, Debug)]
pub struct Connect {
    /// The request target, `host:port`.
    pub target: String,
    /// The whole request head.
    pub head: String,
}

pub struct TestProxy {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Connect>>>,
}

impl TestProxy {
    pub async fn start(policy: Policy) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let addr =
            serve_tcp(move |stream| serve(stream, policy.clone(), Arc::clone(&record))).await;
        Self { addr, seen }
    }

    /// `http://127.0.0.1:PORT`, for `Proxy::http`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every `CONNECT` received so far, in order.
    pub fn seen(&self) -> Vec<Connect> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(mut client: TcpStream, policy: Policy, seen: Arc<Mutex<Vec<Connect>>>) {
    let head = read_head(&mut client).await;
    let mut words = head.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    let target = target.to_owned();
    seen.lock().unwrap().push(Connect {
        target: target.clone(),
        head: head.clone(),
    });
    let refusal = match policy {
        Policy::Open => None,
        Policy::RequireAuthorization(expected) => {
            (header(&head, "proxy-authorization") != Some(expected)).then(|| {
                "HTTP/1.1 407 Proxy Authentication Required\r\n\
             Proxy-Authenticate: Basic realm=\"squall tests\"\r\nContent-Length: 0\r\n\r\n"
                    .to_owned()
            })
        }
        Policy::Refuse(status) => Some(format!(
            "HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\n\r\n"
        )),
        Policy::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
    };
    if let Some(refusal) = refusal {
        let _ = client.write_all(refusal.as_bytes()).await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(target.as_str()).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}
