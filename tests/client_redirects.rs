//! `ConnectOptions::follow_redirects`: chains followed to a squall server, the hop limit,
//! relative locations, credentials kept within the first origin, off by default, and the
//! whole chain inside `connect_timeout`.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::client::{header, read_head, serve_tcp, switching_protocols, within};
use common::{recorder_server, Seen};
use squall::{websocket_connect, ConnectOptions, Error, HandshakeError, Message, Settings};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// A raw server that reports every request head and answers with `answer(head)`: a 3xx
/// from [`redirect`], a 101 from [`switching_protocols`], ...
struct Scripted {
    addr: SocketAddr,
    heads: mpsc::UnboundedReceiver<String>,
}

impl Scripted {
    async fn start<F>(answer: F) -> Self
    where
        F: Fn(&str) -> String + Send + Sync + Clone + 'static,
    {
        Self::start_slow(Duration::ZERO, answer).await
    }

    /// As `start`, answering each request after `delay`.
    async fn start_slow<F>(delay: Duration, answer: F) -> Self
    where
        F: Fn(&str) -> String + Send + Sync + Clone + 'static,
    {
        let (sender, heads) = mpsc::unbounded_channel();
        let addr = serve_tcp(move |mut stream| {
            let (answer, sender) = (answer.clone(), sender.clone());
            async move {
                let head = read_head(&mut stream).await;
                tokio::time::sleep(delay).await;
                let reply = answer(&head);
                let _ = sender.send(head);
                let _ = stream.write_all(reply.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        })
        .await;
        Self { addr, heads }
    }

    /// The heads received so far.
    fn received(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.heads.try_recv().ok()).collect()
    }
}

fn redirect(status: u16, location: &str) -> String {
    format!("HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n")
}

/// The request target of a head: `/path?query`.
fn path(head: &str) -> &str {
    head.split_whitespace().nth(1).unwrap_or_default()
}

#[tokio::test]
async fn a_chain_of_redirects_reaches_a_squall_server() {
    let mut squall = recorder_server(r"/final", None, Settings::default()).await;
    let final_url = format!("http://{}/final?via=redirects", squall.server.local_addr());
    let mut redirector = Scripted::start(move |head| match path(head) {
        "/start" => redirect(302, "/middle"),
        "/middle" => redirect(308, &final_url),
        _ => redirect(404, "/"),
    })
    .await;
    let options = ConnectOptions::new().follow_redirects(3);
    let url = format!("ws://{}/start", redirector.addr);
    let mut conn = within(websocket_connect(url, options)).await.unwrap();
    conn.write_message("followed").await.unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("followed"))
    );
    let paths: Vec<String> = redirector
        .received()
        .iter()
        .map(|h| path(h).to_owned())
        .collect();
    assert_eq!(paths, ["/start", "/middle"]);
    assert!(matches!(squall.next().await.0, Seen::Open(_)));
}

#[tokio::test]
async fn the_hop_limit_is_an_error_naming_it() {
    let mut looping = Scripted::start(|_| redirect(302, "/again")).await;
    let options = ConnectOptions::new().follow_redirects(3);
    let err = within(websocket_connect(
        format!("ws://{}/", looping.addr),
        options,
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, Error::TooManyRedirects(3)), "{err:?}");
    assert!(err.to_string().contains('3'), "{err}");
    // The first request and three redirects followed; the fourth was not.
    assert_eq!(looping.received().len(), 4);
}

#[tokio::test]
async fn relative_locations_resolve_against_the_current_url() {
    let mut server = Scripted::start(|head| match path(head) {
        "/rooms/1/join" => redirect(303, "../2/join?seat=4"),
        "/rooms/2/join?seat=4" => switching_protocols(head, ""),
        _ => redirect(404, "/"),
    })
    .await;
    let options = ConnectOptions::new().follow_redirects(1);
    let url = format!("ws://{}/rooms/1/join", server.addr);
    let conn = within(websocket_connect(url, options)).await.unwrap();
    let paths: Vec<String> = server
        .received()
        .iter()
        .map(|h| path(h).to_owned())
        .collect();
    assert_eq!(paths, ["/rooms/1/join", "/rooms/2/join?seat=4"]);
    drop(conn);
}

