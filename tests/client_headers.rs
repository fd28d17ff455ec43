//! What the upgrade request carries: headers from the request and the options, subprotocols.

mod common;

use common::client::{answering_server, header, switching_protocols, within};
use common::{recorder_server, Seen};
use squall::{websocket_connect, ConnectOptions, Error, HandshakeError, Settings};
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::test]
async fn request_and_option_headers_reach_the_handler() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let mut request = http::Request::new(());
    *request.uri_mut() = format!("{}?token=abc", server.url("/ws")).parse().unwrap();
    request
        .headers_mut()
        .insert("cookie", "session=abc".parse().unwrap());
    request
        .headers_mut()
        .insert("x-replaced", "from-request".parse().unwrap());
    let options = ConnectOptions::new()
        .header("authorization", "Bearer t0k3n")
        .header("x-replaced", "from-options");
    let _conn = within(websocket_connect(request, options)).await.unwrap();
    let (Seen::Open(_), ws) = server.next().await else {
        panic!("expected open");
    };
    let headers = ws.request().headers();
    assert_eq!(headers["cookie"], "session=abc");
    assert_eq!(headers["authorization"], "Bearer t0k3n");
    assert_eq!(headers["x-replaced"], "from-options");
    assert_eq!(headers.get_all("x-replaced").iter().count(), 1);
    assert_eq!(ws.request().query(), Some("token=abc"));
}

#[tokio::test]
async fn host_header_has_the_port() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let addr = answering_server(
        move |head| {
            let _ = tx.send(head.to_owned());
            switching_protocols(head, "")
        },
        Duration::from_secs(5),
    )
    .await;
    let _conn = within(websocket_connect(
        format!("ws://{addr}/path?q=1"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    let head = within(rx.recv()).await.unwrap();
    assert!(head.starts_with("GET /path?q=1 HTTP/1.1\r\n"), "{head}");
    assert_eq!(header(&head, "host"), Some(addr.to_string().as_str()));
    assert_eq!(header(&head, "sec-websocket-version"), Some("13"));
}

#[tokio::test]
async fn subprotocol_selected_by_the_server() {
    let mut server = recorder_server(r"/ws", Some("v2"), Settings::default()).await;
    let options = ConnectOptions::new().subprotocol("v1").subprotocol("v2");
    let conn = within(websocket_connect(server.url("/ws"), options))
        .await
        .unwrap();
    assert_eq!(conn.selected_subprotocol(), Some("v2"));
    assert_eq!(conn.response_headers()["sec-websocket-protocol"], "v2");
    assert_eq!(conn.extensions(), None);
    let mut told = Vec::new();
    while let Ok(seen) = server.told.try_recv() {
        told.push(seen);
    }
    assert_eq!(told, [Seen::Subprotocols(vec!["v1".into(), "v2".into()])]);
}

#[tokio::test]
async fn no_subprotocol_when_the_server_picks_none() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let options = ConnectOptions::new().subprotocol("v1");
    let conn = within(websocket_connect(server.url("/ws"), options))
        .await
        .unwrap();
    assert_eq!(conn.selected_subprotocol(), None);
}

#[tokio::test]
async fn cross_origin_header_is_refused_by_squall_server() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let options = ConnectOptions::new().header("origin", "http://evil.example");
    let err = within(websocket_connect(server.url("/ws"), options))
        .await
        .unwrap_err();
    let Error::Handshake(err) = err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(*err, HandshakeError::UnexpectedStatus { status, .. } if status == 403),
        "{err:?}"
    );
}
