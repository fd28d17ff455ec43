//! `connect_timeout` bounds TCP, TLS and the handshake together.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::client::{serve_tcp, within};
use squall::{websocket_connect, ConnectOptions, Error};

/// A server that accepts TCP connections and never says anything.
async fn silent_server() -> std::net::SocketAddr {
    serve_tcp(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await
}

async fn assert_times_out(url: String) {
    let limit = Duration::from_millis(300);
    let started = Instant::now();
    let options = ConnectOptions::new().connect_timeout(limit);
    let err = within(websocket_connect(url, options)).await.unwrap_err();
    assert!(
        matches!(err, Error::ConnectTimeout(d) if d == limit),
        "{err:?}"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= limit && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn server_that_never_answers_the_upgrade() {
    let addr = silent_server().await;
    assert_times_out(format!("ws://{addr}/")).await;
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn server_that_never_answers_the_tls_handshake() {
    let addr = silent_server().await;
    assert_times_out(format!("wss://{addr}/")).await;
}

#[tokio::test]
async fn a_generous_timeout_does_not_fire() {
    let addr = common::client::tungstenite_echo_server().await;
    let options = ConnectOptions::new().connect_timeout(Duration::from_secs(5));
    let mut conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    within(conn.write_message("still here")).await.unwrap();
    assert_eq!(
        within(conn.read_message()).await.unwrap().as_text(),
        Some("still here")
    );
}
