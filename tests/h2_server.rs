//! WebSockets over HTTP/2 (RFC 8441) on squall's server, driven by a raw HTTP/2 client
//! (the `h2` crate) whose WebSocket frames are written by hand: h2c and TLS, echo,
//! multiplexing, malformed requests, resets, flow control, the limits on streams.
//!
//! What HTTP/2 shares with HTTP/1.1 is tested once for both, by the server suites
//! (`server_*.rs`, over HTTP/1.1, h2c and HTTP/2 over TLS): refusals and origins in
//! `server_handshake.rs`, graceful shutdown and its GOAWAY in `server_shutdown.rs`.
#![cfg(feature = "http2")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::raw_h2::{Ws, H2};
use squall::{Application, CloseCode, Message, PathArgs, Server, WebSocket, WebSocketHandler};
use tokio::sync::mpsc;

/// Echoes every message; says which HTTP version and subprotocol it got on open, and
/// reports its close code.
struct Echo {
    closed: mpsc::UnboundedSender<(String, Option<CloseCode>)>,
}

impl WebSocketHandler for Echo {
    async fn open(&mut self, ws: &WebSocket, args: PathArgs) {
        let hello = format!(
            "{:?} {} {} {}",
            ws.request().version(),
            ws.request().method(),
            args.get(0).unwrap_or("-"),
            ws.selected_subprotocol().unwrap_or("-"),
        );
        let _ = ws.write_message(hello).await;
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }

    fn select_subprotocol(&mut self, subprotocols: &[String]) -> Option<String> {
        subprotocols.iter().find(|p| *p == "chat").cloned()
    }

    fn on_close(&mut self, ws: &WebSocket) -> impl std::future::Future<Output = ()> + Send {
        let _ = self
            .closed
            .send((ws.request().path().to_owned(), ws.close_code()));
        async {}
    }
}

type Closed = mpsc::UnboundedReceiver<(String, Option<CloseCode>)>;

fn app() -> (Application, Closed) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Application::new().route(r"/echo/?(\w*)", move || Echo { closed: tx.clone() });
    (app, rx)
}

async fn h2c_server() -> (Server, Closed) {
    h2c_server_with(squall::Settings::default()).await
}

async fn h2c_server_with(settings: squall::Settings) -> (Server, Closed) {
    let (app, closed) = app();
    let server = app
        .settings(settings)
        .h2c(true)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    (server, closed)
}

async fn hello(ws: &mut Ws) -> String {
    let frame = ws.next().await;
    assert_eq!(frame.opcode, 0x1);
    String::from_utf8(frame.payload).unwrap()
}

async fn assert_echoes(ws: &mut Ws, text: &str) {
    ws.send_text(text);
    let frame = ws.next().await;
    assert_eq!(
        (frame.opcode, frame.payload.as_slice()),
        (0x1, text.as_bytes())
    );
}

async fn closed_within(closed: &mut Closed) -> (String, Option<CloseCode>) {
    tokio::time::timeout(Duration::from_secs(10), closed.recv())
        .await
        .expect("on_close within 10 s")
        .unwrap()
}

#[tokio::test]
async fn echo_text_and_binary_over_h2c() {
    let (server, mut closed) = h2c_server().await;
    let h2 = H2::h2c(server.local_addr()).await;
    assert!(h2.send.is_extended_connect_protocol_enabled());
    let mut ws = h2
        .open_with("/echo/room", &[("sec-websocket-protocol", "x, chat")])
        .await
        .unwrap();
    assert_eq!(ws.headers["sec-websocket-protocol"], "chat");
    assert!(!ws.headers.contains_key("sec-websocket-accept"));
    assert_eq!(hello(&mut ws).await, "HTTP/2.0 CONNECT room chat");
    assert_echoes(&mut ws, "hello over h2").await;
    let binary: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    ws.send_frame(0x2, &binary);
    let frame = ws.next().await;
    assert_eq!((frame.opcode, frame.payload), (0x2, binary));
    ws.close(1000).await;
    assert_eq!(
        closed_within(&mut closed).await,
        ("/echo/room".to_owned(), Some(CloseCode::NORMAL))
    );
}

