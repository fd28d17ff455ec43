//! Frame output: encoding, masking and close frames.

use bytes::Bytes;

use super::connection::Connection;
use super::frame::{encode_header, FrameHeader, OpCode};
use super::mask::apply_mask;
use super::Role;
use crate::{CloseCode, CloseFrame};

impl Connection {
    /// Appends one complete frame to the output, masked when this side is the client.
    pub(super) fn write_frame(&mut self, opcode: OpCode, payload: &[u8]) {
        self.write_frame_with(opcode, payload, false);
    }

    /// As [`write_frame`](Self::write_frame), with RSV1 set as given (permessage-deflate).
    pub(super) fn write_frame_with(&mut self, opcode: OpCode, payload: &[u8], rsv1: bool) {
        let mask = match self.role {
            Role::Client => Some(self.next_random().to_ne_bytes()),
            Role::Server => None,
        };
        let header = FrameHeader {
            rsv1,
            mask,
            ..FrameHeader::complete(opcode, payload.len())
        };
        self.out.append_with(|out| {
            out.reserve(header.encoded_len() + payload.len());
            encode_header(&header, out);
            let start = out.len();
            out.extend_from_slice(payload);
            if let Some(mask) = mask {
                apply_mask(&mut out[start..], mask, 0);
            }
        });
    }

    /// Appends one complete unmasked (server) frame whose payload is queued by reference,
    /// not copied.
    pub(super) fn write_frame_shared(&mut self, opcode: OpCode, payload: Bytes) {
        debug_assert_eq!(self.role, Role::Server, "a client masks, so it copies");
        let header = FrameHeader::complete(opcode, payload.len());
        self.out.append_with(|out| encode_header(&header, out));
        self.out.push_shared(payload);
    }

    /// Queues a close frame and records what was sent.
    pub(super) fn send_close(&mut self, frame: Option<&CloseFrame>) {
        match frame {
            Some(frame) => {
                let mut payload = Vec::with_capacity(2 + frame.reason.len());
                payload.extend_from_slice(&frame.code.as_u16().to_be_bytes());
                payload.extend_from_slice(frame.reason.as_bytes());
                self.write_frame(OpCode::Close, &payload);
                self.sent_close = Some((frame.code, frame.reason.clone()));
            }
            None => {
                self.write_frame(OpCode::Close, &[]);
                self.sent_close = Some((CloseCode::NO_STATUS, String::new()));
            }
        }
    }
}
