//! The client over HTTP/2 (RFC 8441, `ConnectOptions::http_version`): against axum 0.8's
//! own HTTP/2 WebSocket server (an independent peer), against squall's server over h2c and
//! TLS, and the fall-back and errors of `HttpVersion::Auto` and `HttpVersion::Http2`.
#![cfg(all(feature = "http2", feature = "tls"))]
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::extract::ws::{Message as AxumMessage, WebSocket as AxumSocket, WebSocketUpgrade};
use axum::routing::any;
use common::client::{echo, serve_tcp, test_certs, within, TestCerts};
use squall::{
    websocket_connect, Application, CloseCode, ConnectOptions, Error, Http2Pool, HttpVersion,
    Message, PathArgs, WebSocket, WebSocketHandler,
};
use tokio::net::TcpListener;

/// axum's own WebSocket (extended CONNECT over HTTP/2, `Upgrade` over HTTP/1.1): says the
/// HTTP version first, then echoes; subprotocol "chat" when offered.
async fn axum_server() -> std::net::SocketAddr {
    async fn serve(version: http::Version, upgrade: WebSocketUpgrade) -> axum::response::Response {
        upgrade
            .protocols(["chat"])
            .on_upgrade(move |mut socket: AxumSocket| async move {
                let hello = format!("axum {version:?}");
                if socket.send(AxumMessage::text(hello)).await.is_err() {
                    return;
                }
                while let Some(Ok(message)) = socket.recv().await {
                    let echo = matches!(message, AxumMessage::Text(_) | AxumMessage::Binary(_));
                    if echo && socket.send(message).await.is_err() {
                        return;
                    }
                }
            })
    }
    /// Says the address the connection came from, then echoes.
    async fn peer(
        axum::extract::ConnectInfo(from): axum::extract::ConnectInfo<std::net::SocketAddr>,
        upgrade: WebSocketUpgrade,
    ) -> axum::response::Response {
        upgrade.on_upgrade(move |mut socket: AxumSocket| async move {
            if socket
                .send(AxumMessage::text(from.to_string()))
                .await
                .is_err()
            {
                return;
            }
            while let Some(Ok(message)) = socket.recv().await {
                if let AxumMessage::Text(_) = message {
                    if socket.send(message).await.is_err() {
                        return;
                    }
                }
            }
        })
    }
    let app = axum::Router::new()
        .route("/ws", any(serve))
        .route("/peer", any(peer))
        .route(
            "/old",
            any(|| async { axum::response::Redirect::temporary("/ws") }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn hello_and_echo(options: ConnectOptions, url: String) -> String {
    let mut conn = within(websocket_connect(url, options)).await.unwrap();
    let Some(Message::Text(hello)) = within(conn.read_message()).await else {
        panic!("no hello");
    };
    within(conn.write_message("over h2")).await.unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("over h2"))
    );
    let binary = vec![7u8; 200_000];
    within(conn.write_message(binary.clone())).await.unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from(binary))
    );
    within(conn.close(Some(CloseCode::from(4001)), None))
        .await
        .unwrap();
    hello.to_string()
}

#[tokio::test]
async fn http2_only_to_axum_over_h2c() {
    let addr = axum_server().await;
    let options = ConnectOptions::new()
        .http_version(HttpVersion::Http2)
        .subprotocol("chat");
    let url = format!("ws://{addr}/ws");
    let mut conn = within(websocket_connect(url.clone(), options))
        .await
        .unwrap();
    assert_eq!(conn.selected_subprotocol(), Some("chat"));
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("axum HTTP/2.0"))
    );
    within(conn.close(None, None)).await.unwrap();
    let options = ConnectOptions::new().http_version(HttpVersion::Http2);
    assert_eq!(hello_and_echo(options, url.clone()).await, "axum HTTP/2.0");
    // The default stays HTTP/1.1.
    assert_eq!(
        hello_and_echo(ConnectOptions::new(), url).await,
        "axum HTTP/1.1"
    );
}

/// The first message of axum's `/peer`: the client's address as the server saw it.
async fn peer_seen(conn: &mut squall::WebSocketClientConnection) -> String {
    match within(conn.read_message()).await {
        Some(Message::Text(from)) => from.into_string(),
        other => panic!("no address: {other:?}"),
    }
}

