//! What the server answers before the upgrade: statuses, origins, subprotocols; over
//! HTTP/1.1, h2c and HTTP/2 over TLS (`common::peer`), and what each HTTP version has
//! of its own.
#![allow(clippy::unwrap_used)]

mod common;

use common::peer::{http2_tests, transport_tests, Client, Transport};
use common::{raw_request, recorder_server, recorder_server_on, Recorded, Seen};
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use squall::Settings;
use tokio_tungstenite::tungstenite::Message as TMessage;

transport_tests!(
    unknown_path_is_404,
    bad_version_is_426_with_the_supported_version,
    oversized_head_is_431,
    cross_origin_is_403_and_same_origin_or_none_is_accepted,
    subprotocol_is_selected_from_the_offer,
    select_subprotocol_is_called_with_an_empty_list_when_none_offered,
);

http2_tests!(
    a_get_of_a_websocket_route_is_405,
    a_plain_connect_is_405_never_a_tunnel,
    another_protocol_is_400,
);

async fn server(transport: Transport) -> (Recorded, Client) {
    let server = recorder_server_on(transport, r"/ws", None, Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    (server, client)
}

async fn unknown_path_is_404(transport: Transport) {
    let (_server, client) = server(transport).await;
    let status = client.status_of(client.request("/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{transport}");
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

async fn bad_version_is_426_with_the_supported_version(transport: Transport) {
    let (_server, client) = server(transport).await;
    let mut request = client.request("/ws");
    request
        .headers_mut()
        .insert("sec-websocket-version", "8".parse().unwrap());
    let response = client.connect_with(request).await.err().unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UPGRADE_REQUIRED,
        "{transport}"
    );
    assert_eq!(response.headers()["sec-websocket-version"], "13");
}

async fn oversized_head_is_431(transport: Transport) {
    let (_server, client) = server(transport).await;
    let mut request = client.request("/ws");
    request
        .headers_mut()
        .insert("x-big", "a".repeat(20_000).parse().unwrap());
    let status = client.status_of(request).await;
    assert_eq!(
        status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{transport}"
    );
}

async fn cross_origin_is_403_and_same_origin_or_none_is_accepted(transport: Transport) {
    let (_server, client) = server(transport).await;
    let with_origin = |origin: &str| {
        let mut request = client.request("/ws");
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        request
    };
    let (mut ws, _) = client
        .connect_with(with_origin(&client.same_origin()))
        .await
        .unwrap();
    let other_port = format!("http://127.0.0.1:{}", client.addr.port() + 1);
    for origin in ["http://evil.example", &other_port] {
        assert_eq!(
            client.status_of(with_origin(origin)).await,
            StatusCode::FORBIDDEN,
            "{transport}: {origin}"
        );
    }
    assert!(client.connect_with(client.request("/ws")).await.is_ok());
    // Over HTTP/2 the refusals were streams of the accepted WebSocket's connection.
    ws.send(TMessage::text("unaffected")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        TMessage::text("unaffected")
    );
}

async fn subprotocol_is_selected_from_the_offer(transport: Transport) {
    let mut server =
        recorder_server_on(transport, r"/ws", Some("chat.v2"), Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    let mut request = client.request("/ws");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "chat.v1, chat.v2".parse().unwrap(),
    );
    let (_client, response) = client.connect_with(request).await.unwrap();
    assert_eq!(response.status(), transport.accepted());
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v2");
    assert_eq!(
        server.told.recv().await,
        Some(Seen::Subprotocols(vec!["chat.v1".into(), "chat.v2".into()]))
    );
    let (_, ws) = server.next().await;
    assert_eq!(ws.selected_subprotocol(), Some("chat.v2"));
}

async fn select_subprotocol_is_called_with_an_empty_list_when_none_offered(transport: Transport) {
    let mut server =
        recorder_server_on(transport, r"/ws", Some("chat.v2"), Settings::default()).await;
    let client = Client::new(transport, &server.server).await;
    let (_client, response) = client.connect_with(client.request("/ws")).await.unwrap();
    assert!(response.headers().get("sec-websocket-protocol").is_none());
    assert_eq!(server.told.recv().await, Some(Seen::Subprotocols(vec![])));
}

/// Sends `request` on `client`'s HTTP/2 connection; the answer's head.
async fn h2_answer(client: &Client, request: http::Request<()>) -> http::response::Parts {
    let h2 = client.h2.as_ref().unwrap();
    h2.request(request).await.unwrap().0
}

/// The HTTP/2 form of a plain request to a WebSocket route: a GET, where only an extended
/// CONNECT is allowed.
async fn a_get_of_a_websocket_route_is_405(transport: Transport) {
    let (_server, client) = server(transport).await;
    let h2 = client.h2.as_ref().unwrap();
    let get = http::Request::get(format!("{}://{}/ws", h2.scheme, h2.authority))
        .body(())
        .unwrap();
    let parts = h2_answer(&client, get).await;
    assert_eq!(parts.status, StatusCode::METHOD_NOT_ALLOWED, "{transport}");
    assert_eq!(parts.headers["allow"], "CONNECT");
    assert!(client.can_open("/ws").await, "the connection still serves");
}

/// A CONNECT without `:protocol` asks for a tunnel to `:authority` (RFC 9113 §8.5).
async fn a_plain_connect_is_405_never_a_tunnel(transport: Transport) {
    let (_server, client) = server(transport).await;
    let h2 = client.h2.as_ref().unwrap();
    let tunnel = http::Request::connect(h2.authority.clone())
        .body(())
        .unwrap();
    let parts = h2_answer(&client, tunnel).await;
    assert_eq!(parts.status, StatusCode::METHOD_NOT_ALLOWED, "{transport}");
    assert!(client.can_open("/ws").await, "the connection still serves");
}

async fn another_protocol_is_400(transport: Transport) {
    let (_server, client) = server(transport).await;
    let h2 = client.h2.as_ref().unwrap();
    let mut request = h2.connect_request("/ws", &[]);
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from("webtransport"));
    let parts = h2_answer(&client, request).await;
    assert_eq!(parts.status, StatusCode::BAD_REQUEST, "{transport}");
    assert!(client.can_open("/ws").await, "the connection still serves");
}
