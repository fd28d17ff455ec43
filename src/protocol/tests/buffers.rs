//! How the core holds and reuses memory: large payloads sent by reference, the input buffer
//! reused from one large message to the next, and given back once released.

use bytes::{Buf, Bytes};

use super::*;
use crate::protocol::Output;

const LARGE: usize = 1 << 20;

/// Feeds `bytes` in 64 KiB reads, as the tokio driver does.
fn receive_in_reads(conn: &mut Connection, bytes: &[u8], now: Instant) {
    for read in bytes.chunks(64 * 1024) {
        conn.receive(read, now);
    }
}

fn binary_payload(event: Option<Event>) -> Bytes {
    match event {
        Some(Event::Message(Message::Binary(payload))) => payload,
        other => panic!("expected a binary message, got {other:?}"),
    }
}

#[test]
fn server_sends_a_large_payload_by_reference_with_the_same_bytes() {
    let payload = Bytes::from(vec![0x5A; 10_000]);
    let (mut by_value, _) = server();
    by_value
        .send_message(Message::Binary(payload.clone()), true)
        .unwrap();
    let mut out = Output::new();
    assert!(by_value.poll_transmit_output(&mut out).is_some());
    assert!(
        out.is_fragmented(),
        "the payload is not copied into the run"
    );
    // The payload slice handed to the socket is the application's own memory.
    out.advance(4);
    assert_eq!(out.chunk().as_ptr(), payload.as_ptr());

    let (mut by_ref, _) = server();
    by_ref.send(&Message::Binary(payload.clone())).unwrap();
    let (expected, _) = drain(&mut by_ref);
    let (mut again, _) = server();
    again.send_message(Message::Binary(payload), true).unwrap();
    assert_eq!(drain(&mut again).0, expected);
}

#[test]
fn small_payloads_and_client_frames_are_copied() {
    let (mut small, _) = server();
    small.send_message(Message::from("hi"), true).unwrap();
    let mut out = Output::new();
    assert!(small.poll_transmit_output(&mut out).is_some());
    assert!(!out.is_fragmented());

    // A client masks, so it copies; the bytes are those of `send`.
    let (mut by_value, _) = client();
    by_value
        .send_message(Message::Binary(Bytes::from(vec![1; 10_000])), true)
        .unwrap();
    let (mut by_ref, _) = client();
    by_ref
        .send(&Message::Binary(Bytes::from(vec![1; 10_000])))
        .unwrap();
    assert_eq!(drain(&mut by_value), drain(&mut by_ref));
}

#[test]
fn text_sent_by_value_stays_text() {
    let (mut s, _) = server();
    let text = "é".repeat(5_000);
    s.send_message(Message::Text(text.clone().into()), true)
        .unwrap();
    let (bytes, _) = drain(&mut s);
    assert_eq!(server_frames(&bytes), [(0x1, text.into_bytes())]);
}

#[test]
fn a_large_message_reuses_the_buffer_the_previous_one_gave_back() {
    let (mut s, now) = server();
    let frame = from_client(true, 0x2, &vec![3; LARGE]);
    receive_in_reads(&mut s, &frame, now);
    let first = binary_payload(s.poll_event());
    let first_at = first.as_ptr() as usize;
    drop(first);
    receive_in_reads(&mut s, &frame, now);
    let second = binary_payload(s.poll_event());
    assert_eq!(second.len(), LARGE);
    assert!(second.iter().all(|&b| b == 3));
    // Same allocation: at its front again, or right after the first frame.
    let at = second.as_ptr() as usize;
    assert!(
        at == first_at || at == first_at + frame.len(),
        "second message at {at:#x}, first at {first_at:#x}"
    );
}

/// Feeds `bytes` as the tokio driver does once large frames grew the input buffer: each
/// read of up to 64 KiB goes straight into the lent buffer, with room reserved just before.
fn receive_lent_in_reads(conn: &mut Connection, bytes: &[u8], now: Instant) {
    for read in bytes.chunks(64 * 1024) {
        let mut input = conn.lend_input().expect("large frames grew the buffer");
        input.reserve(64 * 1024);
        input.extend_from_slice(read);
        conn.receive_lent(input, || now);
    }
}