#[tokio::test]
async fn http1_still_served_beside_h2c() {
    let (server, _closed) = h2c_server().await;
    let url = format!("ws://{}/echo/one", server.local_addr());
    let (mut client, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as T;
    let hello = client.next().await.unwrap().unwrap();
    assert_eq!(hello, T::text("HTTP/1.1 GET one -"));
    client.send(T::text("plain")).await.unwrap();
    assert_eq!(client.next().await.unwrap().unwrap(), T::text("plain"));
    client.close(None).await.unwrap();
}

#[tokio::test]
async fn two_websockets_on_one_connection_close_independently() {
    let (server, mut closed) = h2c_server().await;
    let h2 = H2::h2c(server.local_addr()).await;
    let mut a = h2.open("/echo/a").await;
    let mut b = h2.open("/echo/b").await;
    assert_eq!(hello(&mut a).await, "HTTP/2.0 CONNECT a -");
    assert_eq!(hello(&mut b).await, "HTTP/2.0 CONNECT b -");
    assert_echoes(&mut a, "to a").await;
    assert_echoes(&mut b, "to b").await;
    a.close(1000).await;
    assert_eq!(closed_within(&mut closed).await.0, "/echo/a");
    // b and the connection go on; a third WebSocket opens beside b.
    assert_echoes(&mut b, "b still here").await;
    let mut c = h2.open("/echo/c").await;
    hello(&mut c).await;
    assert_echoes(&mut c, "to c").await;
    b.close(4000).await;
    c.close(1000).await;
    let mut codes = vec![
        closed_within(&mut closed).await,
        closed_within(&mut closed).await,
    ];
    codes.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        codes,
        [
            ("/echo/b".to_owned(), Some(CloseCode::from(4000))),
            ("/echo/c".to_owned(), Some(CloseCode::NORMAL)),
        ]
    );
    assert!(
        !h2.task.is_finished(),
        "the connection outlives its WebSockets"
    );
}

#[tokio::test]
async fn a_reset_stream_is_1006_and_the_others_go_on() {
    let (server, mut closed) = h2c_server().await;
    let h2 = H2::h2c(server.local_addr()).await;
    let mut a = h2.open("/echo/a").await;
    let mut b = h2.open("/echo/b").await;
    hello(&mut a).await;
    hello(&mut b).await;
    a.send.send_reset(h2::Reason::CANCEL);
    assert_eq!(
        closed_within(&mut closed).await,
        ("/echo/a".to_owned(), Some(CloseCode::ABNORMAL))
    );
    assert_echoes(&mut b, "b is unaffected").await;
    b.close(1000).await;
}

#[tokio::test]
async fn a_plain_connect_with_a_path_is_a_protocol_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server, _closed) = h2c_server().await;
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    // HPACK literals without indexing, indexed names: :authority (1), :method (2), :path (4).
    let mut block = vec![0x02, 7];
    block.extend_from_slice(b"CONNECT");
    block.extend_from_slice(&[0x04, 5]);
    block.extend_from_slice(b"/echo");
    block.extend_from_slice(&[0x01, 9]);
    block.extend_from_slice(b"127.0.0.1");
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]); // SETTINGS
    out.extend_from_slice(&[0, 0, block.len() as u8, 1, 4, 0, 0, 0, 1]); // HEADERS, END_HEADERS
    out.extend_from_slice(&block);
    tcp.write_all(&out).await.unwrap();
    let rst = tokio::time::timeout(Duration::from_secs(10), async {
        for _ in 0..20 {
            let mut head = [0u8; 9];
            tcp.read_exact(&mut head).await.unwrap();
            let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
            let mut payload = vec![0; len];
            tcp.read_exact(&mut payload).await.unwrap();
            let stream = u32::from_be_bytes(head[5..9].try_into().unwrap());
            assert_ne!(head[3], 1, "a response was sent");
            if head[3] == 3 && stream == 1 {
                return u32::from_be_bytes(payload[..4].try_into().unwrap());
            }
        }
        panic!("no RST_STREAM in 20 frames");
    })
    .await
    .unwrap();
    assert_eq!(rst, 1, "RST_STREAM(PROTOCOL_ERROR)");
}

