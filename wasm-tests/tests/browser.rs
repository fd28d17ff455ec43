//! What only the browser backend does: refusing native-only options by name, the browser's
//! close-code rules, permessage-deflate negotiated by the browser, flow control from
//! `bufferedAmount`, and freeing the socket and its JS closures on drop.
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use std::time::Duration;

use squall::reconnect::{Backoff, Event, ReconnectingClient};
use squall::{
    websocket_connect, CloseCode, CompressionOptions, ConnectOptions, Error, IntoClientRequest,
    Message, Proxy, WebSocketClientConnection,
};
use squall_wasm_tests::{echo, refused, silent};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn connect(path: &str) -> WebSocketClientConnection {
    let url = format!("{}{path}", echo());
    websocket_connect(url.as_str(), ConnectOptions::new())
        .await
        .unwrap_or_else(|err| panic!("connecting to {url}: {err}"))
}

fn unsupported(result: Result<WebSocketClientConnection, Error>) -> String {
    match result {
        Err(Error::Unsupported(what)) => what.into_owned(),
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn native_only_options_are_refused_by_name() {
    let live = WebSocketClientConnection::live_sockets();
    let url = echo();
    let cases = [
        (
            ConnectOptions::new().header("authorization", "Bearer x"),
            "custom headers",
        ),
        (
            ConnectOptions::new().compression_options(CompressionOptions::new()),
            "compression_options",
        ),
        (
            ConnectOptions::new().ping_interval(Duration::from_secs(1)),
            "ping_interval",
        ),
        (
            ConnectOptions::new().ping_timeout(Duration::from_secs(1)),
            "ping_timeout",
        ),
        (ConnectOptions::new().on_ping(|_| {}), "on_ping"),
        (ConnectOptions::new().on_pong(|_| {}), "on_pong"),
        (
            ConnectOptions::new().proxy(Proxy::http("http://proxy.invalid:3128").unwrap()),
            "proxy",
        ),
        (
            ConnectOptions::new().follow_redirects(3),
            "follow_redirects",
        ),
        (
            ConnectOptions::new().http_version(squall::HttpVersion::Http2),
            "http_version",
        ),
        (
            ConnectOptions::new().http2_pool(squall::Http2Pool::new()),
            "http2_pool",
        ),
    ];
    for (options, name) in cases {
        let what = unsupported(websocket_connect(url.as_str(), options).await);
        assert!(what.starts_with(name), "{what:?} should name {name}");
    }
    // Several refused at once are all named, not only the first.
    let options = ConnectOptions::new()
        .ping_interval(Duration::from_secs(1))
        .follow_redirects(3);
    let what = unsupported(websocket_connect(url.as_str(), options).await);
    assert!(
        what.contains("ping_interval") && what.contains("follow_redirects"),
        "{what:?}"
    );
    // Headers carried by the request itself.
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", "a=1".parse().unwrap());
    let what = unsupported(websocket_connect(request, ConnectOptions::new()).await);
    assert!(what.starts_with("custom headers"), "{what:?}");
    // Following no redirects (the default, 0) is what browsers do: accepted.
    let conn = websocket_connect(url.as_str(), ConnectOptions::new().follow_redirects(0))
        .await
        .unwrap();
    drop(conn);
    // Refused before a socket was made.
    assert_eq!(WebSocketClientConnection::live_sockets(), live);
}

/// The reconnecting client refuses the same options by name, gives up at once (retrying
/// cannot help), and leaves no socket behind; dropping a connected client closes its socket.
#[wasm_bindgen_test]
async fn reconnecting_client_gives_up_on_unsupported_options_and_frees_sockets() {
    let live = WebSocketClientConnection::live_sockets();
    let mut client = ReconnectingClient::new(echo().as_str(), Backoff::new())
        .unwrap()
        .options(|| ConnectOptions::new().follow_redirects(1));
    match client.next_event().await {
        Some(Event::ConnectFailed {
            attempt: 1,
            error: Error::Unsupported(what),
        }) => assert!(what.starts_with("follow_redirects"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.next_event().await,
        Some(Event::GaveUp { attempts: 1 })
    ));
    assert!(client.next_event().await.is_none());

    let mut client = ReconnectingClient::new(echo().as_str(), Backoff::new()).unwrap();
    assert!(matches!(
        client.next_event().await,
        Some(Event::Connected { attempt: 1 })
    ));
    assert_eq!(WebSocketClientConnection::live_sockets(), live + 1);
    drop(client);
    assert_eq!(WebSocketClientConnection::live_sockets(), live);
}

#[wasm_bindgen_test]
async fn ping_and_set_nodelay_are_unsupported_and_headers_hidden() {
    let conn = connect("/unsupported").await;
    assert!(
        matches!(conn.ping("x").await, Err(Error::Unsupported(what)) if what.starts_with("ping"))
    );
    assert!(matches!(
        conn.set_nodelay(true).await,
        Err(Error::Unsupported(what)) if what.starts_with("set_nodelay")
    ));
    assert!(matches!(
        conn.write_message_uncompressed("x").await,
        Err(Error::Unsupported(what)) if what.starts_with("write_message_uncompressed")
    ));
    assert!(conn.response_headers().is_empty());
    // Still open and usable.
    conn.write_message("after").await.unwrap();
    conn.close(None, None).await.unwrap();
}

#[wasm_bindgen_test]
async fn only_1000_and_3000_to_4999_may_be_sent() {
    let conn = connect("/codes").await;
    for code in [1001u16, 1002, 1003, 1007, 1008, 1009, 1011, 1014] {
        match conn.close(CloseCode::from(code), "no").await {
            Err(error @ Error::InvalidCloseCode(refused)) => {
                assert_eq!(refused.as_u16(), code);
                // The message names the browser's rule, not RFC 6455's reserved codes.
                assert!(error.to_string().contains("from a browser"), "{error}");
            }
            other => panic!("close({code}): {other:?}"),
        }
    }
    assert!(!conn.is_closing());
    conn.close(CloseCode::from(3000), "registered range")
        .await
        .unwrap();
    assert_eq!(conn.close_code(), Some(CloseCode::from(3000)));
    assert_eq!(conn.close_reason().as_deref(), Some("registered range"));
}

#[wasm_bindgen_test]
async fn the_browser_negotiates_permessage_deflate() {
    let mut conn = connect("/deflate").await;
    let extensions = conn.extensions().unwrap_or_default().to_owned();
    assert!(extensions.contains("permessage-deflate"), "{extensions:?}");
    // Compressible data round-trips through the negotiated extension.
    let text = "squall ".repeat(10_000);
    conn.write_message(text.as_str()).await.unwrap();
    assert_eq!(conn.read_message().await, Some(Message::from(text)));
    conn.close(None, None).await.unwrap();
}

#[wasm_bindgen_test]
async fn invalid_urls_are_refused() {
    for url in [
        "http://127.0.0.1:1/",
        "ws://user:pw@127.0.0.1:1/",
        "not a url",
    ] {
        match websocket_connect(url, ConnectOptions::new()).await {
            Err(Error::InvalidUrl(_)) => {}
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn refused_handshake_says_why_the_status_is_missing() {
    match websocket_connect(refused().as_str(), ConnectOptions::new()).await {
        Err(Error::Io(err)) => {
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
            assert!(err.to_string().contains("HTTP status"), "{err}");
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

/// 32 MiB written as fast as `write_message` allows: each write waits while more than
/// 1 MiB is unsent, and everything comes back in order.
#[wasm_bindgen_test]
async fn writes_wait_for_the_browser_buffer_to_drain() {
    let (mut reader, writer) = connect("/flow").await.split();
    for i in 0..32u8 {
        writer.write_message(vec![i; 1 << 20]).await.unwrap();
    }
    for i in 0..32u8 {
        match reader.read_message().await {
            Some(Message::Binary(data)) => {
                assert_eq!(data.len(), 1 << 20);
                assert!(data.iter().all(|&b| b == i), "message {i} changed");
            }
            other => panic!("message {i}: {:?}", other.map(|m| m.len())),
        }
    }
    writer.close(None, None).await.unwrap();
}

/// Hundreds of connections, opened and dropped in turn (open, mid-connect, after a
/// timeout), leave no socket, handler or closure behind. Browsers also cap the sockets a
/// page may hold (measured: Chromium 156 refuses the 256th), which 300 connections would
/// exceed if a dropped one stayed open.
#[wasm_bindgen_test]
async fn dropped_connections_free_their_sockets_and_closures() {
    let live = WebSocketClientConnection::live_sockets();
    for i in 0..300 {
        let mut conn = connect("/churn").await;
        assert_eq!(WebSocketClientConnection::live_sockets(), live + 1);
        if i % 3 == 0 {
            conn.write_message("x").await.unwrap();
            assert_eq!(conn.read_message().await, Some(Message::from("x")));
        }
        drop(conn);
        assert_eq!(WebSocketClientConnection::live_sockets(), live);
    }
    // Dropped while connecting: the connect timeout drops the socket.
    for _ in 0..3 {
        let options = ConnectOptions::new().connect_timeout(Duration::from_millis(50));
        let result = websocket_connect(silent().as_str(), options).await;
        assert!(matches!(result, Err(Error::ConnectTimeout(_))));
        assert_eq!(WebSocketClientConnection::live_sockets(), live);
    }
    // Split halves keep it alive until the last one goes.
    let (reader, writer) = connect("/churn").await.split();
    drop(writer);
    assert_eq!(WebSocketClientConnection::live_sockets(), live + 1);
    drop(reader);
    assert_eq!(WebSocketClientConnection::live_sockets(), live);
}
