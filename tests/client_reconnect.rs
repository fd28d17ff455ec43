//! `ReconnectingClient` against servers that drop connections: the attempts and delays
//! reported, messages across reconnects, giving up, and stopping. The browser runs the
//! shared cases of `tests/client_conformance/` too.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::client::{echo, serve_tcp, within};
use futures_util::SinkExt;
use squall::reconnect::{Backoff, Event, ReconnectingClient};
use squall::{CloseCode, ConnectOptions, Error, Message};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TCloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as TCloseFrame;

const MS: Duration = Duration::from_millis(1);

/// Exact delays (no jitter) of 10, 20, 40, ... ms.
fn fast() -> Backoff {
    Backoff::new().initial_delay(10 * MS).jitter(0.0).seed(1)
}

/// What a scripted server does with its n-th connection (from 0).
#[derive(Clone, Copy, Debug)]
enum Script {
    /// Closes the TCP connection at once (the handshake fails).
    Drop,
    /// Echoes until the client closes.
    Echo,
    /// Echoes one message, then closes with 1001 "restarting".
    EchoOnceThenClose,
}

/// A tokio-tungstenite server following `script(n)`; returns its address and the count of
/// connections it accepted.
async fn scripted(script: fn(usize) -> Script) -> (SocketAddr, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let addr = serve_tcp(move |stream| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            match script(n) {
                Script::Drop => drop(stream),
                Script::Echo => {
                    if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                        echo(ws).await;
                    }
                }
                Script::EchoOnceThenClose => {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                        return;
                    };
                    if let Some(Ok(message)) = futures_util::StreamExt::next(&mut ws).await {
                        let _ = ws.send(message).await;
                    }
                    let _ = ws
                        .close(Some(TCloseFrame {
                            code: TCloseCode::Away,
                            reason: "restarting".into(),
                        }))
                        .await;
                    while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {}
                }
            }
        }
    })
    .await;
    (addr, count)
}

async fn next(client: &mut ReconnectingClient) -> Option<Event> {
    within(client.next_event()).await
}

fn assert_failed(event: Option<Event>, expected: u32) {
    match event {
        Some(Event::ConnectFailed { attempt, error }) => {
            assert_eq!(attempt, expected);
            assert!(
                matches!(error, Error::Handshake(_) | Error::Io(_)),
                "{error:?}"
            );
        }
        other => panic!("expected ConnectFailed {{ attempt: {expected} }}, got {other:?}"),
    }
}

fn assert_reconnecting(event: Option<Event>, expected: u32, after: Duration) {
    match event {
        Some(Event::Reconnecting { attempt, delay }) => {
            assert_eq!((attempt, delay), (expected, after));
        }
        other => panic!("expected Reconnecting {{ attempt: {expected} }}, got {other:?}"),
    }
}

fn assert_connected(event: Option<Event>, expected: u32) {
    match event {
        Some(Event::Connected { attempt }) => assert_eq!(attempt, expected),
        other => panic!("expected Connected {{ attempt: {expected} }}, got {other:?}"),
    }
}

