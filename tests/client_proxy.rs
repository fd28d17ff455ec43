//! `ConnectOptions::proxy`: ws:// and wss:// through a CONNECT proxy run by the test, basic
//! credentials, refusals with their status, `no_proxy` exceptions, and the proxy inside
//! `connect_timeout`.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::client::{header, read_head, serve_tcp, switching_protocols, within};
use common::proxy::{Policy, TestProxy};
use squall::{websocket_connect, ConnectOptions, Error, Message, Proxy, ProxyError};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

fn through(proxy: &TestProxy) -> ConnectOptions {
    ConnectOptions::new().proxy(Proxy::http(&proxy.url()).unwrap())
}

async fn assert_echoes(url: String, options: ConnectOptions) {
    let mut conn = within(websocket_connect(url, options)).await.unwrap();
    within(conn.write_message("through the tunnel"))
        .await
        .unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("through the tunnel"))
    );
    within(conn.close(None, None)).await.unwrap();
}

/// A raw WebSocket server that accepts every upgrade and reports each request head.
async fn recording_server() -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let (heads, received) = mpsc::unbounded_channel();
    let addr = serve_tcp(move |mut stream| {
        let heads = heads.clone();
        async move {
            let head = read_head(&mut stream).await;
            let answer = switching_protocols(&head, "");
            let _ = heads.send(head);
            let _ = stream.write_all(answer.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
    .await;
    (addr, received)
}

fn proxy_error(result: Result<squall::WebSocketClientConnection, Error>) -> ProxyError {
    match result {
        Err(Error::Proxy(err)) => *err,
        other => panic!("expected a proxy error, got {other:?}"),
    }
}

#[tokio::test]
async fn ws_through_the_proxy() {
    let server = common::client::tungstenite_echo_server().await;
    let proxy = TestProxy::start(Policy::Open).await;
    assert_echoes(format!("ws://{server}/chat"), through(&proxy)).await;
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, server.to_string());
    assert!(
        seen[0]
            .head
            .starts_with(&format!("CONNECT {server} HTTP/1.1\r\n")),
        "{}",
        seen[0].head
    );
    assert_eq!(
        header(&seen[0].head, "host"),
        Some(server.to_string().as_str())
    );
    assert_eq!(header(&seen[0].head, "proxy-authorization"), None);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn wss_through_the_proxy_runs_tls_end_to_end_with_the_target_name() {
    use common::client::test_certs;

    struct Echo;
    impl squall::WebSocketHandler for Echo {
        async fn on_message(&mut self, ws: &squall::WebSocket, message: Message) {
            let _ = ws.write_message(message).await;
        }
    }

    let certs = test_certs();
    let config =
        squall::tls::server_config_from_pem(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .unwrap();
    let server = squall::Application::new()
        .route("/echo", || Echo)
        .tls(config)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let port = server.local_addr().port();
    let proxy = TestProxy::start(Policy::Open).await;
    let roots = squall::tls::client_config_with_roots(certs.root_pem.as_bytes()).unwrap();
    // The certificate names `localhost`: TLS inside the tunnel checks the target's name.
    let url = format!("wss://localhost:{port}/echo");
    assert_echoes(url.clone(), through(&proxy).tls(roots)).await;
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, format!("localhost:{port}"));
    // The proxy only ever saw ciphertext after its 200: with the webpki roots the same
    // tunnel fails the certificate check, as a direct connection would.
    let err = within(websocket_connect(url, through(&proxy)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[tokio::test]
async fn basic_credentials_go_to_the_proxy_and_not_to_the_server() {
    // "user:p@ss", with the '@' escaped in the URL.
    let proxy = TestProxy::start(Policy::RequireAuthorization("Basic dXNlcjpwQHNz")).await;
    let (server, mut heads) = recording_server().await;
    let url = format!("ws://{server}/private");

    let proxy_url = format!("http://user:p%40ss@{}", proxy.addr);
    let options = ConnectOptions::new().proxy(Proxy::http(&proxy_url).unwrap());
    let conn = within(websocket_connect(url.as_str(), options))
        .await
        .unwrap();
    let head = within(heads.recv()).await.unwrap();
    assert!(head.starts_with("GET /private HTTP/1.1\r\n"), "{head}");
    assert_eq!(header(&head, "proxy-authorization"), None);
    drop(conn);

    for wrong in [format!("http://user:wrong@{}", proxy.addr), proxy.url()] {
        let options = ConnectOptions::new().proxy(Proxy::http(&wrong).unwrap());
        let err = proxy_error(within(websocket_connect(url.as_str(), options)).await);
        let ProxyError::Refused { status, headers } = err else {
            panic!("{err:?}")
        };
        assert_eq!(status, 407);
        assert_eq!(
            headers["proxy-authenticate"],
            "Basic realm=\"squall tests\""
        );
    }
    assert_eq!(proxy.seen().len(), 3);
}

#[tokio::test]
async fn a_refusing_proxy_is_an_error_with_its_status() {
    for status in [403u16, 502] {
        let proxy = TestProxy::start(Policy::Refuse(status)).await;
        let err =
            proxy_error(within(websocket_connect("ws://example.invalid/", through(&proxy))).await);
        assert!(
            matches!(&err, ProxyError::Refused { status: s, .. } if *s == status),
            "{err:?}"
        );
        assert!(err.to_string().contains(&status.to_string()), "{err}");
        // The target was never resolved by the client: the proxy got the name.
        assert_eq!(proxy.seen()[0].target, "example.invalid:80");
    }
}

#[tokio::test]
async fn the_proxy_counts_against_connect_timeout() {
    let proxy = TestProxy::start(Policy::Silent).await;
    let limit = Duration::from_millis(300);
    let started = Instant::now();
    let options = through(&proxy).connect_timeout(limit);
    let err = within(websocket_connect("ws://example.invalid/", options))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ConnectTimeout(d) if d == limit),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_unreachable_proxy_is_an_io_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let options = ConnectOptions::new().proxy(Proxy::http(&format!("http://{addr}")).unwrap());
    let err = within(websocket_connect("ws://example.invalid/", options))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[tokio::test]
async fn no_proxy_entries_connect_directly() {
    let server = common::client::tungstenite_echo_server().await;
    let proxy = TestProxy::start(Policy::Open).await;
    let port = server.port();
    let bypassing =
        |list: &str| ConnectOptions::new().proxy(Proxy::http(&proxy.url()).unwrap().no_proxy(list));
    for list in [
        "127.0.0.1",
        "127.0.0.0/8",
        &format!("127.0.0.1:{port}"),
        "*",
    ] {
        assert_echoes(format!("ws://{server}/"), bypassing(list)).await;
    }
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
    // Entries for other hosts or ports leave the connection proxied.
    for list in [
        "localhost",
        "10.0.0.0/8",
        &format!("127.0.0.1:{}", port ^ 1),
    ] {
        assert_echoes(format!("ws://{server}/"), bypassing(list)).await;
    }
    assert_eq!(proxy.seen().len(), 3);
}

#[tokio::test]
async fn each_redirect_gets_its_own_tunnel() {
    let server = common::client::tungstenite_echo_server().await;
    let redirector = serve_tcp(move |mut stream| async move {
        let _ = read_head(&mut stream).await;
        let answer = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: ws://{server}/moved\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let _ = stream.write_all(answer.as_bytes()).await;
    })
    .await;
    let proxy = TestProxy::start(Policy::Open).await;
    let options = through(&proxy).follow_redirects(1);
    assert_echoes(format!("ws://{redirector}/"), options).await;
    let targets: Vec<String> = proxy.seen().into_iter().map(|c| c.target).collect();
    assert_eq!(targets, [redirector.to_string(), server.to_string()]);
}
