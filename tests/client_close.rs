//! The close handshake from the client: code and reason both ways, drop, timeout.

mod common;

use std::time::{Duration, Instant};

use common::client::{answering_server, serve_tcp, switching_protocols, within};
use common::{recorder_server, Seen};
use futures_util::{SinkExt, StreamExt};
use squall::{websocket_connect, CloseCode, ConnectOptions, Error, Settings};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as TFrame;

/// The next thing a handler saw other than pings and pongs.
async fn next_seen(server: &mut common::Recorded) -> Seen {
    loop {
        match server.next().await.0 {
            Seen::Ping(_) | Seen::Pong(_) => {}
            seen => return seen,
        }
    }
}

#[tokio::test]
async fn client_close_code_and_reason_reach_the_server() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let mut conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    assert!(matches!(next_seen(&mut server).await, Seen::Open(_)));
    within(conn.close(CloseCode::from(4000), "bye now"))
        .await
        .unwrap();
    assert_eq!(
        next_seen(&mut server).await,
        Seen::Close(Some(4000), Some("bye now".into()))
    );
    assert_eq!(conn.close_code(), Some(CloseCode::from(4000)));
    assert_eq!(conn.close_reason().as_deref(), Some("bye now"));
    let closed = conn.closed().unwrap();
    assert!(closed.clean && !closed.by_peer);
    assert!(conn.is_closing());
    assert_eq!(within(conn.read_message()).await, None);
    assert!(matches!(
        within(conn.write_message("late")).await,
        Err(Error::Closed(_))
    ));
    assert!(matches!(
        within(conn.close(None, None)).await,
        Err(Error::Closed(_))
    ));
}

#[tokio::test]
async fn reason_alone_is_sent_with_1000_and_nothing_gives_1005() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    let _ = next_seen(&mut server).await;
    within(conn.close(None, "just a reason")).await.unwrap();
    assert_eq!(
        next_seen(&mut server).await,
        Seen::Close(Some(1000), Some("just a reason".into()))
    );

    let conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    let _ = next_seen(&mut server).await;
    within(conn.close(None, None)).await.unwrap();
    assert_eq!(
        next_seen(&mut server).await,
        Seen::Close(Some(1005), Some(String::new()))
    );
}

#[tokio::test]
async fn invalid_close_arguments_are_refused_locally() {
    let server = recorder_server(r"/ws", None, Settings::default()).await;
    let conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    let err = within(conn.close(CloseCode::ABNORMAL, None))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidCloseCode(_)), "{err:?}");
    let long = "x".repeat(124);
    let err = within(conn.close(CloseCode::NORMAL, long.as_str()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CloseReasonTooLong(124)), "{err:?}");
    assert_eq!(conn.closed(), None);
}

#[tokio::test]
async fn squall_server_close_reaches_the_client() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let mut conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    let (Seen::Open(_), ws) = server.next().await else {
        panic!("expected open")
    };
    within(ws.close(CloseCode::from(4002), "done"))
        .await
        .unwrap();
    assert_eq!(within(conn.read_message()).await, None);
    assert_eq!(conn.close_code(), Some(CloseCode::from(4002)));
    assert_eq!(conn.close_reason().as_deref(), Some("done"));
    let closed = conn.closed().unwrap();
    assert!(closed.by_peer && closed.clean);
}

#[tokio::test]
async fn tungstenite_server_close_reaches_the_client() {
    let addr = serve_tcp(|stream| async move {
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        // Close after the first message.
        let _ = ws.next().await;
        let frame = TFrame {
            code: TCode::from(4001),
            reason: "server bye".into(),
        };
        let _ = ws.close(Some(frame)).await;
        while ws.next().await.is_some() {}
    })
    .await;
    let mut conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    within(conn.write_message("hi")).await.unwrap();
    assert_eq!(within(conn.read_message()).await, None);
    assert_eq!(conn.close_code(), Some(CloseCode::from(4001)));
    assert_eq!(conn.close_reason().as_deref(), Some("server bye"));
    assert!(conn.closed().unwrap().clean);
}

#[tokio::test]
async fn dropping_the_connection_closes_with_1000() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    let _ = next_seen(&mut server).await;
    drop(conn);
    assert_eq!(
        next_seen(&mut server).await,
        Seen::Close(Some(1000), Some(String::new()))
    );
}

#[tokio::test]
async fn closing_the_sink_closes_with_1000() {
    let mut server = recorder_server(r"/ws", None, Settings::default()).await;
    let mut conn = within(websocket_connect(server.url("/ws"), ConnectOptions::new()))
        .await
        .unwrap();
    let _ = next_seen(&mut server).await;
    within(conn.send("last".into())).await.unwrap();
    within(SinkExt::close(&mut conn)).await.unwrap();
    assert_eq!(next_seen(&mut server).await, Seen::Message("last".into()));
    assert_eq!(
        next_seen(&mut server).await,
        Seen::Close(Some(1000), Some(String::new()))
    );
    assert_eq!(conn.close_code(), Some(CloseCode::NORMAL));
}

#[tokio::test]
async fn close_timeout_bounds_a_server_that_never_answers() {
    let addr = answering_server(
        |head| switching_protocols(head, ""),
        Duration::from_secs(30),
    )
    .await;
    let options = ConnectOptions::new().close_timeout(Duration::from_millis(200));
    let conn = within(websocket_connect(format!("ws://{addr}/"), options))
        .await
        .unwrap();
    let started = Instant::now();
    within(conn.close(CloseCode::NORMAL, "bye")).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    let closed = conn.closed().unwrap();
    assert_eq!(closed.code, CloseCode::NORMAL);
    assert!(!closed.clean && !closed.by_peer);
}

#[tokio::test]
async fn server_dropping_tcp_is_abnormal() {
    let addr = answering_server(|head| switching_protocols(head, ""), Duration::ZERO).await;
    let mut conn = within(websocket_connect(
        format!("ws://{addr}/"),
        ConnectOptions::new(),
    ))
    .await
    .unwrap();
    assert_eq!(within(conn.read_message()).await, None);
    assert_eq!(conn.close_code(), Some(CloseCode::ABNORMAL));
    assert!(conn.closed().unwrap().by_peer);
}
