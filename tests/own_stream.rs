//! Serving and connecting over streams the application opened itself
//! (`Application::accept`, `websocket_connect_on`), against tokio-tungstenite on the other
//! end of the stream.

#![cfg(all(feature = "server", feature = "client"))]

mod common;

use std::time::Duration;

use common::client::within;
use futures_util::{SinkExt, StreamExt};
use squall::{
    websocket_connect_on, Application, ConnectOptions, Error, Message, PathArgs, WebSocket,
    WebSocketHandler,
};
use tokio_tungstenite::tungstenite::Message as TMessage;

struct Greeter;

impl WebSocketHandler for Greeter {
    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        let peer = ws.request().peer_addr().map(|addr| addr.to_string());
        let greeting = format!("hello {} from {peer:?}", args.get(0).unwrap_or("?"));
        let _ = ws.write_message(greeting).await;
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

#[tokio::test]
async fn an_application_serves_a_unix_socket_it_did_not_accept_itself() {
    let dir = tempdir();
    let path = dir.join("ws.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let app = std::sync::Arc::new(Application::new().route(r"/rooms/(\w+)", || Greeter));
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        app.accept(stream, None).await;
    });
    let stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    let (mut ws, response) = within(tokio_tungstenite::client_async(
        "ws://localhost/rooms/lobby",
        stream,
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), 101);
    let greeting = within(ws.next()).await.unwrap().unwrap();
    assert_eq!(greeting, TMessage::text("hello lobby from None"));
    ws.send(TMessage::text("ping over unix")).await.unwrap();
    assert_eq!(
        within(ws.next()).await.unwrap().unwrap(),
        TMessage::text("ping over unix")
    );
    ws.close(None).await.unwrap();
    // The connection's future ends once the close handshake is over.
    within(server).await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn accept_routes_and_refuses_like_a_listening_server() {
    let app = Application::new().route("/only", || Greeter);
    let (client, server) = tokio::io::duplex(64 * 1024);
    let serving = async move { app.accept(server, None).await };
    let connecting = tokio_tungstenite::client_async("ws://localhost/elsewhere", client);
    let (served, connected) = within(async { tokio::join!(serving, connecting) }).await;
    let () = served;
    match connected {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_runs_over_a_stream_it_was_given() {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let peer = tokio::spawn(async move {
        let mut ws = tokio_tungstenite::accept_hdr_async(server, check_request)
            .await
            .unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if message.is_close() {
                break;
            }
            ws.send(message).await.unwrap();
        }
    });
    let options = ConnectOptions::new()
        .header("x-token", "t1")
        .connect_timeout(Duration::from_secs(5));
    let mut conn = within(websocket_connect_on(
        client,
        "ws://example.com/echo",
        options,
    ))
    .await
    .unwrap();
    conn.write_message("over a pipe").await.unwrap();
    assert_eq!(
        within(conn.read_message()).await,
        Some(Message::from("over a pipe"))
    );
    within(conn.close(None, None)).await.unwrap();
    within(peer).await.unwrap();
}

#[tokio::test]
async fn options_that_open_connections_of_their_own_are_refused() {
    let (client, _server) = tokio::io::duplex(1024);
    let options = ConnectOptions::new().follow_redirects(2);
    let error = websocket_connect_on(client, "ws://example.com/", options)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Unsupported(what) if what.starts_with("follow_redirects")),
        "{error}"
    );
}

#[tokio::test]
async fn the_handshake_on_a_silent_stream_times_out() {
    let (client, _server) = tokio::io::duplex(1024);
    let options = ConnectOptions::new().connect_timeout(Duration::from_millis(200));
    let error = within(websocket_connect_on(client, "ws://example.com/", options))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ConnectTimeout(_)), "{error}");
}

/// The request `websocket_connect_on` sent: the URL's path and host, and the extra header.
#[allow(clippy::result_large_err)] // tungstenite's callback signature
fn check_request(
    request: &http::Request<()>,
    response: http::Response<()>,
) -> Result<http::Response<()>, http::Response<Option<String>>> {
    assert_eq!(request.uri().path(), "/echo");
    assert_eq!(request.headers()["host"], "example.com");
    assert_eq!(request.headers()["x-token"], "t1");
    Ok(response)
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("squall-own-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
