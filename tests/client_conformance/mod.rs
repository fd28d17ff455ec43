//! Client conformance: one suite, written once against the public client API, run by both
//! backends.
//!
//! - natively by `tests/client_conformance_native.rs` (tokio tests, in-process
//!   `squall::Application` servers on 127.0.0.1);
//! - in headless Chromium by `wasm-tests/tests/conformance.rs` (wasm-bindgen-test, against
//!   `examples/echo_server` processes started by `scripts/test-wasm.sh`).
//!
//! Each case is an `async fn(&Env)` that panics on failure. Only what both backends promise
//! is asserted here; what only one of them can do is tested beside that backend.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

mod reconnect;
#[cfg(not(target_arch = "wasm32"))]
pub mod servers;

pub use reconnect::{
    reconnecting_client_comes_back_after_the_server_closes,
    reconnecting_client_gives_up_after_max_attempts,
};

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use futures_sink::Sink;
use squall::{
    websocket_connect, CloseCode, ConnectOptions, Error, Failure, HttpVersion, Message,
    ProtocolError,
};

/// The servers a run provides, as base URLs (`ws://127.0.0.1:PORT`).
#[derive(Clone, Debug)]
pub struct Env {
    /// Echoes every message on any path and selects the first subprotocol offered;
    /// `max_message_size` at least 2 MiB.
    pub echo: String,
    /// The same echo server with `max_message_size` 1024: a bigger message makes the
    /// *server* close with 1009.
    pub small: String,
    /// A full WebSocket URL whose upgrade the server refuses (403 for the page's origin, or
    /// 404 for an unknown path).
    pub refused: String,
    /// A TCP listener that accepts and never answers.
    pub silent: String,
    /// The HTTP version every case connects with (`Http1` in the browser).
    pub http_version: HttpVersion,
}

impl Env {
    /// The options every case starts from.
    fn options(&self) -> ConnectOptions {
        ConnectOptions::new().http_version(self.http_version)
    }

    fn echo(&self, path: &str) -> String {
        format!("{}{path}", self.echo)
    }
}

/// The smaller limit of [`Env::small`] and of the client in [`max_message_size_closes_and_reports`].
pub const SMALL_LIMIT: usize = 1024;

