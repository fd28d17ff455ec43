//! The driver's own timing: buffers that large messages grew are given back once the
//! connection has been quiet for [`BUFFER_IDLE`], and not while messages keep coming.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::{AsyncWriteExt, DuplexStream};

use super::{connect, DriverConfig, Incoming, Shared, BUFFER_IDLE};
use crate::protocol::{Config, Connection, Role};
use crate::Message;

const LARGE: usize = 1 << 20;

/// A server-side driver on an in-memory pipe, running on its own task: the pipe's other
/// end, the connection's shared state and its events.
fn server() -> (DuplexStream, Arc<Shared>, super::Events) {
    let (ours, theirs) = tokio::io::duplex(4 * LARGE);
    let config = Config {
        max_message_size: Some(4 * LARGE),
        ..Config::default()
    };
    let core = Connection::new(Role::Server, config, Instant::now());
    let driver_config = DriverConfig {
        write_high_water: 64 * 1024,
        linger: Duration::from_secs(1),
        event_capacity: 16,
        write_timeout: None,
    };
    let (driver, handle, events) = connect(ours, core, driver_config);
    let shared = Arc::clone(&handle.shared);
    // The handle stays alive with the driver: dropping the last one would close.
    tokio::spawn(async move {
        driver.await;
        drop(handle);
    });
    (theirs, shared, events)
}

/// A masked client frame carrying `len` bytes.
fn client_frame(len: usize) -> Vec<u8> {
    let mut client = Connection::new(Role::Client, Config::default(), Instant::now());
    client
        .send(&Message::Binary(vec![7; len].into()))
        .expect("the client is open");
    let mut wire = Vec::new();
    while client.poll_transmit(&mut wire).is_some() {}
    wire
}

async fn receive(events: &mut super::Events, len: usize) {
    match events.next().await {
        Some(Incoming::Message(message)) => assert_eq!(message.len(), len),
        other => panic!("expected a message of {len} bytes, got {other:?}"),
    }
}

#[tokio::test]
async fn a_quiet_connection_gives_back_what_a_large_message_grew() {
    let (mut peer, shared, mut events) = server();
    peer.write_all(&client_frame(LARGE)).await.unwrap();
    receive(&mut events, LARGE).await;
    assert!(shared.lock().core.holds_large_buffers());

    tokio::time::sleep(BUFFER_IDLE * 2).await;
    assert!(!shared.lock().core.holds_large_buffers());

    // And it still works: the next large message grows them again.
    peer.write_all(&client_frame(LARGE)).await.unwrap();
    receive(&mut events, LARGE).await;
}

#[tokio::test]
async fn a_busy_connection_keeps_its_buffers() {
    let (mut peer, shared, mut events) = server();
    peer.write_all(&client_frame(LARGE)).await.unwrap();
    receive(&mut events, LARGE).await;
    // Small messages, more often than BUFFER_IDLE, for twice BUFFER_IDLE: the large
    // buffers stay for the next large message instead of being freed and grown again.
    let small = client_frame(16);
    let started = Instant::now();
    while started.elapsed() < BUFFER_IDLE * 2 {
        peer.write_all(&small).await.unwrap();
        receive(&mut events, 16).await;
        assert!(shared.lock().core.holds_large_buffers());
        tokio::time::sleep(BUFFER_IDLE / 4).await;
    }
}
