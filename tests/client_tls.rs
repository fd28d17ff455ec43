//! wss:// against squall's TLS server and against tokio-rustls + tokio-tungstenite, with a
//! root made in the test.
#![cfg(feature = "tls")]
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::client::{echo, serve_tcp, test_certs, within, TestCerts};
use squall::{websocket_connect, Application, ConnectOptions, Error, Message};

fn trusting(certs: &TestCerts) -> ConnectOptions {
    let config = squall::tls::client_config_with_roots(certs.root_pem.as_bytes()).unwrap();
    ConnectOptions::new().tls(config)
}

async fn assert_echoes(url: String, options: ConnectOptions) {
    let mut conn = within(websocket_connect(url, options)).await.unwrap();
    within(conn.write_message("secret")).await.unwrap();
    within(conn.write_message(vec![9u8; 100_000]))
        .await
        .unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("secret"))
    );
    assert_eq!(within(conn.read_message()).await.unwrap().len(), 100_000);
    within(conn.close(None, None)).await.unwrap();
}

struct Echo;

impl squall::WebSocketHandler for Echo {
    async fn on_message(&mut self, ws: &squall::WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

async fn squall_tls_server(certs: &TestCerts) -> squall::Server {
    let config =
        squall::tls::server_config_from_pem(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .unwrap();
    Application::new()
        .route("/echo", || Echo)
        .tls(config)
        .listen("127.0.0.1:0")
        .await
        .unwrap()
}

#[tokio::test]
async fn wss_to_squall_server_by_ip_and_by_name() {
    let certs = test_certs();
    let server = squall_tls_server(&certs).await;
    let port = server.local_addr().port();
    assert_echoes(format!("wss://127.0.0.1:{port}/echo"), trusting(&certs)).await;
    assert_echoes(format!("wss://localhost:{port}/echo"), trusting(&certs)).await;
}

#[tokio::test]
async fn wss_to_tokio_rustls_and_tungstenite() {
    let certs = test_certs();
    // The server side is built with rustls directly, independently of squall's helper.
    let cert = rustls_pki_types::pem::PemObject::from_pem_slice(certs.cert_pem.as_bytes()).unwrap();
    let key = rustls_pki_types::pem::PemObject::from_pem_slice(certs.key_pem.as_bytes()).unwrap();
    // ring, as squall uses (rustls 0.23.48 deprecates it for lacking post-quantum kx).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let addr = serve_tcp(move |stream| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            if let Ok(ws) = tokio_tungstenite::accept_async(tls).await {
                echo(ws).await;
            }
        }
    })
    .await;
    assert_echoes(format!("wss://{addr}/"), trusting(&certs)).await;
}

#[tokio::test]
async fn untrusted_certificate_fails_with_io_error() {
    let certs = test_certs();
    let server = squall_tls_server(&certs).await;
    let url = format!("wss://127.0.0.1:{}/echo", server.local_addr().port());
    // The default configuration trusts the webpki roots, not the test root.
    let err = within(websocket_connect(&url, ConnectOptions::new()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    // Nor does a configuration with another root.
    let other = test_certs();
    let err = within(websocket_connect(&url, trusting(&other)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[tokio::test]
async fn ws_to_a_tls_server_fails_the_handshake() {
    let certs = test_certs();
    let server = squall_tls_server(&certs).await;
    let url = format!("ws://127.0.0.1:{}/echo", server.local_addr().port());
    let options = ConnectOptions::new().connect_timeout(std::time::Duration::from_secs(5));
    assert!(within(websocket_connect(&url, options)).await.is_err());
}