async fn assert_echo(client: &mut ReconnectingClient, text: &str) {
    client.handle().write_message(text).await.unwrap();
    match next(client).await {
        Some(Event::Message(message)) => assert_eq!(message, Message::from(text)),
        other => panic!("expected the echo of {text:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_drops_three_times_then_stays_up() {
    let (addr, count) = scripted(|n| if n < 3 { Script::Drop } else { Script::Echo }).await;
    let mut client = ReconnectingClient::new(format!("ws://{addr}/"), fast()).unwrap();
    let handle = client.handle();
    assert!(!handle.is_connected());
    assert!(matches!(
        handle.write_message("too early").await,
        Err(Error::Closed(_))
    ));
    for (attempt, delay) in [(1, 10 * MS), (2, 20 * MS), (3, 40 * MS)] {
        assert_failed(next(&mut client).await, attempt);
        assert_reconnecting(next(&mut client).await, attempt + 1, delay);
    }
    assert_connected(next(&mut client).await, 4);
    assert!(client.is_connected() && handle.is_connected());
    assert_eq!(count.load(Ordering::SeqCst), 4);
    for i in 0..10 {
        assert_echo(&mut client, &format!("message {i}")).await;
    }
    within(handle.close(CloseCode::NORMAL, "bye"))
        .await
        .unwrap();
    match next(&mut client).await {
        Some(Event::Disconnected(closed)) => {
            assert_eq!(closed.code, CloseCode::NORMAL);
            assert!(!closed.by_peer, "{closed:?}");
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(next(&mut client).await.is_none());
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_connection_closed_by_the_server_comes_back_and_messages_keep_flowing() {
    let (addr, count) = scripted(|n| {
        if n < 2 {
            Script::EchoOnceThenClose
        } else {
            Script::Echo
        }
    })
    .await;
    let mut client = ReconnectingClient::new(format!("ws://{addr}/"), fast()).unwrap();
    assert_connected(next(&mut client).await, 1);
    for attempt in [1, 2] {
        assert_echo(&mut client, &format!("before drop {attempt}")).await;
        match next(&mut client).await {
            Some(Event::Disconnected(closed)) => {
                assert_eq!(closed.code, CloseCode::GOING_AWAY);
                assert_eq!(closed.reason, "restarting");
                assert!(closed.by_peer, "{closed:?}");
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
        assert!(!client.is_connected());
        // The connection lasted less than `reset_after`: it counts as an attempt.
        let delay = if attempt == 1 { 10 * MS } else { 20 * MS };
        assert_reconnecting(next(&mut client).await, attempt + 1, delay);
        assert_connected(next(&mut client).await, attempt + 1);
    }
    assert_echo(&mut client, "after two drops").await;
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_connection_that_stayed_up_resets_the_backoff() {
    let (addr, _) = scripted(|n| {
        if n == 0 {
            Script::EchoOnceThenClose
        } else {
            Script::Echo
        }
    })
    .await;
    let backoff = fast().reset_after(Duration::ZERO);
    let mut client = ReconnectingClient::new(format!("ws://{addr}/"), backoff).unwrap();
    assert_connected(next(&mut client).await, 1);
    assert_echo(&mut client, "one").await;
    assert!(matches!(
        next(&mut client).await,
        Some(Event::Disconnected(_))
    ));
    assert_reconnecting(next(&mut client).await, 1, 10 * MS);
    assert_connected(next(&mut client).await, 1);
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    let (addr, count) = scripted(|_| Script::Drop).await;
    let backoff = fast().max_attempts(Some(3));
    let mut client = ReconnectingClient::new(format!("ws://{addr}/"), backoff).unwrap();
    assert_failed(next(&mut client).await, 1);
    assert_reconnecting(next(&mut client).await, 2, 10 * MS);
    assert_failed(next(&mut client).await, 2);
    assert_reconnecting(next(&mut client).await, 3, 20 * MS);
    assert_failed(next(&mut client).await, 3);
    assert!(matches!(
        next(&mut client).await,
        Some(Event::GaveUp { attempts: 3 })
    ));
    assert!(next(&mut client).await.is_none());
    assert!(next(&mut client).await.is_none());
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_error_retrying_cannot_cure_gives_up_at_once() {
    let (addr, count) = scripted(|_| Script::Echo).await;
    let mut client = ReconnectingClient::new(format!("ws://{addr}/"), fast())
        .unwrap()
        .options(|| ConnectOptions::new().on_message_callback(|_| {}));
    match next(&mut client).await {
        Some(Event::ConnectFailed {
            attempt: 1,
            error: Error::Unsupported(what),
        }) => assert!(what.starts_with("on_message_callback"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        next(&mut client).await,
        Some(Event::GaveUp { attempts: 1 })
    ));
    assert!(next(&mut client).await.is_none());
    assert_eq!(count.load(Ordering::SeqCst), 0);
    assert!(matches!(
        ReconnectingClient::new("not a url", fast()),
        Err(Error::InvalidUrl(_))
    ));
}

#[tokio::test]
async fn close_while_waiting_ends_the_client_at_once() {
    let (addr, _) = scripted(|_| Script::Drop).await;
    let backoff = Backoff::new().initial_delay(Duration::from_secs(60));
    let mut client = ReconnectingClient::new(format!("ws://{addr}/"), backoff).unwrap();
    assert_failed(next(&mut client).await, 1);
    assert!(matches!(
        next(&mut client).await,
        Some(Event::Reconnecting { .. })
    ));
    let handle = client.handle();
    // Closing from another task wakes the reader out of its 60 s wait.
    tokio::spawn(async move {
        tokio::time::sleep(50 * MS).await;
        handle.close(None, None).await.unwrap();
    });
    assert!(next(&mut client).await.is_none());
}

#[tokio::test]
async fn options_are_made_for_every_attempt() {
    let (addr, _) = scripted(|n| if n == 0 { Script::Drop } else { Script::Echo }).await;
    let made = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&made);
    let mut client = ReconnectingClient::new(format!("ws://{addr}/"), fast())
        .unwrap()
        .options(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            ConnectOptions::new().connect_timeout(Duration::from_secs(5))
        });
    assert_failed(next(&mut client).await, 1);
    assert_reconnecting(next(&mut client).await, 2, 10 * MS);
    assert_connected(next(&mut client).await, 2);
    assert_eq!(made.load(Ordering::SeqCst), 2);
    // The writer of the current connection is reachable for what the handle lacks.
    let writer = client.handle().writer().unwrap();
    assert!(writer.ping("rtt").await.is_ok());
    // Invalid close arguments change nothing.
    assert!(matches!(
        client.handle().close(CloseCode::from(1005), None).await,
        Err(Error::InvalidCloseCode(_))
    ));
    assert_echo(&mut client, "still connected").await;
}
