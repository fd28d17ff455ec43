//! The frame header codec (RFC 6455 §5.2). Payloads are handled by the connection.

use crate::error::ProtocolError;

/// Frame opcodes (RFC 6455 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: first frame of a text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// Decodes a 4-bit opcode; reserved values are a protocol error (1002).
    pub fn from_u8(bits: u8) -> Result<Self, ProtocolError> {
        Ok(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            other => return Err(ProtocolError::ReservedOpcode(other)),
        })
    }

    /// The 4-bit wire value.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Whether this is a control opcode (close, ping, pong).
    pub fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// A parsed frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Final fragment of a message.
    pub fin: bool,
    /// RSV1 (permessage-deflate: "compressed").
    pub rsv1: bool,
    /// RSV2, reserved.
    pub rsv2: bool,
    /// RSV3, reserved.
    pub rsv3: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, when the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

/// The longest header: 2 bytes, an 8-byte length and a 4-byte mask.
pub const MAX_HEADER_LEN: usize = 14;

impl FrameHeader {
    /// The header of a whole (final, unfragmented) frame with no RSV bit and no mask: what
    /// a server sends.
    ///
    /// ```
    /// use squall::protocol::frame::{FrameHeader, OpCode};
    ///
    /// let header = FrameHeader::complete(OpCode::Text, 5);
    /// assert!(header.fin && header.mask.is_none() && !header.rsv1);
    /// assert_eq!(header.encoded_len(), 2);
    /// ```
    pub fn complete(opcode: OpCode, payload_len: usize) -> Self {
        Self {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: None,
            payload_len: payload_len as u64,
        }
    }

    /// The encoded length of this header.
    pub fn encoded_len(&self) -> usize {
        2 + match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        } + if self.mask.is_some() { 4 } else { 0 }
    }
}

/// Parses a frame header from the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, or the header and its length. Checks
/// here only what the header alone decides: reserved opcodes and 64-bit lengths with the
/// top bit set. The connection checks the rest (RSV bits, masking, control frame rules),
/// since those depend on the role and negotiated extensions.
#[inline]
pub fn parse_header(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    let opcode = OpCode::from_u8(b0 & 0x0F)?;
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut pos) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(b);
                let len = u64::from_be_bytes(bytes);
                if len >> 63 != 0 {
                    return Err(ProtocolError::InvalidPayloadLength);
                }
                (len, 10)
            }
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    let mask = if masked {
        let Some(b) = buf.get(pos..pos + 4) else {
            return Ok(None);
        };
        pos += 4;
        Some([b[0], b[1], b[2], b[3]])
    } else {
        None
    };
    let header = FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        rsv2: b0 & 0x20 != 0,
        rsv3: b0 & 0x10 != 0,
        opcode,
        mask,
        payload_len,
    };
    Ok(Some((header, pos)))
}

/// Appends the encoded `header` to `out`, using the shortest length form.
#[inline]
pub fn encode_header(header: &FrameHeader, out: &mut Vec<u8>) {
    let mut b0 = header.opcode.as_u8();
    for (flag, bit) in [
        (header.fin, 0x80),
        (header.rsv1, 0x40),
        (header.rsv2, 0x20),
        (header.rsv3, 0x10),
    ] {
        if flag {
            b0 |= bit;
        }
    }
    let mask_bit = if header.mask.is_some() { 0x80 } else { 0 };
    // Assembled on the stack and appended at once: one capacity check instead of one per
    // byte, on a path every message takes.
    let mut bytes = [0u8; MAX_HEADER_LEN];
    bytes[0] = b0;
    let mut len = 2;
    match header.payload_len {
        short @ 0..=125 => bytes[1] = mask_bit | short as u8,
        medium @ 126..=0xFFFF => {
            bytes[1] = mask_bit | 126;
            bytes[2..4].copy_from_slice(&(medium as u16).to_be_bytes());
            len = 4;
        }
        long => {
            bytes[1] = mask_bit | 127;
            bytes[2..10].copy_from_slice(&long.to_be_bytes());
            len = 10;
        }
    }
    if let Some(mask) = header.mask {
        bytes[len..len + 4].copy_from_slice(&mask);
        len += 4;
    }
    out.extend_from_slice(&bytes[..len]);
}

