//! The driver's own timing: buffers that large messages grew are given back once the
//! connection has been quiet for [`BUFFER_IDLE`], and not while messages keep coming.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::{AsyncWriteExt, DuplexStream};

use super::timers::BUFFER_IDLE;
use super::{connect, Driver, DriverConfig, Shared};
use crate::protocol::Event;
use crate::protocol::{Config, Connection, Role};
use crate::Message;

const LARGE: usize = 1 << 20;

/// The driver, polled by its task and open to the test's inspection between polls.
type SharedDriver = Arc<Mutex<Box<Driver<DuplexStream>>>>;

/// A server-side driver on an in-memory pipe, running on its own task: the pipe's other
/// end, the connection's shared state, its events and the driver itself.
fn server() -> (DuplexStream, Arc<Shared>, super::Events, SharedDriver) {
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
    let driver = Arc::new(Mutex::new(driver));
    let polled = Arc::clone(&driver);
    // The handle stays alive with the driver: dropping the last one would close.
    tokio::spawn(async move {
        poll_fn(|cx| Pin::new(&mut **polled.lock().unwrap()).poll(cx)).await;
        drop(handle);
    });
    (theirs, shared, events, driver)
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
        Some(Event::Message(message)) => assert_eq!(message.len(), len),
        other => panic!("expected a message of {len} bytes, got {other:?}"),
    }
}

#[tokio::test]
async fn a_quiet_connection_gives_back_what_a_large_message_grew() {
    let (mut peer, shared, mut events, driver) = server();
    peer.write_all(&client_frame(LARGE)).await.unwrap();
    receive(&mut events, LARGE).await;
    assert!(shared.lock().core.holds_large_buffers());
    let lent = driver
        .lock()
        .unwrap()
        .stages
        .socket
        .lent_input
        .as_ref()
        .map(|b| b.capacity());
    assert!(
        lent.is_some(),
        "reads go straight into the grown input buffer"
    );

    tokio::time::sleep(BUFFER_IDLE * 2).await;
    assert!(!shared.lock().core.holds_large_buffers());
    assert!(
        driver.lock().unwrap().stages.socket.lent_input.is_none(),
        "the lent buffer is freed too"
    );

    // And it still works: the next large message grows them again.
    peer.write_all(&client_frame(LARGE)).await.unwrap();
    receive(&mut events, LARGE).await;
}

#[tokio::test]
async fn a_busy_connection_keeps_its_buffers() {
    let (mut peer, shared, mut events, _driver) = server();
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
