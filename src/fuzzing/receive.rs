//! `receive_server` and `receive_client`: the connection core fed arbitrary bytes.

use std::time::Instant;

use bytes::Bytes;

use super::input::{chunks, layout};
use crate::protocol::deflate::DeflateParams;
use crate::protocol::frame::{parse_header, FrameHeader, OpCode};
use crate::protocol::{
    Closed, Config, Connection, Event, Role, State, Transmit, DEFAULT_MAX_MESSAGE_SIZE,
    MAX_CONTROL_PAYLOAD,
};
use crate::{CloseCode, CloseFrame, CompressionOptions, Message, MAX_CLOSE_REASON_LEN};

/// The codes [`Failure::close_code`](crate::Failure::close_code) can give.
const FAILURE_CODES: [CloseCode; 4] = [
    CloseCode::PROTOCOL_ERROR,
    CloseCode::INVALID_PAYLOAD,
    CloseCode::MESSAGE_TOO_BIG,
    CloseCode::INTERNAL_ERROR,
];

/// `extra` bit: the local side sends `close(1000, "bye")` before any input arrives.
const CLOSE_FIRST: u8 = 1;
/// `extra` bit: the local side sends `ping("fuzz")` before any input arrives.
const PING_FIRST: u8 = 2;
/// The payload of that ping.
const PING_PAYLOAD: &[u8] = b"fuzz";

/// Feeds a server connection arbitrary bytes, then EOF, and checks what came out.
///
/// Input layout: `[flags, count, lengths.., stream..]`.
/// - `flags` bit 0: permessage-deflate negotiated; bits 1 and 2: server and client
///   `no_context_takeover`; bits 3-4: `max_message_size` 10 MiB, 64 KiB, 125 bytes or none;
///   bit 5: `max_frame_size` 256; bits 6-7: both window sizes 15, 8, 9 or 12 bits.
/// - `count`: its low nibble is how many chunk-length bytes follow (a byte `b` is a chunk
///   of `b + 1` bytes, cycled; none means the stream arrives whole); its high nibble holds
///   commands issued before any input: bit 0 `close(1000, "bye")`, bit 1 `ping("fuzz")`.
///
/// Invariants, besides "no panic":
/// - after `receive_eof`, exactly one `Event::Closed` was emitted, and last; its code is
///   one a peer may send (1000-1003, 1007-1014, 3000-4999) or the local 1005 or 1006;
/// - every byte sent parses as whole control frames, masked only by a client, with at most
///   one close frame, last; every ping received while open was answered by one pong with
///   its payload, in order;
/// - a failure (`Closed::error`) closed with `Failure::close_code` (1002, 1007, 1009
///   or 1011) and sent a close frame with that code; a peer's close was echoed with its
///   code; an EOF without a close handshake reads 1006 and sent no close frame;
/// - the server half-closes (`Transmit::Eof`) exactly when a close frame went out and the
///   connection did not just drop, and writes nothing after it; the client never does
///   before its timer;
/// - no message exceeds `max_message_size`; afterwards the connection is finished,
///   refuses to send and ignores input;
/// - the stream cut into the input's chunks gives the same events and bytes as whole.
pub fn receive_server(data: &[u8]) {
    receive(Role::Server, data);
}

/// As [`receive_server`], for a client connection.
pub fn receive_client(data: &[u8]) {
    receive(Role::Client, data);
}

fn receive(role: Role, data: &[u8]) {
    let input = layout(data);
    let config = config(input.flags);
    let commands = input.extra;
    let now = Instant::now();
    let split = drive(
        role,
        &config,
        commands,
        chunks(input.rest, input.lengths),
        now,
    );
    check(role, &config, commands, &split);
    if !input.lengths.is_empty() {
        let whole = drive(role, &config, commands, chunks(input.rest, &[]), now);
        assert_eq!(
            split, whole,
            "cutting the stream into chunks changed the outcome"
        );
    }
}

fn config(flags: u8) -> Config {
    let window = [15, 8, 9, 12][usize::from(flags >> 6)];
    let deflate = (flags & 1 != 0).then(|| {
        let params = DeflateParams {
            server_no_context_takeover: flags & 2 != 0,
            client_no_context_takeover: flags & 4 != 0,
            server_max_window_bits: window,
            client_max_window_bits: window,
        };
        (params, CompressionOptions::default())
    });
    Config {
        max_message_size: [
            Some(DEFAULT_MAX_MESSAGE_SIZE),
            Some(64 * 1024),
            Some(125),
            None,
        ][usize::from((flags >> 3) & 3)],
        max_frame_size: (flags & 0x20 != 0).then_some(256),
        mask_seed: Some([0x5a; 32]),
        deflate,
        ..Config::default()
    }
}

/// What a connection produced over one run.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<Event>,
    /// Every byte handed out by `poll_transmit`.
    sent: Vec<u8>,
    /// How many bytes had been sent when `Transmit::Eof` came, if it did.
    eof_at: Option<usize>,
}

