//! Strict order: a violation never overtakes the answers to messages before it, and
//! invalid UTF-8 fails as soon as its bytes arrive, not when its frame ends.

use hex_literal::hex;

use super::*;

/// A client frame's bytes, masked as the server receives them, plus the next frame.
fn message_then(bad: &[u8]) -> Vec<u8> {
    let mut bytes = from_client(true, 0x1, b"first");
    bytes.extend_from_slice(bad);
    bytes
}

#[test]
fn a_violation_behind_a_message_waits_until_the_message_is_answered() {
    let (mut s, now) = server();
    // A message, a frame with RSV2 set, then a ping: all in one read.
    let mut bytes = message_then(&frame(true, 2, 0x1, b"bad", true));
    bytes.extend_from_slice(&from_client(true, 0x9, b"late ping"));
    s.receive(&bytes, now);
    assert_eq!(
        drain(&mut s),
        (Vec::new(), false),
        "nothing sent before the answer"
    );
    assert_eq!(s.poll_timeout(), None, "the event is not taken yet");
    assert_eq!(s.poll_event(), Some(text("first")));
    assert_eq!(s.poll_event(), None);
    // The application answers; then the violation's deadline (the time it was found) fires.
    s.send(&Message::from("first")).unwrap();
    let found = s.poll_timeout().expect("the held violation's deadline");
    assert!(found <= now);
    s.handle_timeout(now);
    let (out, eof) = drain(&mut s);
    let frames = server_frames(&out);
    assert_eq!(frames[0], (0x1, b"first".to_vec()), "the answer goes first");
    assert_eq!(frames[1].0, 0x8);
    assert_eq!(frames[1].1[..2], 1002u16.to_be_bytes());
    assert_eq!(
        frames.len(),
        2,
        "the ping after the violation is never answered"
    );
    assert!(eof);
    assert!(matches!(
        s.poll_event(),
        Some(Event::Closed(c)) if c.error == Some(ProtocolError::ReservedBits.into())
    ));
}

#[test]
fn a_violation_with_no_message_before_it_fails_at_once() {
    let (mut s, now) = server();
    let mut bytes = from_client(true, 0x9, b"ping");
    bytes.extend_from_slice(&frame(true, 2, 0x1, b"bad", true));
    s.receive(&bytes, now);
    let (out, _) = drain(&mut s);
    let frames = server_frames(&out);
    assert_eq!(frames[0].0, 0xA, "the ping's pong");
    assert_eq!(frames[1].0, 0x8, "then the close, at once");
}

#[test]
fn the_peers_eof_reports_the_held_violation() {
    let (mut s, now) = server();
    s.receive(&message_then(&frame(true, 0, 0x3, b"", true)), now);
    s.receive_eof();
    assert_eq!(s.poll_event(), Some(text("first")));
    assert!(matches!(
        s.poll_event(),
        Some(Event::Closed(c)) if c.error == Some(ProtocolError::ReservedOpcode(3).into())
    ));
}

#[test]
fn invalid_utf8_fails_before_the_rest_of_its_frame_arrives() {
    let (mut s, now) = server();
    // One 20-byte text frame: valid "κόσμε", then a surrogate, then padding.
    let mut payload = hex!("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80").to_vec();
    payload.extend_from_slice(b"edited");
    let bytes = from_client(true, 0x1, &payload);
    let header = bytes.len() - payload.len();
    // The header and the valid part: nothing to report yet.
    s.receive(&bytes[..header + 8], now);
    assert_eq!(drain(&mut s), (Vec::new(), false));
    // The chunk with the surrogate: 1007 now, though the frame is not complete.
    s.receive(&bytes[header + 8..header + 14], now);
    assert_failed(&mut s, 1007, ProtocolError::InvalidUtf8);
}

#[test]
fn text_checked_in_chunks_arrives_whole_and_unchanged() {
    let text = "ünïcødé ".repeat(2000);
    for chunk in [1, 7, 1000, 4096] {
        let (mut s, now) = server();
        let bytes = from_client(true, 0x1, text.as_bytes());
        for piece in bytes.chunks(chunk) {
            s.receive(piece, now);
        }
        assert_eq!(
            s.poll_event(),
            Some(Event::Message(Message::from(text.as_str())))
        );
    }
}

#[test]
fn invalid_utf8_in_a_continuation_fails_before_it_ends() {
    let (mut s, now) = server();
    s.receive(&from_client(false, 0x1, b"valid start "), now);
    let mut payload = b"still valid".to_vec();
    payload.push(0xff);
    payload.extend_from_slice(&[b'x'; 100]);
    let bytes = from_client(true, 0x0, &payload);
    let header = bytes.len() - payload.len();
    s.receive(&bytes[..header + 12], now);
    assert_failed(&mut s, 1007, ProtocolError::InvalidUtf8);
}
