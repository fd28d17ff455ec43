//! `inflate`: the permessage-deflate decompressor, with its output cap.

use std::time::Instant;

use crate::protocol::deflate::{DeflateError, DeflateParams, PerMessageDeflate};
use crate::protocol::frame::{encode_header, FrameHeader, OpCode};
use crate::protocol::{Config, Connection, Event, Role};
use crate::{CompressionOptions, Message};

/// Output caps, picked by the low three bits of the input's second byte (its high five
/// bits are added).
const CAPS: [usize; 8] = [0, 1, 16, 125, 1000, 4096, 65_536, 1 << 20];

/// Most frames one input is cut into; the rest of the data goes in the last one.
const MAX_FRAMES: usize = 64;

/// Inflates arbitrary bytes as the frames of compressed messages, under a cap, and
/// round-trips the same bytes through the compressor.
///
/// Input layout: `[flags, cap, count, descriptors.., data..]`.
/// - `flags` bit 0: `no_context_takeover`; bits 1-3: window bits 8 + n (8 to 15);
///   bits 4-7: compression level (mod 10) for the round trip.
/// - `cap`: the output cap, `CAPS[cap & 7] + (cap >> 3)` with `CAPS` 0, 1, 16, 125, 1000,
///   4096, 64 KiB and 1 MiB.
/// - `count`: the low nibble counts the descriptor bytes, cycled to cut the data into
///   frames: a descriptor `d` is a frame of `(d & 0x7f) * 4` bytes that ends its message
///   when `d & 0x80` is set; the last frame (the rest) always ends one. The high nibble
///   chooses the memory level, 1 + n mod 9, for the round trip.
///
/// Invariants:
/// - the output never exceeds the cap, and the output buffer's capacity never grows past
///   it, whatever the input;
/// - the cap changes nothing but the cut-off: a message inflated under the cap is the
///   same as without one; one refused as too big inflates, without a cap, to more than
///   the cap (or is corrupt further on); corrupt data is corrupt with or without a cap;
/// - every frame, taken as a message, compresses and inflates back to itself, split across
///   two frames and with the cap set to its exact length, with context takeover across
///   messages;
/// - a server connection whose `max_message_size` is the longest message's length
///   accepts each of those compressed messages as a frame: the wire-size check made
///   before inflating leaves room for deflate's overhead.
pub fn inflate(data: &[u8]) {
    let [flags, cap, count, rest @ ..] = data else {
        return;
    };
    let (descriptors, stream) = rest.split_at(usize::from(count & 0x0F).min(rest.len()));
    let params = DeflateParams {
        server_no_context_takeover: flags & 1 != 0,
        client_no_context_takeover: flags & 1 != 0,
        server_max_window_bits: 8 + ((flags >> 1) & 7),
        client_max_window_bits: 8 + ((flags >> 1) & 7),
    };
    let opts = CompressionOptions::default()
        .compression_level((flags >> 4) % 10)
        .mem_level(1 + (count >> 4) % 9)
        .threshold(0);
    let cap = CAPS[usize::from(cap & 7)] + usize::from(cap >> 3);
    let frames = frames(stream, descriptors);
    inflate_capped(&frames, &params, &opts, cap);
    round_trip(&frames, &params, &opts);
}

/// Cuts `stream` into (payload, ends the message) frames.
fn frames<'a>(mut stream: &'a [u8], descriptors: &[u8]) -> Vec<(&'a [u8], bool)> {
    let mut frames = Vec::new();
    for &descriptor in descriptors.iter().cycle().take(MAX_FRAMES - 1) {
        if stream.is_empty() {
            break;
        }
        let len = usize::from(descriptor & 0x7f) * 4;
        let (frame, rest) = stream.split_at(len.min(stream.len()));
        frames.push((frame, descriptor & 0x80 != 0));
        stream = rest;
    }
    frames.push((stream, true));
    frames
}

/// Inflates the frames as a server would, under `cap` and beside an uncapped reference.
fn inflate_capped(
    frames: &[(&[u8], bool)],
    params: &DeflateParams,
    opts: &CompressionOptions,
    cap: usize,
) {
    let mut capped = PerMessageDeflate::new(Role::Server, params, opts);
    let mut reference = PerMessageDeflate::new(Role::Server, params, opts);
    let (mut out, mut expected) = (Vec::new(), Vec::new());
    for &(payload, fin) in frames {
        let result = capped.decompress(payload, fin, &mut out, cap);
        assert!(
            out.len() <= cap,
            "inflated {} bytes over a cap of {cap}",
            out.len()
        );
        assert!(
            out.capacity() <= cap,
            "grew the buffer to {} bytes with a cap of {cap}",
            out.capacity()
        );
        let unlimited = reference.decompress(payload, fin, &mut expected, usize::MAX);
        match result {
            Ok(()) => {
                assert_eq!(unlimited, Ok(()), "the cap hid an error");
                assert!(out == expected, "the cap changed the output");
            }
            Err(DeflateError::TooBig) => {
                assert!(
                    unlimited.is_err() || expected.len() > cap,
                    "too big under a cap of {cap}, yet only {} bytes without one",
                    expected.len()
                );
                return;
            }
            Err(DeflateError::Corrupt) => {
                assert_eq!(
                    unlimited,
                    Err(DeflateError::Corrupt),
                    "the cap made data corrupt"
                );
                return;
            }
        }
        if fin {
            out.clear();
            expected.clear();
        }
    }
}

/// Compresses each frame as a message and inflates it back, through the codec and
/// through a server connection.
fn round_trip(frames: &[(&[u8], bool)], params: &DeflateParams, opts: &CompressionOptions) {
    let mut sender = PerMessageDeflate::new(Role::Client, params, opts);
    let mut receiver = PerMessageDeflate::new(Role::Server, params, opts);
    // The server's limit is the longest message's length.
    let limit = frames.iter().map(|(message, _)| message.len()).max();
    let now = Instant::now();
    let config = Config {
        max_message_size: limit,
        deflate: Some((*params, opts.clone())),
        ..Config::default()
    };
    let mut server = Connection::new(Role::Server, config, now);
    for &(message, _) in frames {
        let mut compressed = Vec::new();
        sender.compress(message, &mut compressed);
        let (first, second) = compressed.split_at(compressed.len() / 2);
        let mut out = Vec::new();
        let result = receiver
            .decompress(first, false, &mut out, message.len())
            .and_then(|()| receiver.decompress(second, true, &mut out, message.len()));
        assert_eq!(result, Ok(()), "our own compressed message did not inflate");
        assert!(out == message, "the round trip changed the message");

        // The same bytes as a client's frame (masked with a zero key, which changes nothing).
        let header = FrameHeader {
            fin: true,
            rsv1: true,
            rsv2: false,
            rsv3: false,
            opcode: OpCode::Binary,
            mask: Some([0; 4]),
            payload_len: compressed.len() as u64,
        };
        let mut frame = Vec::with_capacity(header.encoded_len() + compressed.len());
        encode_header(&header, &mut frame);
        frame.extend_from_slice(&compressed);
        server.receive(&frame, now);
        let event = server.poll_event();
        assert!(
            matches!(&event, Some(Event::Message(Message::Binary(got))) if got == message),
            "a {}-byte message compressed to {} bytes was refused under a limit of {limit:?}: \
             {event:?}",
            message.len(),
            compressed.len()
        );
    }
}