/// Writes `count` messages of 64 KiB on "flood", reporting how many `write_message`
/// futures resolved.
struct Flood {
    written: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl WebSocketHandler for Flood {
    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let Ok(count) = message.as_text().unwrap().parse::<usize>() else {
            let _ = ws.write_message(message).await;
            return;
        };
        let ws = ws.clone();
        let written = std::sync::Arc::clone(&self.written);
        tokio::spawn(async move {
            for i in 0..count {
                let payload = vec![(i % 256) as u8; 64 * 1024];
                if ws.write_message(payload).await.is_err() {
                    return;
                }
                written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
    }
}

#[tokio::test]
async fn flow_control_holds_the_writer_of_a_reader_that_stops() {
    use std::sync::atomic::Ordering;
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = 200; // 12.5 MiB
    let server = {
        let written = std::sync::Arc::clone(&written);
        Application::new()
            .route("/flood", move || Flood {
                written: std::sync::Arc::clone(&written),
            })
            .h2c(true)
            .listen("127.0.0.1:0")
            .await
            .unwrap()
    };
    let h2 = H2::h2c(server.local_addr()).await;
    let mut ws = h2.open("/flood").await;
    let mut other = h2.open("/flood").await;
    ws.send_text(&count.to_string());
    // Not reading: the windows fill, then the server's buffers, then the writer waits.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stalled = written.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        written.load(Ordering::SeqCst),
        stalled,
        "the writer still runs"
    );
    // 64 KiB windows, 256 KiB of h2 buffer and the 1 MiB write buffer: about 21.
    assert!(stalled < 40, "{stalled} messages of 64 KiB were accepted");
    // Another WebSocket on the same connection is not held by it.
    assert_echoes(&mut other, "not held").await;
    let started = std::time::Instant::now();
    for i in 0..count {
        let frame = ws.next().await;
        assert_eq!(frame.opcode, 0x2);
        assert_eq!(frame.payload.len(), 64 * 1024);
        assert!(frame.payload.iter().all(|&b| b == (i % 256) as u8));
    }
    eprintln!("read in {:?}", started.elapsed());
    assert_eq!(written.load(Ordering::SeqCst), count);
    ws.close(1000).await;
    other.close(1000).await;
}

#[tokio::test]
async fn tls_serves_http2_and_http1_on_one_port_by_alpn() {
    let certs = common::client::test_certs();
    let config =
        squall::tls::server_config_from_pem(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .unwrap();
    let (app, mut closed) = app();
    let server = app.tls(config).listen("127.0.0.1:0").await.unwrap();
    let h2 = H2::tls(server.local_addr(), &certs.root_pem).await;
    let mut ws = h2.open("/echo/tls").await;
    assert_eq!(hello(&mut ws).await, "HTTP/2.0 CONNECT tls -");
    assert_echoes(&mut ws, "over TLS and HTTP/2").await;
    ws.close(1000).await;
    assert_eq!(closed_within(&mut closed).await.1, Some(CloseCode::NORMAL));
    // A client without ALPN h2 (squall's own) gets HTTP/1.1 on the same port.
    let options = squall::ConnectOptions::new()
        .tls(squall::tls::client_config_with_roots(certs.root_pem.as_bytes()).unwrap());
    let url = format!("wss://localhost:{}/echo/one", server.local_addr().port());
    let mut client = squall::websocket_connect(url, options).await.unwrap();
    assert_eq!(
        client.read_message().await,
        Some(Message::from("HTTP/1.1 GET one -"))
    );
    client.close(None, None).await.unwrap();
}

struct Deflating;

impl WebSocketHandler for Deflating {
    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }

    fn get_compression_options(&self) -> Option<squall::CompressionOptions> {
        Some(squall::CompressionOptions::new().threshold(0))
    }
}

#[tokio::test]
async fn deflate_and_the_message_limit_apply_over_http2() {
    let mut settings = squall::Settings::default();
    settings.max_message_size = Some(1000);
    let server = Application::new()
        .route("/deflate", || Deflating)
        .settings(settings)
        .h2c(true)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let h2 = H2::h2c(server.local_addr()).await;
    let mut ws = h2
        .open_with(
            "/deflate",
            &[("sec-websocket-extensions", "permessage-deflate")],
        )
        .await
        .unwrap();
    assert_eq!(ws.headers["sec-websocket-extensions"], "permessage-deflate");
    let text = "squall ".repeat(100);
    ws.send_text(&text);
    let frame = ws.next().await;
    assert!(frame.rsv1, "the echo is compressed");
    assert!(frame.payload.len() < text.len() / 4);
    // Over the limit: 1009.
    ws.send_text(&"x".repeat(2000));
    let frame = ws.next().await;
    assert_eq!(frame.opcode, 0x8);
    assert_eq!(frame.payload[..2], 1009u16.to_be_bytes());
}

#[tokio::test]
async fn without_routes_extended_connect_is_not_offered() {
    let dir = std::env::temp_dir().join(format!("squall-h2-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<p>page</p>").unwrap();
    let server = Application::new()
        .static_files(&dir)
        .h2c(true)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let h2 = H2::h2c(server.local_addr()).await;
    assert!(!h2.send.is_extended_connect_protocol_enabled());
    assert_eq!(
        h2.get("/").await,
        (http::StatusCode::OK, b"<p>page</p>".to_vec())
    );
    assert_eq!(h2.get("/missing.js").await.0, http::StatusCode::NOT_FOUND);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn streams_opened_and_reset_in_bulk_do_not_stop_the_server() {
    let (server, _closed) = h2c_server().await;
    let h2 = H2::h2c(server.local_addr()).await;
    let mut sent = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut send = h2.send.clone();
        for _ in 0..20_000 {
            let Ok(ready) = send.ready().await else {
                return;
            };
            send = ready;
            let Ok((_response, mut stream)) =
                send.send_request(h2.connect_request("/echo", &[]), false)
            else {
                return;
            };
            stream.send_reset(h2::Reason::CANCEL);
            sent += 1;
            if sent % 64 == 0 {
                tokio::task::yield_now().await;
            }
        }
    })
    .await
    .expect("the server keeps reading");
    // h2's limit on streams reset by the peer: GOAWAY(ENHANCE_YOUR_CALM).
    assert_goaway_calm(h2, sent).await;
    // New connections are served.
    let fresh = H2::h2c(server.local_addr()).await;
    let mut ws = fresh.open("/echo").await;
    hello(&mut ws).await;
    assert_echoes(&mut ws, "still serving").await;
    ws.close(1000).await;
}

async fn assert_goaway_calm(h2: H2, sent: usize) -> h2::Error {
    let ended = tokio::time::timeout(Duration::from_secs(10), h2.task)
        .await
        .expect("the connection ends")
        .unwrap();
    let error = ended.expect_err("GOAWAY with an error code");
    assert!(error.is_go_away(), "{error:?} after {sent} streams");
    assert_eq!(error.reason(), Some(h2::Reason::ENHANCE_YOUR_CALM));
    error
}

#[tokio::test]
async fn over_1000_streams_a_second_get_goaway() {
    let (server, _closed) = h2c_server().await;
    let h2 = H2::h2c(server.local_addr()).await;
    let mut sent = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut send = h2.send.clone();
        // Refused at once (a plain CONNECT), never reset: only the rate is over.
        for _ in 0..20_000 {
            let Ok(ready) = send.ready().await else {
                return;
            };
            send = ready;
            let tunnel = http::Request::connect(h2.authority.clone())
                .body(())
                .unwrap();
            let Ok((response, _)) = send.send_request(tunnel, true) else {
                return;
            };
            // Taken, so that the stream ends without a reset.
            tokio::spawn(response);
            sent += 1;
            if sent % 64 == 0 {
                tokio::task::yield_now().await;
            }
        }
    })
    .await
    .expect("the server keeps reading");
    assert!(sent > 1000, "GOAWAY after {sent} streams");
    let error = assert_goaway_calm(h2, sent).await;
    assert!(
        !format!("{error:?}").contains("too_many_resets"),
        "{error:?}"
    );
    let fresh = H2::h2c(server.local_addr()).await;
    let mut ws = fresh.open("/echo").await;
    hello(&mut ws).await;
    ws.close(1000).await;
}

