//! Byte-level tests of the protocol core.

mod buffers;
mod close;
#[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
mod deflate;
mod frames;
mod pair;
mod ping;
mod strict;
mod violations;

use std::time::Instant;

use super::frame::{encode_header, FrameHeader, OpCode};
use super::mask::apply_mask;
use super::{Config, Connection, Event, Role, Transmit};
use crate::{CloseCode, Failure, Message, ProtocolError};

/// A fixed seed, so client masks are the same on every run.
pub(super) const SEED: [u8; 32] = [7; 32];

pub(super) fn config() -> Config {
    Config {
        mask_seed: Some(SEED),
        ..Config::default()
    }
}

pub(super) fn server() -> (Connection, Instant) {
    let now = Instant::now();
    (Connection::new(Role::Server, config(), now), now)
}

pub(super) fn client() -> (Connection, Instant) {
    let now = Instant::now();
    (Connection::new(Role::Client, config(), now), now)
}

/// Encodes a frame the way a peer would: masked with a fixed key when `masked`.
pub(super) fn frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask = masked.then_some([0xA1, 0xB2, 0xC3, 0xD4]);
    let header = FrameHeader {
        fin,
        rsv1: rsv & 4 != 0,
        rsv2: rsv & 2 != 0,
        rsv3: rsv & 1 != 0,
        opcode: OpCode::from_u8(opcode).unwrap_or(OpCode::Binary),
        mask,
        payload_len: payload.len() as u64,
    };
    let mut out = Vec::new();
    encode_header(&header, &mut out);
    out[0] = (out[0] & 0xF0) | opcode;
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(mask) = mask {
        apply_mask(&mut out[start..], mask, 0);
    }
    out
}

/// A frame from a client (masked), as the server receives it.
pub(super) fn from_client(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame(fin, 0, opcode, payload, true)
}

/// Everything the connection wants to send, and whether it asked for EOF after it.
pub(super) fn drain(conn: &mut Connection) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut eof = false;
    while let Some(t) = conn.poll_transmit(&mut out) {
        eof |= t == Transmit::Eof;
    }
    (out, eof)
}

pub(super) fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Decodes the frames a server sent (unmasked) into (opcode, payload) pairs.
pub(super) fn server_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while let Some((h, n)) = super::frame::parse_header(bytes).unwrap() {
        assert!(h.mask.is_none(), "server frames are never masked");
        let len = h.payload_len as usize;
        frames.push((h.opcode.as_u8(), bytes[n..n + len].to_vec()));
        bytes = &bytes[n + len..];
    }
    assert!(bytes.is_empty(), "trailing bytes");
    frames
}

/// Asserts that `conn` failed with `code`: it sent exactly that close frame, asked for EOF
/// (server) and reported one `Closed` event carrying `error`.
pub(super) fn assert_failed(conn: &mut Connection, code: u16, error: impl Into<Failure>) {
    let (out, eof) = drain(conn);
    let frames = server_frames(&out);
    let (opcode, payload) = frames.last().expect("a close frame");
    assert_eq!(*opcode, 0x8);
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), code);
    assert!(eof, "the server closes TCP after failing");
    let closed = events(conn)
        .into_iter()
        .find_map(|e| match e {
            Event::Closed(c) => Some(c),
            _ => None,
        })
        .expect("a Closed event");
    assert_eq!(closed.code, CloseCode::from(code));
    assert_eq!(closed.error, Some(error.into()));
    assert!(!closed.clean);
    assert!(conn.is_finished());
}

pub(super) fn text(s: &str) -> Event {
    Event::Message(Message::from(s))
}
