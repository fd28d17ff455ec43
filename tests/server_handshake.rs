//! What the server answers before the upgrade: statuses, origins, subprotocols.
#![allow(clippy::unwrap_used)]

mod common;

use common::{raw_request, recorder_server, upgrade_request, Seen};
use squall::Settings;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as TError;

async fn status_of(request: http::Request<()>) -> u16 {
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(TError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other}"),
    }
}

fn with_origin(url: &str, origin: &str) -> http::Request<()> {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    request
}

#[tokio::test]
async fn unknown_path_is_404() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let response = raw_request(server.server.local_addr(), &upgrade_request("/nope", "")).await;
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
}

#[tokio::test]
async fn plain_http_request_to_a_websocket_route_is_400() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let response = raw_request(
        server.server.local_addr(),
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
}

#[tokio::test]
async fn bad_version_is_426_with_the_supported_version() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let request = upgrade_request("/ws", "").replace("Version: 13", "Version: 8");
    let response = raw_request(server.server.local_addr(), &request).await;
    assert!(response.starts_with("HTTP/1.1 426"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{response}"
    );
}

#[tokio::test]
async fn oversized_head_is_431() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let big = format!("X-Big: {}\r\n", "a".repeat(20_000));
    let response = raw_request(server.server.local_addr(), &upgrade_request("/ws", &big)).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
}

#[tokio::test]
async fn cross_origin_is_403_and_same_origin_or_none_is_accepted() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let addr = server.server.local_addr();
    let url = format!("ws://{addr}/ws");
    assert_eq!(
        status_of(with_origin(&url, "http://evil.example")).await,
        403
    );
    assert_eq!(
        status_of(with_origin(
            &url,
            &format!("http://127.0.0.1:{}", addr.port() + 1)
        ))
        .await,
        403
    );
    assert_eq!(
        status_of(with_origin(&url, &format!("http://{addr}"))).await,
        101
    );
    assert_eq!(
        status_of(url.as_str().into_client_request().unwrap()).await,
        101
    );
}

#[tokio::test]
async fn subprotocol_is_selected_from_the_offer() {
    let mut server = recorder_server(r"/ws", Some("chat.v2"), Settings::default()).await;
    let mut request = server.url("/ws").into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "chat.v1, chat.v2".parse().unwrap(),
    );
    let (_client, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v2");
    assert_eq!(
        server.told.recv().await,
        Some(Seen::Subprotocols(vec!["chat.v1".into(), "chat.v2".into()]))
    );
    let (_, ws) = server.next().await;
    assert_eq!(ws.selected_subprotocol(), Some("chat.v2"));
}

#[tokio::test]
async fn select_subprotocol_is_called_with_an_empty_list_when_none_offered() {
    let mut server = recorder_server(r"/ws", Some("chat.v2"), Settings::default()).await;
    let (_client, response) = tokio_tungstenite::connect_async(server.url("/ws"))
        .await
        .unwrap();
    assert!(response.headers().get("sec-websocket-protocol").is_none());
    assert_eq!(server.told.recv().await, Some(Seen::Subprotocols(vec![])));
}
