//! `frame_header`: the frame header codec.

use crate::protocol::frame::{encode_header, parse_header, FrameHeader, OpCode, MAX_HEADER_LEN};
use crate::{CloseCode, ProtocolError};

/// Parses arbitrary bytes as a frame header, and encodes a header built from them.
///
/// Input: the bytes as they would arrive (no settings).
///
/// Invariants:
/// - a parsed header took at most 14 bytes and at least its shortest encoding; those bytes
///   alone parse the same, and every shorter prefix needs more bytes;
/// - `encode_header(parse_header(x))` is the header's shortest encoding and parses back to
///   the same header; when `x` used the shortest encoding, it is `x` byte for byte;
/// - "more bytes needed" only under 14 bytes, and never once 14 bytes are there;
/// - errors are the two the header alone decides (reserved opcode, 64-bit length with its
///   top bit set), close with 1002, and stay the same whatever bytes follow;
/// - any header (valid opcode, length under 2^63) encodes and parses back to itself.
pub fn frame_header(data: &[u8]) {
    match parse_header(data) {
        Ok(Some((header, len))) => {
            assert!(
                len <= data.len() && len <= MAX_HEADER_LEN,
                "took {len} bytes"
            );
            assert!(
                len >= header.encoded_len(),
                "took fewer bytes than it needs"
            );
            assert_eq!(header.payload_len >> 63, 0, "a length of 2^63 or more");
            assert_eq!(parse_header(&data[..len]), Ok(Some((header, len))));
            for end in 0..len {
                assert_eq!(parse_header(&data[..end]), Ok(None), "prefix of {end}");
            }
            let encoded = round_trip(&header);
            if len == encoded.len() {
                assert_eq!(encoded, data[..len], "re-encoding changed the bytes");
            }
        }
        Ok(None) => {
            assert!(data.len() < MAX_HEADER_LEN, "needs more than 14 bytes");
            let mut padded = data.to_vec();
            padded.resize(MAX_HEADER_LEN, 0);
            assert_ne!(parse_header(&padded), Ok(None), "14 bytes are not enough");
        }
        Err(error) => {
            assert!(
                matches!(
                    error,
                    ProtocolError::ReservedOpcode(_) | ProtocolError::InvalidPayloadLength
                ),
                "unexpected header error {error:?}"
            );
            assert_eq!(error.close_code(), CloseCode::PROTOCOL_ERROR);
            let mut longer = data.to_vec();
            longer.extend_from_slice(&[0xff; MAX_HEADER_LEN]);
            assert_eq!(
                parse_header(&longer),
                Err(error),
                "more bytes changed the error"
            );
        }
    }
    if let Some(header) = header_from(data) {
        round_trip(&header);
    }
}

/// Encodes `header`, checks that it parses back to itself, and returns the bytes.
fn round_trip(header: &FrameHeader) -> Vec<u8> {
    let mut encoded = Vec::new();
    encode_header(header, &mut encoded);
    assert_eq!(encoded.len(), header.encoded_len(), "encoded_len is wrong");
    assert_eq!(
        parse_header(&encoded),
        Ok(Some((*header, encoded.len()))),
        "{header:?} does not round-trip"
    );
    encoded
}

/// A valid header made of the input bytes: flags and opcode from the first, mask and
/// length form from the second, the length from the next eight.
fn header_from(data: &[u8]) -> Option<FrameHeader> {
    const OPCODES: [OpCode; 6] = [
        OpCode::Continuation,
        OpCode::Text,
        OpCode::Binary,
        OpCode::Close,
        OpCode::Ping,
        OpCode::Pong,
    ];
    let [b0, b1, rest @ ..] = data else {
        return None;
    };
    let mut length = [0; 8];
    for (to, from) in length.iter_mut().zip(rest) {
        *to = *from;
    }
    let raw = u64::from_be_bytes(length) >> 1;
    Some(FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        rsv2: b0 & 0x20 != 0,
        rsv3: b0 & 0x10 != 0,
        opcode: OPCODES[usize::from(b0 & 0x0F) % OPCODES.len()],
        mask: (b1 & 0x80 != 0).then_some([*b0, *b1, b0 ^ b1, 0x5a]),
        payload_len: match b1 & 3 {
            0 => raw % 126,
            1 => raw % 0x1_0000,
            _ => raw,
        },
    })
}
