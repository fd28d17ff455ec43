//! Each way the server's answer can fail the handshake gives its own error.

mod common;

use std::time::Duration;

use common::client::{answering_server, serve_tcp, switching_protocols, within};
use common::recorder_server;
use squall::{websocket_connect, ConnectOptions, Error, HandshakeError, Settings};
use tokio::io::AsyncWriteExt;

const LINGER: Duration = Duration::from_secs(5);

async fn handshake_error(url: String, options: ConnectOptions) -> HandshakeError {
    match within(websocket_connect(url, options)).await {
        Err(Error::Handshake(err)) => *err,
        other => panic!("expected a handshake error, got {other:?}"),
    }
}

async fn answered(answer: &'static str, linger: Duration) -> String {
    let addr = answering_server(move |_| answer.to_owned(), linger).await;
    format!("ws://{addr}/")
}

#[tokio::test]
async fn forbidden_with_a_body() {
    let url = answered(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nforbidden",
        LINGER,
    )
    .await;
    let err = handshake_error(url, ConnectOptions::new()).await;
    // The message a user sees carries the server's explanation, not only the status.
    assert_eq!(
        err.to_string(),
        "server answered with status 403 Forbidden instead of 101 Switching Protocols: \"forbidden\""
    );
    let HandshakeError::UnexpectedStatus {
        status,
        headers,
        body,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, 403);
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(body, "forbidden");
}

#[tokio::test]
async fn a_refused_connection_names_the_address() {
    // A port nothing listens on: bound, then closed.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let err = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap_err();
    let Error::Io(io) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        io.kind(),
        std::io::ErrorKind::ConnectionRefused,
        "the kind is kept"
    );
    assert!(
        err.to_string()
            .contains(&format!("cannot connect to {addr}")),
        "{err}"
    );
}

#[tokio::test]
async fn ok_with_a_chunked_body() {
    let url = answered(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        LINGER,
    )
    .await;
    let err = handshake_error(url, ConnectOptions::new()).await;
    assert!(
        matches!(&err, HandshakeError::UnexpectedStatus { status, body, .. } if *status == 200 && body == "hello world"),
        "{err:?}"
    );
}

#[tokio::test]
async fn ok_with_a_body_until_eof() {
    let url = answered("HTTP/1.0 200 OK\r\n\r\nplain page", Duration::ZERO).await;
    let err = handshake_error(url, ConnectOptions::new()).await;
    assert!(
        matches!(&err, HandshakeError::UnexpectedStatus { status, body, .. } if *status == 200 && body == "plain page"),
        "{err:?}"
    );
}

#[tokio::test]
async fn not_found_from_squall_server() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let err = handshake_error(server.url("/elsewhere"), ConnectOptions::new()).await;
    assert!(
        matches!(&err, HandshakeError::UnexpectedStatus { status, body, .. } if *status == 404 && body == "Not Found"),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_accept_key() {
    let addr = answering_server(
        |_| {
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
                .to_owned()
        },
        LINGER,
    )
    .await;
    let err = handshake_error(format!("ws://{addr}/"), ConnectOptions::new()).await;
    assert!(matches!(err, HandshakeError::InvalidAccept), "{err:?}");
}

#[tokio::test]
async fn missing_upgrade_header() {
    let addr = answering_server(
        |head| switching_protocols(head, "").replace("Upgrade: websocket\r\n", ""),
        LINGER,
    )
    .await;
    let err = handshake_error(format!("ws://{addr}/"), ConnectOptions::new()).await;
    assert!(matches!(err, HandshakeError::MissingUpgrade), "{err:?}");
}

#[tokio::test]
async fn subprotocol_that_was_not_offered() {
    let addr = answering_server(
        |head| switching_protocols(head, "Sec-WebSocket-Protocol: other\r\n"),
        LINGER,
    )
    .await;
    let options = ConnectOptions::new().subprotocol("chat");
    let err = handshake_error(format!("ws://{addr}/"), options).await;
    assert!(
        matches!(&err, HandshakeError::UnofferedSubprotocol(name) if name == "other"),
        "{err:?}"
    );
}

#[tokio::test]
async fn extension_that_was_not_offered() {
    let addr = answering_server(
        |head| switching_protocols(head, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
        LINGER,
    )
    .await;
    let err = handshake_error(format!("ws://{addr}/"), ConnectOptions::new()).await;
    assert!(
        matches!(&err, HandshakeError::UnofferedExtension(name) if name == "permessage-deflate"),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_closes_before_answering() {
    let addr = serve_tcp(|mut stream| async move {
        let _ = common::client::read_head(&mut stream).await;
        let _ = stream.write_all(b"HTTP/1.1 101 Swi").await;
    })
    .await;
    let err = handshake_error(format!("ws://{addr}/"), ConnectOptions::new()).await;
    assert!(matches!(err, HandshakeError::UnexpectedEof), "{err:?}");
}

#[tokio::test]
async fn garbage_answer_is_malformed() {
    let url = answered("SSH-2.0-OpenSSH\r\n\r\n", LINGER).await;
    let err = handshake_error(url, ConnectOptions::new()).await;
    assert!(matches!(err, HandshakeError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn invalid_urls() {
    for url in [
        "http://127.0.0.1:1/",
        "ws://user:secret@127.0.0.1:1/",
        "nonsense",
    ] {
        let err = within(websocket_connect(url, ConnectOptions::new()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidUrl(_)), "{url}: {err:?}");
    }
}

#[tokio::test]
async fn refused_connection_is_io() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}
