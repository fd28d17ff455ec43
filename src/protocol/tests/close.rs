//! The close handshake in both directions, timeouts and EOF.

use std::time::Duration;

use hex_literal::hex;

use super::*;
use crate::{CloseFrame, Error, WebSocketClosedError};

fn closed(conn: &mut Connection) -> super::super::Closed {
    match events(conn).pop() {
        Some(Event::Closed(c)) => c,
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[test]
fn peer_close_is_echoed_with_the_same_code_and_server_closes_tcp() {
    let (mut s, now) = server();
    let mut payload = 4000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"bye");
    s.receive(&from_client(true, 0x8, &payload), now);
    let (out, eof) = drain(&mut s);
    assert_eq!(out, hex!("88 02 0f a0"));
    assert!(eof);
    let c = closed(&mut s);
    assert_eq!(
        (c.code.as_u16(), c.reason.as_str(), c.by_peer, c.clean),
        (4000, "bye", true, true)
    );
    assert_eq!(s.closed().map(|c| c.code), Some(CloseCode::from(4000)));
    assert_eq!(s.closed().map(|c| c.reason.as_str()), Some("bye"));
    assert!(s.is_finished());
}

#[test]
fn empty_close_reads_as_1005_and_is_answered_empty() {
    let (mut s, now) = server();
    s.receive(&from_client(true, 0x8, b""), now);
    assert_eq!(drain(&mut s), (hex!("88 00").to_vec(), true));
    assert_eq!(closed(&mut s).code, CloseCode::NO_STATUS);
}

#[test]
fn server_initiated_close_completes_when_the_peer_answers() {
    let (mut s, now) = server();
    s.close(
        Some(CloseFrame::new(CloseCode::GOING_AWAY, "shutdown").unwrap()),
        now,
    )
    .unwrap();
    assert_eq!(s.state(), super::super::State::Closing);
    let (out, eof) = drain(&mut s);
    assert_eq!(server_frames(&out), [(0x8, b"\x03\xe9shutdown".to_vec())]);
    assert!(!eof, "wait for the peer's close before closing TCP");
    assert_eq!(s.send(&Message::from("x")), Err(WebSocketClosedError));
    // Data still arriving before the peer's close is dropped, not delivered.
    s.receive(&from_client(true, 0x1, b"late"), now);
    s.receive(&from_client(true, 0x8, &1001u16.to_be_bytes()), now);
    let (out, eof) = drain(&mut s);
    assert!(out.is_empty(), "no second close frame");
    assert!(eof);
    let c = closed(&mut s);
    assert_eq!(
        (c.code, c.by_peer, c.clean),
        (CloseCode::GOING_AWAY, false, true)
    );
    assert_eq!(c.reason, "shutdown");
}

#[test]
fn close_without_frame_sends_an_empty_close() {
    let (mut s, now) = server();
    s.close(None, now).unwrap();
    assert_eq!(drain(&mut s).0, hex!("88 00"));
}

#[test]
fn close_timeout_ends_the_connection_uncleanly() {
    let (mut s, now) = server();
    s.close(Some(CloseFrame::new(CloseCode::NORMAL, "").unwrap()), now)
        .unwrap();
    let _ = drain(&mut s);
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, now + super::super::DEFAULT_CLOSE_TIMEOUT);
    s.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(events(&mut s), []);
    s.handle_timeout(deadline);
    let c = closed(&mut s);
    assert!(!c.clean);
    assert_eq!(drain(&mut s), (vec![], true));
}

#[test]
fn client_waits_for_the_server_to_close_tcp() {
    let (mut c, now) = client();
    c.close(None, now).unwrap();
    let _ = drain(&mut c);
    c.receive(&hex!("88 00"), now);
    assert!(closed(&mut c).clean);
    assert_eq!(
        drain(&mut c),
        (vec![], false),
        "the client does not close TCP first"
    );
    assert!(!c.is_finished());
    c.receive_eof();
    assert!(c.is_finished());
}

#[test]
fn client_closes_tcp_itself_when_the_server_does_not() {
    let (mut c, now) = client();
    c.receive(&hex!("88 02 03 e8"), now);
    let _ = drain(&mut c);
    let deadline = c.poll_timeout().unwrap();
    c.handle_timeout(deadline);
    assert_eq!(drain(&mut c), (vec![], true));
}

#[test]
fn eof_without_close_is_1006() {
    let (mut s, _) = server();
    s.receive_eof();
    let c = closed(&mut s);
    assert_eq!(
        (c.code, c.clean, c.by_peer),
        (CloseCode::ABNORMAL, false, true)
    );
    assert!(!s.wants_read());
    assert!(s.is_finished());
}

#[test]
fn commands_after_close_fail() {
    let (mut s, now) = server();
    s.receive(&from_client(true, 0x8, b""), now);
    assert_eq!(s.send(&Message::from("x")), Err(WebSocketClosedError));
    assert!(matches!(s.ping(bytes::Bytes::new()), Err(Error::Closed(_))));
    assert!(matches!(s.close(None, now), Err(Error::Closed(_))));
}

#[test]
fn invalid_close_commands_are_refused_before_sending() {
    let (mut s, now) = server();
    let bad = CloseFrame {
        code: CloseCode::ABNORMAL,
        reason: String::new(),
    };
    assert!(matches!(
        s.close(Some(bad), now),
        Err(Error::InvalidCloseCode(_))
    ));
    let long = CloseFrame {
        code: CloseCode::NORMAL,
        reason: "x".repeat(124),
    };
    assert!(matches!(
        s.close(Some(long), now),
        Err(Error::CloseReasonTooLong(124))
    ));
    assert_eq!(drain(&mut s), (vec![], false));
    assert_eq!(s.state(), super::super::State::Open);
}

#[test]
fn pending_fragments_are_dropped_when_the_peer_closes() {
    let (mut s, now) = server();
    s.receive(&from_client(false, 0x1, b"half"), now);
    s.receive(&from_client(true, 0x8, &1000u16.to_be_bytes()), now);
    let got = events(&mut s);
    assert_eq!(got.len(), 1, "only Closed: {got:?}");
}

#[test]
fn idle_timeout_closes_with_1001_and_traffic_postpones_it() {
    let now = Instant::now();
    let config = Config {
        idle_timeout: Some(Duration::from_secs(10)),
        ..config()
    };
    let mut s = Connection::new(Role::Server, config, now);
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(10)));
    s.receive(&from_client(true, 0xA, b""), now + Duration::from_secs(8));
    let _ = events(&mut s);
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(18)));
    s.handle_timeout(now + Duration::from_secs(10));
    assert_eq!(drain(&mut s), (vec![], false), "not idle yet");
    s.handle_timeout(now + Duration::from_secs(18));
    let (out, _) = drain(&mut s);
    assert_eq!(
        server_frames(&out),
        [(0x8, b"\x03\xe9idle timeout".to_vec())]
    );
    assert_eq!(s.state(), super::super::State::Closing);
}