#[tokio::test]
async fn clients_given_one_pool_share_one_http2_connection() {
    let addr = axum_server().await;
    let url = format!("ws://{addr}/peer");
    let pool = Http2Pool::new();
    let pooled = || {
        ConnectOptions::new()
            .http_version(HttpVersion::Http2)
            .http2_pool(pool.clone())
    };
    let mut first = within(websocket_connect(url.clone(), pooled()))
        .await
        .unwrap();
    let mut second = within(websocket_connect(url.clone(), pooled()))
        .await
        .unwrap();
    let from = peer_seen(&mut first).await;
    assert_eq!(peer_seen(&mut second).await, from, "one TCP connection");
    // Without the pool, a connection of its own.
    let only_http2 = ConnectOptions::new().http_version(HttpVersion::Http2);
    let mut alone = within(websocket_connect(url.clone(), only_http2))
        .await
        .unwrap();
    assert_ne!(peer_seen(&mut alone).await, from);
    // Closing one leaves the other open, and the connection to later clients.
    within(first.close(Some(CloseCode::from(4001)), None))
        .await
        .unwrap();
    within(second.write_message("still here")).await.unwrap();
    assert_eq!(
        within(second.read_message()).await,
        Some(Message::from("still here"))
    );
    let mut third = within(websocket_connect(url, pooled())).await.unwrap();
    assert_eq!(peer_seen(&mut third).await, from);
    for conn in [&mut second, &mut third, &mut alone] {
        within(conn.close(None, None)).await.unwrap();
    }
}

#[tokio::test]
async fn a_pool_needs_a_version_that_allows_http2() {
    let options = ConnectOptions::new().http2_pool(Http2Pool::new());
    let err = within(websocket_connect("ws://127.0.0.1:9/", options))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(why) if why.starts_with("http2_pool")),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_are_followed_over_http2() {
    let addr = axum_server().await;
    let options = ConnectOptions::new()
        .http_version(HttpVersion::Http2)
        .follow_redirects(1);
    let url = format!("ws://{addr}/old");
    assert_eq!(hello_and_echo(options, url.clone()).await, "axum HTTP/2.0");
    let options = ConnectOptions::new().http_version(HttpVersion::Http2);
    let err = within(websocket_connect(url, options)).await.unwrap_err();
    assert!(matches!(&err, Error::Handshake(_)), "{err:?}");
}

#[tokio::test]
async fn an_error_status_over_http2_is_a_handshake_error() {
    let addr = axum_server().await;
    let options = ConnectOptions::new().http_version(HttpVersion::Http2);
    let err = within(websocket_connect(format!("ws://{addr}/nowhere"), options))
        .await
        .unwrap_err();
    let Error::Handshake(handshake) = err else {
        panic!("{err:?}");
    };
    let squall::HandshakeError::UnexpectedStatus { status, .. } = *handshake else {
        panic!("{handshake:?}");
    };
    assert_eq!(status, 404);
}

struct Version;

