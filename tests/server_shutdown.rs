//! Graceful shutdown: 1001 to every connection, nothing acknowledged is lost; over
//! HTTP/1.1, h2c and HTTP/2 over TLS (`common::peer`, every WebSocket of a test a stream of
//! one HTTP/2 connection), and over HTTP/2 the GOAWAY after the 1001s.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::peer::{http2_tests, transport_tests, Client, Transport};
use common::raw_h2::{H2Frame, Tap, Windows};
use futures_util::StreamExt;
use squall::{Application, CloseCode, Message, PathArgs, WebSocket, WebSocketHandler};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as TMessage;

transport_tests!(
    shutdown_sends_1001_and_every_acknowledged_message_arrives,
    shutdown_gives_up_after_the_grace_period,
    no_connections_are_accepted_after_shutdown,
    shutdown_on_serves_until_the_signal_then_closes_with_1001,
);

http2_tests!(shutdown_sends_1001_on_every_stream_and_then_goaway);

/// Streams numbered messages to the client until the connection closes, reporting each
/// one whose `write_message` future resolved, with the client's number (the path's).
struct Streamer {
    written: mpsc::UnboundedSender<(u64, u64)>,
}

impl WebSocketHandler for Streamer {
    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        let ws = ws.clone();
        let written = self.written.clone();
        let client: u64 = args.get(0).unwrap().parse().unwrap();
        tokio::spawn(async move {
            for n in 0u64.. {
                if ws.write_message(n.to_string()).await.is_err() {
                    break;
                }
                let _ = written.send((client, n));
            }
        });
    }

    async fn on_message(&mut self, _ws: &WebSocket, _message: Message) {}
}

async fn streamer_server(
    transport: Transport,
) -> (squall::Server, mpsc::UnboundedReceiver<(u64, u64)>) {
    let (written_tx, written) = mpsc::unbounded_channel();
    let app = Application::new().route(r"/stream/(\d+)", move || Streamer {
        written: written_tx.clone(),
    });
    (transport.listen(app).await, written)
}