#[tokio::test]
async fn data_after_the_close_is_not_read_and_harms_nothing() {
    let (server, mut closed) = h2c_server().await;
    let h2 = H2::h2c(server.local_addr()).await;
    let mut a = h2.open("/echo/a").await;
    let mut b = h2.open("/echo/b").await;
    hello(&mut a).await;
    hello(&mut b).await;
    a.send_close(1000);
    a.send_text("after the close");
    let frame = a.next().await;
    assert_eq!(frame.opcode, 0x8);
    // Nothing is echoed: the server's END_STREAM follows its close.
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), a.frame())
            .await
            .unwrap()
            .unwrap(),
        None
    );
    assert_eq!(closed_within(&mut closed).await.1, Some(CloseCode::NORMAL));
    assert_echoes(&mut b, "b unaffected").await;
    b.close(1000).await;
}

#[tokio::test]
async fn a_connection_idle_for_the_handshake_timeout_gets_goaway() {
    let mut settings = squall::Settings::default();
    settings.handshake_timeout = Duration::from_millis(300);
    let (server, _closed) = h2c_server_with(settings).await;
    // Busy with a WebSocket: kept past the timeout.
    let busy = H2::h2c(server.local_addr()).await;
    let mut ws = busy.open("/echo").await;
    hello(&mut ws).await;
    // Idle from the start: GOAWAY(NO_ERROR), then the end of the connection.
    let idle = H2::h2c(server.local_addr()).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), idle.task)
        .await
        .expect("the idle connection ends")
        .unwrap();
    assert!(ended.is_ok(), "{ended:?}");
    assert_echoes(&mut ws, "still open").await;
    ws.close(1000).await;
}