#[tokio::test]
async fn credentials_stay_within_the_first_origin() {
    // The other origin: same host, other port. It sends the client back to the first.
    let first_addr = Arc::new(OnceLock::<SocketAddr>::new());
    let back = Arc::clone(&first_addr);
    let mut other = Scripted::start(move |_| {
        let first = back.get().expect("the first server's address");
        redirect(307, &format!("ws://{first}/back"))
    })
    .await;
    let other_addr = other.addr;
    let mut first = Scripted::start(move |head| match path(head) {
        "/login" => redirect(302, "/lobby"),
        "/lobby" => redirect(302, &format!("ws://{other_addr}/elsewhere")),
        _ => switching_protocols(head, ""),
    })
    .await;
    first_addr.set(first.addr).unwrap();

    let options = ConnectOptions::new()
        .follow_redirects(5)
        .header("authorization", "Bearer secret")
        .header("cookie", "session=1")
        .header("proxy-authorization", "Basic c2VjcmV0")
        .header("x-trace", "7");
    let url = format!("ws://{}/login", first.addr);
    let conn = within(websocket_connect(url, options)).await.unwrap();

    let firsts = first.received();
    let others = other.received();
    assert_eq!(firsts.len(), 3, "{firsts:?}");
    assert_eq!(others.len(), 1, "{others:?}");
    // Same origin: everything is sent.
    for head in &firsts[..2] {
        assert_eq!(header(head, "authorization"), Some("Bearer secret"));
        assert_eq!(header(head, "cookie"), Some("session=1"));
        assert_eq!(header(head, "proxy-authorization"), Some("Basic c2VjcmV0"));
    }
    // Another origin, and the first again after it: no credentials, other headers kept.
    for head in [&others[0], &firsts[2]] {
        assert_eq!(header(head, "authorization"), None, "{head}");
        assert_eq!(header(head, "cookie"), None, "{head}");
        assert_eq!(header(head, "proxy-authorization"), None, "{head}");
        assert_eq!(header(head, "x-trace"), Some("7"), "{head}");
    }
    assert_eq!(path(&firsts[2]), "/back");
    drop(conn);
}

#[tokio::test]
async fn redirects_are_not_followed_by_default() {
    let mut server = Scripted::start(|_| redirect(302, "/elsewhere")).await;
    let err = within(websocket_connect(
        format!("ws://{}/", server.addr),
        ConnectOptions::new(),
    ))
    .await
    .unwrap_err();
    let Error::Handshake(err) = err else {
        panic!("{err:?}")
    };
    let HandshakeError::UnexpectedStatus {
        status, headers, ..
    } = *err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, 302);
    assert_eq!(headers["location"], "/elsewhere");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn other_statuses_and_schemes_are_not_followed() {
    let server = Scripted::start(|head| match path(head) {
        "/forbidden" => {
            "HTTP/1.1 403 Forbidden\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n".to_owned()
        }
        _ => redirect(301, "ftp://files.example/"),
    })
    .await;
    let options = || ConnectOptions::new().follow_redirects(3);
    let err = within(websocket_connect(
        format!("ws://{}/forbidden", server.addr),
        options(),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Handshake(e) if matches!(**e, HandshakeError::UnexpectedStatus { status, .. } if status == 403)),
        "{err:?}"
    );
    let err = within(websocket_connect(
        format!("ws://{}/ftp", server.addr),
        options(),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidUrl(why) if why.contains("ftp")),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_whole_chain_counts_against_connect_timeout() {
    // Each answer takes 150 ms: one hop fits in 400 ms, the chain does not.
    let slow = Scripted::start_slow(Duration::from_millis(150), |_| redirect(302, "/next")).await;
    let limit = Duration::from_millis(400);
    let options = ConnectOptions::new()
        .follow_redirects(100)
        .connect_timeout(limit);
    let err = within(websocket_connect(format!("ws://{}/", slow.addr), options))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ConnectTimeout(d) if d == limit),
        "{err:?}"
    );
}