fn drive<'a>(
    role: Role,
    config: &Config,
    commands: u8,
    input: impl Iterator<Item = &'a [u8]>,
    now: Instant,
) -> Outcome {
    let mut conn = Connection::new(role, config.clone(), now);
    let mut outcome = Outcome {
        events: Vec::new(),
        sent: Vec::new(),
        eof_at: None,
    };
    if commands & PING_FIRST != 0 {
        let id = conn.ping(Bytes::from_static(PING_PAYLOAD));
        assert!(matches!(id, Ok(0)), "the first ping got {id:?}");
    }
    if commands & CLOSE_FIRST != 0 {
        let frame = CloseFrame {
            code: CloseCode::NORMAL,
            reason: "bye".to_owned(),
        };
        let result = conn.close(Some(frame), now);
        assert!(result.is_ok(), "close on an open connection: {result:?}");
        assert_eq!(conn.state(), State::Closing);
    }
    drain(&mut conn, &mut outcome);
    for chunk in input {
        conn.receive(chunk, now);
        drain(&mut conn, &mut outcome);
    }
    conn.receive_eof();
    drain(&mut conn, &mut outcome);

    // Afterwards: closed, finished, deaf and mute.
    let closed = match outcome.events.last() {
        Some(Event::Closed(closed)) => closed.clone(),
        _ => panic!(
            "no Event::Closed last after receive_eof: {:?}",
            outcome.events
        ),
    };
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(conn.closed(), Some(&closed));
    assert_eq!(conn.closed().map(|c| c.code), Some(closed.code));
    assert!(!conn.wants_read(), "wants to read after EOF");
    assert!(conn.is_finished(), "not finished after EOF and draining");
    assert!(
        conn.send(&Message::from("late")).is_err(),
        "sent after close"
    );
    conn.receive(&[0x81, 0x00], now);
    let mut late = Vec::new();
    assert_eq!(conn.poll_transmit(&mut late), None, "output after close");
    assert_eq!(conn.poll_event(), None, "an event after Event::Closed");
    outcome
}

/// Drains the output methods in the documented order.
fn drain(conn: &mut Connection, outcome: &mut Outcome) {
    while let Some(transmit) = conn.poll_transmit(&mut outcome.sent) {
        assert!(outcome.eof_at.is_none(), "output after Transmit::Eof");
        match transmit {
            Transmit::Data => {}
            Transmit::Eof => outcome.eof_at = Some(outcome.sent.len()),
        }
    }
    let _ = conn.poll_timeout();
    while let Some(event) = conn.poll_event() {
        outcome.events.push(event);
    }
}

fn check(role: Role, config: &Config, commands: u8, outcome: &Outcome) {
    let Outcome {
        events,
        sent,
        eof_at,
    } = outcome;
    let closes = events
        .iter()
        .filter(|event| matches!(event, Event::Closed(_)))
        .count();
    assert_eq!(
        closes, 1,
        "Event::Closed emitted {closes} times: {events:?}"
    );
    let Some(Event::Closed(closed)) = events.last() else {
        panic!("Event::Closed is not the last event: {events:?}");
    };
    let code = closed.code;
    assert!(
        code.is_sendable() || code == CloseCode::NO_STATUS || code == CloseCode::ABNORMAL,
        "closed with undocumented code {code}"
    );

    let mut pings = Vec::new();
    let mut acknowledged = 0;
    for event in events {
        match event {
            Event::Message(message) => {
                if let Some(limit) = config.max_message_size {
                    assert!(message.len() <= limit, "a message over max_message_size");
                }
            }
            Event::Ping(payload) => pings.push(payload.as_ref()),
            Event::Pong {
                payload,
                acknowledged: Some(id),
            } => {
                assert!(commands & PING_FIRST != 0 && *id == 0 && payload == PING_PAYLOAD);
                acknowledged += 1;
            }
            Event::Pong { .. } | Event::Closed(_) => {}
        }
    }
    assert!(acknowledged <= 1, "one ping acknowledged twice");

    let frames = sent_frames(role, sent);
    let pongs: Vec<&[u8]> = frames
        .iter()
        .filter(|(header, _)| header.opcode == OpCode::Pong)
        .map(|(_, payload)| payload.as_slice())
        .collect();
    if commands & CLOSE_FIRST == 0 {
        assert_eq!(pongs, pings, "pings and pongs do not match");
    } else {
        assert!(pongs.is_empty(), "a pong after sending close");
    }
    let our_pings = frames
        .iter()
        .filter(|(header, _)| header.opcode == OpCode::Ping)
        .count();
    assert_eq!(our_pings, usize::from(commands & PING_FIRST != 0));
    let close_frames: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, (header, _))| header.opcode == OpCode::Close)
        .map(|(index, _)| index)
        .collect();
    assert!(
        close_frames.len() <= 1,
        "{} close frames",
        close_frames.len()
    );
    let close_sent = close_frames.first().map(|&index| {
        assert_eq!(index, frames.len() - 1, "a frame after the close frame");
        close_payload(&frames[index].1)
    });

    check_closed(closed, commands, close_sent.as_ref());

    let half_closes = role == Role::Server && (closed.clean || closed.error.is_some());
    assert_eq!(
        eof_at.is_some(),
        half_closes,
        "Transmit::Eof {} for {closed:?}",
        if half_closes { "missing" } else { "unexpected" }
    );
    if let Some(at) = eof_at {
        assert_eq!(*at, sent.len(), "bytes sent after Transmit::Eof");
    }
}