/// At `max_connections`, one HTTP/2 connection more gets 503 on its WebSocket, as an
/// HTTP/1.1 one does, and the connection already open keeps working.
#[tokio::test]
async fn over_the_connection_limit_http2_gets_503() {
    let settings = squall::Settings::new().max_connections(1);
    let (server, _closed) = h2c_server_with(settings).await;
    let first = H2::h2c(server.local_addr()).await;
    let mut ws = first.open("/echo").await;
    hello(&mut ws).await;
    let second = H2::h2c(server.local_addr()).await;
    let status = second.open_with("/echo", &[]).await.err();
    assert_eq!(status, Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_echoes(&mut ws, "still served").await;
}

#[tokio::test]
async fn settings_set_the_streams_and_windows_a_peer_gets() {
    let settings = squall::Settings::new()
        .http2_max_streams(3)
        .http2_stream_window(70_000)
        .http2_connection_window(100_000);
    let (server, _closed) = h2c_server_with(settings).await;
    let h2 = H2::h2c(server.local_addr()).await;
    assert_eq!(h2.send.current_max_send_streams(), 3);
    let mut ws = h2.open("/echo").await;
    hello(&mut ws).await;
    // What the client may send on one stream is the server's stream window.
    ws.send.reserve_capacity(1 << 20);
    let granted = tokio::time::timeout(
        Duration::from_secs(5),
        std::future::poll_fn(|cx| ws.send.poll_capacity(cx)),
    )
    .await
    .expect("capacity within 5 s")
    .unwrap()
    .unwrap();
    assert_eq!(granted, 70_000);
}