/// Encodes a complete, unmasked, unfragmented frame: what a server sends. Used to encode a
/// broadcast message once for every connection.
pub fn encode_frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let header = FrameHeader::complete(opcode, payload.len());
    let mut out = Vec::with_capacity(header.encoded_len() + payload.len());
    encode_header(&header, &mut out);
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opcode: OpCode, len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: len,
        }
    }

    #[test]
    fn rfc_examples_parse() {
        // RFC 6455 §5.7: unmasked "Hello", masked "Hello", 256-byte and 64 KiB binary.
        let (h, n) = parse_header(&[0x81, 0x05, 0x48]).unwrap().unwrap();
        assert_eq!(
            (h.opcode, h.fin, h.payload_len, h.mask, n),
            (OpCode::Text, true, 5, None, 2)
        );
        let (h, n) = parse_header(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d])
            .unwrap()
            .unwrap();
        assert_eq!((h.mask, n), (Some([0x37, 0xfa, 0x21, 0x3d]), 6));
        let (h, n) = parse_header(&[0x82, 0x7E, 0x01, 0x00]).unwrap().unwrap();
        assert_eq!((h.opcode, h.payload_len, n), (OpCode::Binary, 256, 4));
        let bytes = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
        let (h, n) = parse_header(&bytes).unwrap().unwrap();
        assert_eq!((h.payload_len, n), (65536, 10));
        // Unfragmented ping "Hello" and its masked pong.
        let (h, _) = parse_header(&[0x89, 0x05]).unwrap().unwrap();
        assert_eq!(h.opcode, OpCode::Ping);
        let (h, _) = parse_header(&[0x8a, 0x85, 1, 2, 3, 4]).unwrap().unwrap();
        assert_eq!(h.opcode, OpCode::Pong);
        // First fragment of a text message ("Hel", FIN clear), then its continuation.
        let (h, _) = parse_header(&[0x01, 0x03]).unwrap().unwrap();
        assert!(!h.fin);
        let (h, _) = parse_header(&[0x80, 0x02]).unwrap().unwrap();
        assert_eq!((h.opcode, h.fin), (OpCode::Continuation, true));
    }

    #[test]
    fn every_prefix_needs_more() {
        let full = [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 9, 9, 9, 9];
        for len in 0..full.len() {
            assert_eq!(parse_header(&full[..len]), Ok(None), "prefix {len}");
        }
        assert!(parse_header(&full).unwrap().is_some());
    }

    #[test]
    fn top_bit_of_64_bit_length_is_rejected() {
        let bytes = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            parse_header(&bytes),
            Err(ProtocolError::InvalidPayloadLength)
        );
        // 2^63 - 1 is a legal length (the connection rejects it as too big).
        let bytes = [0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(
            parse_header(&bytes).unwrap().unwrap().0.payload_len,
            i64::MAX as u64
        );
    }

    #[test]
    fn reserved_opcodes_are_rejected() {
        for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            assert_eq!(
                parse_header(&[0x80 | op, 0]),
                Err(ProtocolError::ReservedOpcode(op))
            );
        }
    }

    #[test]
    fn rsv_bits_are_reported() {
        let (h, _) = parse_header(&[0xC1, 0x00]).unwrap().unwrap();
        assert!(h.rsv1 && !h.rsv2 && !h.rsv3);
        let (h, _) = parse_header(&[0xB1, 0x00]).unwrap().unwrap();
        assert!(!h.rsv1 && h.rsv2 && h.rsv3);
    }

    #[test]
    fn encode_round_trips_with_shortest_length() {
        for (len, expected_len) in [
            (0, 2),
            (125, 2),
            (126, 4),
            (65535, 4),
            (65536, 10),
            (1 << 40, 10),
        ] {
            for mask in [None, Some([9, 8, 7, 6])] {
                let h = header(OpCode::Binary, len, mask);
                let mut out = Vec::new();
                encode_header(&h, &mut out);
                let extra = if mask.is_some() { 4 } else { 0 };
                assert_eq!(out.len(), expected_len + extra);
                assert_eq!(out.len(), h.encoded_len());
                assert_eq!(parse_header(&out), Ok(Some((h, out.len()))));
            }
        }
        let mut out = Vec::new();
        encode_header(&header(OpCode::Text, 5, None), &mut out);
        assert_eq!(out, [0x81, 0x05]);
    }
}