/// How the connection ended must match the close frames exchanged.
fn check_closed(closed: &Closed, commands: u8, close_sent: Option<&Option<(CloseCode, String)>>) {
    let closed_first = commands & CLOSE_FIRST != 0;
    if closed_first {
        let ours = Some((CloseCode::NORMAL, "bye".to_owned()));
        assert_eq!(close_sent, Some(&ours), "our close frame changed");
    }
    match (&closed.error, closed.by_peer, closed.clean) {
        // This side failed the connection.
        (Some(error), false, false) => {
            let code = error.close_code();
            assert_eq!(closed.code, code, "Closed::code is not the error's");
            assert!(FAILURE_CODES.contains(&code), "{error:?} maps to {code}");
            if !closed_first {
                let Some(Some((sent, _))) = close_sent else {
                    panic!("failed with {error:?} without sending a close code");
                };
                assert_eq!(*sent, code, "sent a close code other than the error's");
            }
        }
        // The peer started the close handshake: its code is echoed.
        (None, true, true) => {
            assert!(!closed_first, "the peer's close taken for an answer");
            match close_sent {
                Some(None) => assert_eq!(closed.code, CloseCode::NO_STATUS),
                Some(Some((code, reason))) => {
                    assert_eq!(*code, closed.code, "echoed another code");
                    assert!(reason.is_empty(), "echo with a reason");
                }
                None => panic!("the peer's close was not echoed"),
            }
        }
        // The peer answered our close.
        (None, false, true) => {
            assert!(closed_first, "a clean close this side did not start");
            assert_eq!(
                (closed.code, closed.reason.as_str()),
                (CloseCode::NORMAL, "bye")
            );
        }
        // TCP closed without a close frame from the peer.
        (None, true, false) => {
            assert_eq!(closed.code, CloseCode::ABNORMAL);
            assert!(
                closed_first || close_sent.is_none(),
                "close frame sent on a dropped connection"
            );
        }
        _ => panic!("inconsistent {closed:?}"),
    }
}

/// Parses what the core sent: whole, valid control frames only (nothing else is sent here).
fn sent_frames(role: Role, mut bytes: &[u8]) -> Vec<(FrameHeader, Vec<u8>)> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let Ok(Some((header, header_len))) = parse_header(bytes) else {
            panic!("sent bytes that do not start a frame: {bytes:02x?}");
        };
        let end = usize::try_from(header.payload_len)
            .ok()
            .and_then(|len| len.checked_add(header_len))
            .filter(|&end| end <= bytes.len())
            .unwrap_or_else(|| panic!("sent a truncated frame: {header:?}"));
        let mut payload = bytes[header_len..end].to_vec();
        match (role, header.mask) {
            (Role::Client, Some(mask)) => {
                for (index, byte) in payload.iter_mut().enumerate() {
                    *byte ^= mask[index % 4];
                }
            }
            (Role::Server, None) => {}
            _ => panic!("{role:?} sent a frame with the wrong masking: {header:?}"),
        }
        assert!(
            header.fin && !header.rsv1 && !header.rsv2 && !header.rsv3,
            "sent bad flags: {header:?}"
        );
        assert!(
            header.opcode.is_control() && payload.len() <= MAX_CONTROL_PAYLOAD,
            "sent an unexpected frame: {header:?}"
        );
        frames.push((header, payload));
        bytes = &bytes[end..];
    }
    frames
}

/// A sent close payload: `None` when empty, else a sendable code and a UTF-8 reason.
fn close_payload(payload: &[u8]) -> Option<(CloseCode, String)> {
    let [hi, lo, reason @ ..] = payload else {
        assert!(payload.is_empty(), "sent a one-byte close payload");
        return None;
    };
    let code = CloseCode::from(u16::from_be_bytes([*hi, *lo]));
    assert!(code.is_sendable(), "sent close code {code}");
    assert!(reason.len() <= MAX_CLOSE_REASON_LEN);
    let Ok(reason) = std::str::from_utf8(reason) else {
        panic!("sent a close reason that is not UTF-8: {reason:02x?}");
    };
    Some((code, reason.to_owned()))
}
