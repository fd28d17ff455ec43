//! Ping bookkeeping and keepalive timers.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::Error;

fn pong(payload: &[u8]) -> Vec<u8> {
    from_client(true, 0xA, payload)
}

#[test]
fn a_pong_acknowledges_its_ping_and_every_earlier_one() {
    let (mut s, now) = server();
    let a = s.ping(Bytes::from_static(b"a")).unwrap();
    let b = s.ping(Bytes::from_static(b"b")).unwrap();
    let c = s.ping(Bytes::from_static(b"c")).unwrap();
    assert_eq!(
        server_frames(&drain(&mut s).0),
        [
            (0x9, b"a".to_vec()),
            (0x9, b"b".to_vec()),
            (0x9, b"c".to_vec())
        ]
    );
    // RFC 6455 §5.5.3 lets the peer answer only the latest ping it saw.
    s.receive(&pong(b"b"), now);
    assert_eq!(
        events(&mut s),
        [Event::Pong {
            payload: Bytes::from_static(b"b"),
            acknowledged: Some(b)
        }]
    );
    assert!(a < b);
    s.receive(&pong(b"a"), now);
    assert!(matches!(
        &events(&mut s)[..],
        [Event::Pong {
            acknowledged: None,
            ..
        }]
    ));
    s.receive(&pong(b"c"), now);
    assert!(
        matches!(&events(&mut s)[..], [Event::Pong { acknowledged: Some(id), .. }] if *id == c)
    );
}

#[test]
fn ping_payload_over_125_bytes_is_refused() {
    let (mut s, _) = server();
    assert!(matches!(
        s.ping(Bytes::from(vec![0; 126])),
        Err(Error::ControlPayloadTooLong(126))
    ));
}

fn keepalive_server(interval: u64, timeout: Option<u64>) -> (Connection, Instant) {
    let now = Instant::now();
    let config = Config {
        ping_interval: Some(Duration::from_secs(interval)),
        ping_timeout: timeout.map(Duration::from_secs),
        ..config()
    };
    (Connection::new(Role::Server, config, now), now)
}

#[test]
fn keepalive_ping_unanswered_closes_with_1011() {
    let (mut s, start) = keepalive_server(10, Some(3));
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_secs(10)));
    s.handle_timeout(start + Duration::from_secs(10));
    let frames = server_frames(&drain(&mut s).0);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, 0x9);
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_secs(13)));
    s.handle_timeout(start + Duration::from_secs(13));
    assert_failed(&mut s, 1011, crate::Timeout::Ping);
}

#[test]
fn keepalive_ping_answered_keeps_the_connection() {
    let (mut s, start) = keepalive_server(10, None);
    for round in 1..=3u64 {
        let at = start + Duration::from_secs(10 * round);
        s.handle_timeout(at);
        let frames = server_frames(&drain(&mut s).0);
        let payload = frames[0].1.clone();
        s.receive(&pong(&payload), at);
        assert!(matches!(
            &events(&mut s)[..],
            [Event::Pong {
                acknowledged: Some(_),
                ..
            }]
        ));
    }
    assert_eq!(s.state(), super::super::State::Open);
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_secs(40)));
}

#[test]
fn timeout_defaults_to_the_interval_and_is_clamped_to_it() {
    let (mut s, start) = keepalive_server(5, Some(60));
    s.handle_timeout(start + Duration::from_secs(5));
    let _ = drain(&mut s);
    // The deadline (5 s) coincides with the next ping; the unanswered one fails first.
    s.handle_timeout(start + Duration::from_secs(10));
    assert_failed(&mut s, 1011, crate::Timeout::Ping);
}

#[test]
fn early_timer_calls_do_nothing() {
    let (mut s, start) = keepalive_server(10, None);
    s.handle_timeout(start + Duration::from_secs(9));
    assert_eq!(drain(&mut s), (vec![], false));
    assert_eq!(events(&mut s), []);
}