impl WebSocketHandler for Version {
    async fn open(&mut self, ws: &WebSocket, _args: PathArgs) {
        let _ = ws
            .write_message(format!("squall {:?}", ws.request().version()))
            .await;
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

fn trusting(certs: &TestCerts) -> ConnectOptions {
    let config = squall::tls::client_config_with_roots(certs.root_pem.as_bytes()).unwrap();
    ConnectOptions::new().tls(config)
}

#[tokio::test]
async fn auto_uses_http2_where_alpn_and_the_setting_allow() {
    let certs = test_certs();
    let config =
        squall::tls::server_config_from_pem(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .unwrap();
    let server = Application::new()
        .route("/v", || Version)
        .tls(config)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("wss://localhost:{}/v", server.local_addr().port());
    let auto = trusting(&certs).http_version(HttpVersion::Auto);
    assert_eq!(hello_and_echo(auto, url.clone()).await, "squall HTTP/2.0");
    let http2 = trusting(&certs).http_version(HttpVersion::Http2);
    assert_eq!(hello_and_echo(http2, url.clone()).await, "squall HTTP/2.0");
    assert_eq!(
        hello_and_echo(trusting(&certs), url).await,
        "squall HTTP/1.1"
    );
    // ws:// with Auto: HTTP/1.1 (no prior knowledge), even where h2c is served.
    let server = Application::new()
        .route("/v", || Version)
        .h2c(true)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/v", server.local_addr());
    let auto = ConnectOptions::new().http_version(HttpVersion::Auto);
    assert_eq!(hello_and_echo(auto, url.clone()).await, "squall HTTP/1.1");
    let http2 = ConnectOptions::new().http_version(HttpVersion::Http2);
    assert_eq!(hello_and_echo(http2, url).await, "squall HTTP/2.0");
    // HTTP/2 only to a server without h2c.
    let server = Application::new()
        .route("/v", || Version)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/v", server.local_addr());
    let http2 = ConnectOptions::new().http_version(HttpVersion::Http2);
    let err = within(websocket_connect(url, http2)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Io(io) if io.to_string().contains("does not answer in HTTP/2")),
        "{err:?}"
    );
}

#[tokio::test]
async fn http2_inside_a_proxy_tunnel() {
    let certs = test_certs();
    let config =
        squall::tls::server_config_from_pem(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .unwrap();
    let server = Application::new()
        .route("/v", || Version)
        .tls(config)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let proxy = common::proxy::TestProxy::start(common::proxy::Policy::Open).await;
    let options = trusting(&certs)
        .http_version(HttpVersion::Auto)
        .proxy(squall::Proxy::http(&proxy.url()).unwrap());
    let url = format!("wss://localhost:{}/v", server.local_addr().port());
    assert_eq!(hello_and_echo(options, url).await, "squall HTTP/2.0");
    assert_eq!(proxy.seen().len(), 1);
}

/// TLS with ALPN `h2` and `http/1.1`: HTTP/2 without SETTINGS_ENABLE_CONNECT_PROTOCOL (a
/// web server that does not do RFC 8441), and WebSockets over HTTP/1.1 (tungstenite).
async fn h2_without_extended_connect(certs: &TestCerts) -> std::net::SocketAddr {
    let cert = rustls_pki_types::pem::PemObject::from_pem_slice(certs.cert_pem.as_bytes()).unwrap();
    let key = rustls_pki_types::pem::PemObject::from_pem_slice(certs.key_pem.as_bytes()).unwrap();
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    serve_tcp(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                let Ok(mut connection) = h2::server::handshake(tls).await else {
                    return;
                };
                while let Some(Ok((_, mut respond))) = connection.accept().await {
                    respond.send_reset(h2::Reason::REFUSED_STREAM);
                }
            } else if let Ok(ws) = tokio_tungstenite::accept_async(tls).await {
                echo(ws).await;
            }
        }
    })
    .await
}

#[tokio::test]
async fn auto_falls_back_to_http1_and_http2_only_says_why() {
    let certs = test_certs();
    let addr = h2_without_extended_connect(&certs).await;
    let url = format!("wss://localhost:{}/", addr.port());
    let auto = trusting(&certs).http_version(HttpVersion::Auto);
    let mut conn = within(websocket_connect(url.clone(), auto)).await.unwrap();
    within(conn.write_message("fell back")).await.unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("fell back"))
    );
    within(conn.close(None, None)).await.unwrap();
    let http2 = trusting(&certs).http_version(HttpVersion::Http2);
    let err = within(websocket_connect(url, http2)).await.unwrap_err();
    let Error::Unsupported(why) = err else {
        panic!("{err:?}");
    };
    assert!(why.contains("SETTINGS_ENABLE_CONNECT_PROTOCOL"), "{why}");
    // A TLS server without ALPN h2.
    let config =
        squall::tls::server_config_from_pem(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .unwrap();
    let mut config = Arc::unwrap_or_clone(config);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let server = Application::new()
        .route("/v", || Version)
        .tls(Arc::new(config))
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("wss://localhost:{}/v", server.local_addr().port());
    let http2 = trusting(&certs).http_version(HttpVersion::Http2);
    let err = within(websocket_connect(url, http2)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(why) if why.contains("ALPN h2")),
        "{err:?}"
    );
}