#[test]
fn frames_read_into_the_lent_buffer_come_out_whole_in_any_split() {
    let (mut s, now) = server();
    assert!(s.lend_input().is_none(), "small connections read elsewhere");
    receive_in_reads(&mut s, &from_client(true, 0x2, &vec![3; LARGE]), now);
    assert_eq!(binary_payload(s.poll_event()).len(), LARGE);
    // A large frame, a small one and a fragmented text message back to back, cut so that
    // headers and payloads straddle reads.
    let mut wire = from_client(true, 0x2, &vec![4; LARGE + 5]);
    wire.extend(from_client(true, 0x2, b"tiny"));
    wire.extend(from_client(false, 0x1, "é".repeat(40_000).as_bytes()));
    wire.extend(from_client(true, 0x0, b"!"));
    for cut in [1, 7, 4096, 65_535] {
        let (head, tail) = wire.split_at(cut);
        receive_lent_in_reads(&mut s, head, now);
        receive_lent_in_reads(&mut s, tail, now);
        let payload = binary_payload(s.poll_event());
        assert_eq!(payload.len(), LARGE + 5);
        assert!(payload.iter().all(|&b| b == 4));
        assert_eq!(binary_payload(s.poll_event()), &b"tiny"[..]);
        let expected = format!("{}!", "é".repeat(40_000));
        assert_eq!(
            s.poll_event(),
            Some(Event::Message(Message::Text(expected.into())))
        );
        assert_eq!(s.poll_event(), None);
    }
}

#[test]
fn a_failed_connection_lends_nothing_and_drops_what_comes_back() {
    let (mut s, now) = server();
    receive_in_reads(&mut s, &from_client(true, 0x2, &vec![3; LARGE]), now);
    let _ = s.poll_event();
    let mut input = s.lend_input().unwrap();
    // An unmasked client frame: a protocol error (1002).
    input.extend_from_slice(&[0x82, 0x01, 0xFF]);
    s.receive_lent(input, || now);
    assert!(s.lend_input().is_none());
    assert_eq!(s.inbuf.capacity(), 0);
}

#[test]
fn large_buffers_are_released_on_request_only_when_empty() {
    let (mut s, now) = server();
    assert!(!s.holds_large_buffers());
    receive_in_reads(&mut s, &from_client(true, 0x2, &vec![0; LARGE]), now);
    assert!(s.holds_large_buffers());
    // Half of the next frame is buffered: nothing is freed under it.
    let next = from_client(true, 0x2, &vec![1; LARGE]);
    let (head, tail) = next.split_at(LARGE / 2);
    receive_in_reads(&mut s, head, now);
    s.release_buffers();
    assert!(s.holds_large_buffers());
    receive_in_reads(&mut s, tail, now);
    assert_eq!(events(&mut s).len(), 2);
    s.release_buffers();
    assert!(!s.holds_large_buffers());
    assert_eq!(s.inbuf.capacity(), 0);
}

#[test]
fn a_broadcast_frame_is_shared_by_every_connection() {
    let frame = Bytes::from(crate::protocol::frame::encode_frame(
        OpCode::Binary,
        &[9; 8_000],
    ));
    for _ in 0..2 {
        let (mut s, _) = server();
        s.send_encoded_shared(frame.clone()).unwrap();
        let mut out = Output::new();
        assert!(s.poll_transmit_output(&mut out).is_some());
        assert_eq!(out.chunk().as_ptr(), frame.as_ptr(), "not copied");
        assert_eq!(out.len(), frame.len());
    }
    // A small frame is copied like any other.
    let (mut s, _) = server();
    s.send_encoded_shared(Bytes::from_static(&[0x81, 0x01, b'x']))
        .unwrap();
    assert_eq!(drain(&mut s).0, [0x81, 0x01, b'x']);
}