async fn connect(url: String, options: ConnectOptions) -> squall::WebSocketClientConnection {
    match websocket_connect(url.as_str(), options).await {
        Ok(conn) => conn,
        Err(err) => panic!("connecting to {url}: {err}"),
    }
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// Text stays text and binary stays binary, both ways, with UTF-8 intact.
pub async fn text_and_binary_keep_their_kind(env: &Env) {
    let mut conn = connect(env.echo("/kinds"), env.options()).await;
    conn.write_message("héllo, wörld ✓").await.unwrap();
    conn.write_message(vec![0u8, 1, 2, 255]).await.unwrap();
    conn.write_message("").await.unwrap();
    conn.write_message(Vec::<u8>::new()).await.unwrap();
    assert_eq!(
        conn.read_message().await,
        Some(Message::from("héllo, wörld ✓"))
    );
    assert_eq!(
        conn.read_message().await,
        Some(Message::from(vec![0u8, 1, 2, 255]))
    );
    assert_eq!(conn.read_message().await, Some(Message::from("")));
    assert_eq!(conn.read_message().await, Some(Message::from(Vec::new())));
    conn.close(None, None).await.unwrap();
    assert_eq!(conn.read_message().await, None);
}

/// The client closes with a code and a reason: both are reported, the close is clean and
/// not by the peer, and every later write, close or read says the connection is closed.
pub async fn close_from_client_with_code_and_reason(env: &Env) {
    let mut conn = connect(env.echo("/close"), env.options()).await;
    assert!(!conn.is_closing());
    assert_eq!(conn.close_code(), None);
    conn.close(CloseCode::from(4000), "done, ✓").await.unwrap();
    assert_eq!(conn.close_code(), Some(CloseCode::from(4000)));
    assert_eq!(conn.close_reason().as_deref(), Some("done, ✓"));
    let closed = conn.closed().expect("closed after close()");
    assert!(!closed.by_peer, "{closed:?}");
    assert!(closed.clean, "{closed:?}");
    assert_eq!(closed.error, None);
    assert!(conn.is_closing());
    assert_eq!(conn.read_message().await, None);
    assert!(matches!(
        conn.write_message("late").await,
        Err(Error::Closed(_))
    ));
    assert!(matches!(
        conn.close(None, None).await,
        Err(Error::Closed(_))
    ));
}

/// A close without a code is reported as 1005; a reason alone is sent with 1000.
pub async fn close_without_code_and_reason_alone(env: &Env) {
    let conn = connect(env.echo("/close-empty"), env.options()).await;
    conn.close(None, None).await.unwrap();
    assert_eq!(conn.close_code(), Some(CloseCode::NO_STATUS));
    let conn = connect(env.echo("/close-reason"), env.options()).await;
    conn.close(None, "bye").await.unwrap();
    assert_eq!(conn.close_code(), Some(CloseCode::NORMAL));
    assert_eq!(conn.close_reason().as_deref(), Some("bye"));
}

/// The server closes (1009 with its reason, for a message over its limit): the reader ends
/// and the server's code and reason are reported as the peer's.
pub async fn close_from_server_with_code_and_reason(env: &Env) {
    let url = format!("{}/server-close", env.small);
    let mut conn = connect(url, env.options()).await;
    conn.write_message(vec![7u8; 2 * SMALL_LIMIT])
        .await
        .unwrap();
    assert_eq!(conn.read_message().await, None);
    assert_eq!(conn.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
    let reason = conn.close_reason().unwrap_or_default();
    assert!(
        reason.contains(&SMALL_LIMIT.to_string()),
        "reason {reason:?}"
    );
    let closed = conn.closed().expect("closed");
    assert!(closed.by_peer, "{closed:?}");
    assert_eq!(closed.error, None);
    assert!(matches!(
        conn.write_message("late").await,
        Err(Error::Closed(_))
    ));
}

/// Codes no endpoint may send and over-long reasons are refused before anything is sent;
/// the connection stays usable.
pub async fn unsendable_close_codes_and_long_reasons_are_refused(env: &Env) {
    let mut conn = connect(env.echo("/bad-close"), env.options()).await;
    for code in [999u16, 1005, 1006, 1015, 2999, 5000] {
        match conn.close(CloseCode::from(code), None).await {
            Err(Error::InvalidCloseCode(refused)) => assert_eq!(refused.as_u16(), code),
            other => panic!("close({code}): {other:?}"),
        }
    }
    let long = "é".repeat(62); // 124 bytes
    assert!(matches!(
        conn.close(CloseCode::NORMAL, long.as_str()).await,
        Err(Error::CloseReasonTooLong(124))
    ));
    assert!(!conn.is_closing());
    conn.write_message("still open").await.unwrap();
    assert_eq!(conn.read_message().await, Some(Message::from("still open")));
    conn.close(CloseCode::NORMAL, "é".repeat(61).as_str())
        .await
        .unwrap();
    assert_eq!(conn.close_code(), Some(CloseCode::NORMAL));
}

/// A 1 MiB binary message goes to the server and back unchanged.
pub async fn one_mib_binary_round_trip(env: &Env) {
    let mut conn = connect(env.echo("/big"), env.options()).await;
    let data: Vec<u8> = (0..1usize << 20).map(|i| (i % 251) as u8).collect();
    conn.write_message(data.clone()).await.unwrap();
    match conn.read_message().await {
        Some(Message::Binary(echo)) => assert!(echo == data, "1 MiB came back changed"),
        other => panic!("expected the binary echo, got {:?}", other.map(|m| m.len())),
    }
    conn.close(None, None).await.unwrap();
}

/// 1000 messages written back to back come back complete and in order.
pub async fn burst_of_1000_messages_in_order(env: &Env) {
    let mut conn = connect(env.echo("/burst"), env.options()).await;
    for i in 0..1000 {
        conn.write_message(format!("message {i}")).await.unwrap();
    }
    for i in 0..1000 {
        assert_eq!(
            conn.read_message().await,
            Some(Message::Text(format!("message {i}").into()))
        );
    }
    conn.close(None, None).await.unwrap();
}

/// `connect_timeout` ends a connection attempt that gets no answer.
pub async fn connect_timeout_against_a_silent_server(env: &Env) {
    let limit = Duration::from_millis(400);
    let options = env.options().connect_timeout(limit);
    match websocket_connect(env.silent.as_str(), options).await {
        Err(Error::ConnectTimeout(after)) => assert_eq!(after, limit),
        other => panic!("expected ConnectTimeout, got {other:?}"),
    }
}

/// An upgrade the server refuses is a connect error, not a hang.
pub async fn refused_handshake_is_a_connect_error(env: &Env) {
    let options = env.options().connect_timeout(Duration::from_secs(10));
    match websocket_connect(env.refused.as_str(), options).await {
        Err(Error::Handshake(_) | Error::Io(_)) => {}
        other => panic!("expected a handshake or I/O error, got {other:?}"),
    }
}

/// A message over `max_message_size` closes the connection; the limit is reported as this
/// side's error (close code 1009 locally), for binary and for text measured in UTF-8 bytes.
pub async fn max_message_size_closes_and_reports(env: &Env) {
    let too_big = [
        Message::from(vec![1u8; 2 * SMALL_LIMIT]),
        // 600 characters but 1200 bytes.
        Message::from("é".repeat(600)),
    ];
    for message in too_big {
        let options = env.options().max_message_size(Some(SMALL_LIMIT));
        let mut conn = connect(env.echo("/too-big"), options).await;
        let fits = "x".repeat(SMALL_LIMIT);
        conn.write_message(fits.as_str()).await.unwrap();
        assert_eq!(conn.read_message().await, Some(Message::from(fits)));
        conn.write_message(message).await.unwrap();
        assert_eq!(conn.read_message().await, None);
        let closed = conn.closed().expect("closed");
        assert_eq!(
            closed.error,
            Some(Failure::Protocol(ProtocolError::MessageTooBig {
                limit: SMALL_LIMIT
            }))
        );
        assert_eq!(closed.code, CloseCode::MESSAGE_TOO_BIG);
        assert!(!closed.by_peer, "{closed:?}");
        assert_eq!(conn.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
    }
}

/// The server selects one of the offered subprotocols, and the client reports it.
pub async fn subprotocol_is_negotiated(env: &Env) {
    let options = env.options().subprotocol("chat.v2").subprotocol("chat.v1");
    let conn = connect(env.echo("/sub"), options).await;
    assert_eq!(conn.selected_subprotocol(), Some("chat.v2"));
    let conn = connect(env.echo("/nosub"), env.options()).await;
    assert_eq!(conn.selected_subprotocol(), None);
}

/// In `on_message_callback` style the callback gets every message then `None`, and
/// `read_message` returns `None` at once.
pub async fn callback_style(env: &Env) {
    let (sender, mut received) = futures_channel::mpsc::unbounded();
    let options = env.options().on_message_callback(move |message| {
        let _ = sender.unbounded_send(message);
    });
    let mut conn = connect(env.echo("/callback"), options).await;
    conn.write_message("one").await.unwrap();
    conn.write_message(vec![2u8]).await.unwrap();
    assert_eq!(next(&mut received).await, Some(Some(Message::from("one"))));
    assert_eq!(
        next(&mut received).await,
        Some(Some(Message::from(vec![2u8])))
    );
    assert_eq!(conn.read_message().await, None);
    conn.close(None, None).await.unwrap();
    assert_eq!(next(&mut received).await, Some(None));
}

/// `write_json` sends a JSON text message; the connection is also a `Stream` of messages.
pub async fn json_and_stream(env: &Env) {
    let mut conn = connect(env.echo("/json"), env.options()).await;
    conn.write_json(&serde_json::json!({"n": 1, "s": "é"}))
        .await
        .unwrap();
    let message = next(&mut conn).await.expect("echo");
    let value: serde_json::Value = message.parse_json().unwrap();
    assert_eq!(value, serde_json::json!({"n": 1, "s": "é"}));
    conn.close(None, None).await.unwrap();
    assert_eq!(next(&mut conn).await, None);
}

/// After `split`, the halves read and write on their own; dropping the (last) writer closes
/// the connection with 1000 and ends the reader.
pub async fn split_and_drop_the_writer(env: &Env) {
    let conn = connect(env.echo("/split"), env.options()).await;
    let (mut reader, writer) = conn.split();
    let second = writer.clone();
    writer.write_message("from the writer").await.unwrap();
    assert_eq!(
        reader.read_message().await,
        Some(Message::from("from the writer"))
    );
    drop(writer);
    second.write_message("from a clone").await.unwrap();
    assert_eq!(
        reader.read_message().await,
        Some(Message::from("from a clone"))
    );
    drop(second);
    assert_eq!(reader.read_message().await, None);
    assert_eq!(reader.close_code(), Some(CloseCode::NORMAL));
}

/// The writer is a `Sink`: ready, send, flush, then close (1000, waiting for the end; a
/// second close is a no-op), after which sending fails.
pub async fn sink_sends_flushes_and_closes(env: &Env) {
    let (mut reader, mut writer) = connect(env.echo("/sink"), env.options()).await.split();
    poll_fn(|cx| Pin::new(&mut writer).poll_ready(cx))
        .await
        .unwrap();
    Pin::new(&mut writer)
        .start_send(Message::from("via the sink"))
        .unwrap();
    poll_fn(|cx| Pin::new(&mut writer).poll_flush(cx))
        .await
        .unwrap();
    assert_eq!(
        reader.read_message().await,
        Some(Message::from("via the sink"))
    );
    poll_fn(|cx| Pin::new(&mut writer).poll_close(cx))
        .await
        .unwrap();
    poll_fn(|cx| Pin::new(&mut writer).poll_close(cx))
        .await
        .unwrap();
    assert_eq!(reader.read_message().await, None);
    assert_eq!(reader.close_code(), Some(CloseCode::NORMAL));
    assert!(Pin::new(&mut writer)
        .start_send(Message::from("late"))
        .is_err());
}

/// Polls `future` once; whether it finished.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> bool {
    poll_fn(|cx| std::task::Poll::Ready(Pin::new(&mut *future).poll(cx).is_ready())).await
}

/// `is_closing` is false while open, true from the moment this side's close frame is sent
/// (before the server answers) and after the close, on the connection and on both halves.
pub async fn is_closing_from_the_close_frame_sent(env: &Env) {
    let conn = connect(env.echo("/closing-sent"), env.options()).await;
    assert!(!conn.is_closing());
    let mut closing = Box::pin(conn.close(CloseCode::NORMAL, None));
    poll_once(&mut closing).await;
    assert!(conn.is_closing(), "the close frame is sent");
    closing.await.unwrap();
    assert!(conn.is_closing());
    let (reader, writer) = conn.split();
    assert!(reader.is_closing());
    assert!(writer.is_closing());
}

/// `is_closing` is true once the server's close frame arrived (here: the server closes with
/// 1009 for a message over its limit), on the connection and on both halves.
pub async fn is_closing_from_the_close_frame_received(env: &Env) {
    let url = format!("{}/closing-received", env.small);
    let conn = connect(url, env.options()).await;
    let (mut reader, writer) = conn.split();
    assert!(!reader.is_closing());
    assert!(!writer.is_closing());
    writer
        .write_message(vec![7u8; 2 * SMALL_LIMIT])
        .await
        .unwrap();
    assert_eq!(reader.read_message().await, None);
    assert!(reader.is_closing());
    assert!(writer.is_closing());
    assert_eq!(writer.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
}

/// Once the connection is closing, the sink is not ready (`Error::Closed`) and refuses
/// messages; a flush with nothing in flight succeeds. The same after this side's close and
/// after the server's.
pub async fn sink_is_not_ready_after_close(env: &Env) {
    async fn check(writer: &mut squall::ClientWriter) {
        assert!(matches!(
            poll_fn(|cx| Pin::new(&mut *writer).poll_ready(cx)).await,
            Err(Error::Closed(_))
        ));
        assert!(matches!(
            Pin::new(&mut *writer).start_send(Message::from("late")),
            Err(Error::Closed(_))
        ));
        poll_fn(|cx| Pin::new(&mut *writer).poll_flush(cx))
            .await
            .unwrap();
    }
    let (_reader, mut writer) = connect(env.echo("/sink-closed"), env.options())
        .await
        .split();
    writer.close(CloseCode::NORMAL, None).await.unwrap();
    check(&mut writer).await;

    let url = format!("{}/sink-closed-by-server", env.small);
    let (mut reader, mut writer) = connect(url, env.options()).await.split();
    writer
        .write_message(vec![7u8; 2 * SMALL_LIMIT])
        .await
        .unwrap();
    assert_eq!(reader.read_message().await, None);
    check(&mut writer).await;
}

/// `poll_flush` resolves once every message given to `start_send` was handed to the
/// connection, in order, as `write_message` would have; it does not wait for the server.
pub async fn sink_flush_hands_over_every_message(env: &Env) {
    let (mut reader, mut writer) = connect(env.echo("/sink-flush"), env.options())
        .await
        .split();
    let big = Message::from(vec![3u8; 256 * 1024]);
    for message in [Message::from("one"), big.clone(), Message::from("three")] {
        poll_fn(|cx| Pin::new(&mut writer).poll_ready(cx))
            .await
            .unwrap();
        Pin::new(&mut writer).start_send(message).unwrap();
    }
    poll_fn(|cx| Pin::new(&mut writer).poll_flush(cx))
        .await
        .unwrap();
    // Nothing is in flight any more: a second flush is ready at once.
    let mut flush = poll_fn(|cx| Pin::new(&mut writer).poll_flush(cx));
    assert!(
        poll_once(&mut flush).await,
        "a flush with nothing in flight"
    );
    assert_eq!(reader.read_message().await, Some(Message::from("one")));
    assert_eq!(reader.read_message().await, Some(big));
    assert_eq!(reader.read_message().await, Some(Message::from("three")));
    writer.close(None, None).await.unwrap();
}