async fn shutdown_sends_1001_and_every_acknowledged_message_arrives(transport: Transport) {
    let (server, mut written) = streamer_server(transport).await;
    let client = Client::new(transport, &server).await;
    let mut readers = Vec::new();
    for id in 0..20u64 {
        let mut ws = client.connect(&format!("/stream/{id}")).await;
        readers.push(tokio::spawn(async move {
            let mut received = Vec::new();
            let mut close = None;
            while let Some(Ok(message)) = ws.next().await {
                match message {
                    TMessage::Text(text) => received.push(text.parse::<u64>().unwrap()),
                    TMessage::Close(frame) => close = frame.map(|f| u16::from(f.code)),
                    _ => {}
                }
            }
            (id, received, close)
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(
        Duration::from_secs(10),
        server.shutdown(Duration::from_secs(5)),
    )
    .await
    .expect("shutdown finishes within its grace period");
    assert!(started.elapsed() < Duration::from_secs(6));
    let mut acknowledged: HashMap<u64, u64> = HashMap::new();
    while let Ok((id, n)) = written.try_recv() {
        let highest = acknowledged.entry(id).or_default();
        *highest = (*highest).max(n);
    }
    let mut total = 0;
    for reader in readers {
        let (id, received, close) = tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(close, Some(1001), "{transport}: every client got 1001");
        // Each client's stream is in order and has no gaps.
        for (i, n) in received.iter().enumerate() {
            assert_eq!(*n, i as u64, "{transport}");
        }
        // Every message whose write_message future resolved reached this client.
        if let Some(highest) = acknowledged.get(&id) {
            assert!(
                received.len() as u64 > *highest,
                "{transport}: acknowledged {highest}, received {}",
                received.len()
            );
        }
        total += received.len();
    }
    assert!(total > 0);
    assert_eq!(
        acknowledged.len(),
        20,
        "{transport}: every connection acknowledged writes"
    );
}

async fn shutdown_gives_up_after_the_grace_period(transport: Transport) {
    let (server, _written) = streamer_server(transport).await;
    // A client that never reads and never answers the close: the server must not wait forever.
    let client = Client::new(transport, &server).await;
    let _silent = client.connect("/stream/0").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(
        Duration::from_secs(5),
        server.shutdown(Duration::from_millis(500)),
    )
    .await
    .expect("shutdown ends after the grace period");
    assert!(started.elapsed() >= Duration::from_millis(400));
}

async fn no_connections_are_accepted_after_shutdown(transport: Transport) {
    let (server, _written) = streamer_server(transport).await;
    // Over HTTP/2, a connection made before: it takes no new stream after.
    let client = Client::new(transport, &server).await;
    assert!(client.can_open("/stream/0").await);
    server.shutdown(Duration::from_secs(1)).await;
    assert!(!client.can_open("/stream/1").await, "{transport}");
    assert!(
        tokio::net::TcpStream::connect(client.addr).await.is_err(),
        "no longer listening"
    );
}

/// Echoes, and reports each `on_close` with its code.
struct Echo {
    closed: mpsc::UnboundedSender<Option<CloseCode>>,
}

impl WebSocketHandler for Echo {
    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }

    async fn on_close(&mut self, ws: &WebSocket) {
        let _ = self.closed.send(ws.close_code());
    }
}

fn echo_app() -> (Application, mpsc::UnboundedReceiver<Option<CloseCode>>) {
    let (closed, codes) = mpsc::unbounded_channel();
    let app = Application::new().route("/echo", move || Echo {
        closed: closed.clone(),
    });
    (app, codes)
}

async fn shutdown_on_serves_until_the_signal_then_closes_with_1001(transport: Transport) {
    let (app, _codes) = echo_app();
    let server = transport.listen(app).await;
    let client = Client::new(transport, &server).await;
    let (signal, stop) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.shutdown_on(
        async {
            let _ = stop.await;
        },
        Duration::from_secs(2),
    ));
    let mut ws = client.connect("/echo").await;
    futures_util::SinkExt::send(&mut ws, TMessage::text("before"))
        .await
        .unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert_eq!(echo.unwrap().unwrap(), TMessage::text("before"));
    assert!(!serving.is_finished(), "serves until the signal");
    signal.send(()).unwrap();
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = ws.next().await {
            if let TMessage::Close(frame) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .unwrap();
    assert_eq!(close, Some(1001), "{transport}");
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("shutdown_on returns after the shutdown")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(client.addr).await.is_err(),
        "no longer listening"
    );
}

/// The position in `frames` of the DATA frame on `stream` that carries a close frame with
/// 1001 (server frames are not masked).
fn close_1001_at(frames: &[H2Frame], stream: u32) -> Option<usize> {
    frames.iter().position(|frame| {
        frame.kind == H2Frame::DATA
            && frame.stream == stream
            && frame
                .payload
                .windows(4)
                .any(|w| w == [0x88, w[1], 0x03, 0xe9] && w[1] >= 2)
    })
}

/// Every WebSocket gets its 1001, and only then the connection its GOAWAY: read in the
/// order of the server's frames on the wire (inside TLS for HTTP/2 over TLS). The streams
/// then end as the close handshake says and the shutdown ends within its grace.
async fn shutdown_sends_1001_on_every_stream_and_then_goaway(transport: Transport) {
    let (app, mut codes) = echo_app();
    let server = transport.listen(app).await;
    let tap = Tap::default();
    let h2 = transport
        .h2(server.local_addr(), Some(tap.clone()), Windows::SMALL)
        .await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut ws = h2.open("/echo").await;
        ws.send_text("open");
        assert_eq!(ws.next().await.payload, b"open");
        streams.push(ws);
    }
    let ids: Vec<u32> = streams
        .iter()
        .map(|ws| ws.send.stream_id().as_u32())
        .collect();
    let stopping = tokio::spawn(server.shutdown(Duration::from_secs(10)));
    for ws in &mut streams {
        let frame = ws.next().await;
        assert_eq!(frame.opcode, 0x8);
        assert_eq!(frame.payload[..2], 1001u16.to_be_bytes());
    }
    let goaway = |frames: &[H2Frame]| frames.iter().position(|f| f.kind == H2Frame::GOAWAY);
    let mut frames = tap.frames();
    for _ in 0..200 {
        if goaway(&frames).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        frames = tap.frames();
    }
    let goaway = goaway(&frames).expect("GOAWAY within 2 s");
    // No new stream can open.
    let request = h2.connect_request("/echo", &[]);
    let refused = h2.send.clone().send_request(request, false).err();
    assert!(refused.expect("a new stream refused").is_go_away());
    for id in &ids {
        let close = close_1001_at(&frames, *id)
            .unwrap_or_else(|| panic!("{transport}: no 1001 on stream {id}"));
        assert!(
            close < goaway,
            "{transport}: stream {id}'s 1001 is frame {close}, after the GOAWAY (frame {goaway})"
        );
    }
    for ws in &mut streams {
        ws.send_close(1001);
        ws.expect_end().await;
    }
    for _ in &ids {
        let code = tokio::time::timeout(Duration::from_secs(10), codes.recv())
            .await
            .expect("on_close within 10 s");
        assert_eq!(code, Some(Some(CloseCode::GOING_AWAY)), "{transport}");
    }
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("shutdown within its grace")
        .unwrap();
}
