//! `ReconnectingClient` conformance: the same events, attempts and delays on both backends.

use std::time::Duration;

use squall::reconnect::{Backoff, Event, ReconnectingClient};
use squall::{CloseCode, Message};

use super::{Env, SMALL_LIMIT};

/// Exact delays of 10, 20, 40, ... ms.
fn fast() -> Backoff {
    Backoff::new()
        .initial_delay(Duration::from_millis(10))
        .jitter(0.0)
}

async fn next(client: &mut ReconnectingClient) -> Event {
    match client.next_event().await {
        Some(event) => event,
        None => panic!("the client ended early"),
    }
}

/// The server closes the connection (1009, for a message over its limit): the client
/// reports it, waits the first delay, connects again, and messages flow on the new
/// connection; closing through the handle ends the client.
pub async fn reconnecting_client_comes_back_after_the_server_closes(env: &Env) {
    let url = format!("{}/reconnect", env.small);
    let version = env.http_version;
    let mut client = ReconnectingClient::new(url.as_str(), fast())
        .unwrap()
        .options(move || squall::ConnectOptions::new().http_version(version));
    let handle = client.handle();
    assert!(matches!(
        next(&mut client).await,
        Event::Connected { attempt: 1 }
    ));
    handle.write_message("first").await.unwrap();
    assert!(matches!(next(&mut client).await, Event::Message(m) if m == Message::from("first")));
    handle
        .write_message(vec![0u8; 2 * SMALL_LIMIT])
        .await
        .unwrap();
    match next(&mut client).await {
        Event::Disconnected(closed) => {
            assert_eq!(closed.code, CloseCode::MESSAGE_TOO_BIG, "{closed:?}");
            assert!(closed.by_peer, "{closed:?}");
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(!handle.is_connected());
    match next(&mut client).await {
        Event::Reconnecting { attempt, delay } => {
            assert_eq!((attempt, delay), (2, Duration::from_millis(10)));
        }
        other => panic!("expected Reconnecting, got {other:?}"),
    }
    assert!(matches!(
        next(&mut client).await,
        Event::Connected { attempt: 2 }
    ));
    handle.write_message("again").await.unwrap();
    assert!(matches!(next(&mut client).await, Event::Message(m) if m == Message::from("again")));
    handle.close(CloseCode::NORMAL, "done").await.unwrap();
    match next(&mut client).await {
        Event::Disconnected(closed) => {
            assert_eq!(closed.code, CloseCode::NORMAL, "{closed:?}");
            assert!(!closed.by_peer, "{closed:?}");
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(client.next_event().await.is_none());
}

/// Against a server that refuses every upgrade, the client gives up after `max_attempts`.
pub async fn reconnecting_client_gives_up_after_max_attempts(env: &Env) {
    let backoff = fast().max_attempts(Some(2));
    let version = env.http_version;
    let mut client = ReconnectingClient::new(env.refused.as_str(), backoff)
        .unwrap()
        .options(move || squall::ConnectOptions::new().http_version(version));
    assert!(matches!(
        next(&mut client).await,
        Event::ConnectFailed { attempt: 1, .. }
    ));
    assert!(matches!(
        next(&mut client).await,
        Event::Reconnecting { attempt: 2, .. }
    ));
    assert!(matches!(
        next(&mut client).await,
        Event::ConnectFailed { attempt: 2, .. }
    ));
    assert!(matches!(
        next(&mut client).await,
        Event::GaveUp { attempts: 2 }
    ));
    assert!(client.next_event().await.is_none());
}
