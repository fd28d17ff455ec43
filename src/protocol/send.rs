//! The application's commands (send, ping, close) and frame output: encoding, masking
//! and close frames.

use std::time::Instant;

use bytes::Bytes;

use super::connection::{Connection, State, MAX_CONTROL_PAYLOAD};
use super::frame::{encode_header, FrameHeader, OpCode};
use super::mask::apply_mask;
use super::output::SHARE_THRESHOLD;
use super::Role;
use crate::{CloseCode, CloseFrame, Error, Message, WebSocketClosedError};

impl Connection {
    /// Queues a text or binary message as one frame, compressed when permessage-deflate
    /// was negotiated and the message is at least the compression threshold long.
    ///
    /// # Errors
    /// [`WebSocketClosedError`] once a close frame was sent or received.
    pub fn send(&mut self, message: &Message) -> Result<(), WebSocketClosedError> {
        self.send_with(message, true)
    }

    /// As [`send`](Self::send); `compress: false` sends this message uncompressed even
    /// when permessage-deflate is on (for data that is already compressed).
    ///
    /// # Errors
    /// [`WebSocketClosedError`] once a close frame was sent or received.
    pub(crate) fn send_with(
        &mut self,
        message: &Message,
        compress: bool,
    ) -> Result<(), WebSocketClosedError> {
        if self.state != State::Open {
            return Err(WebSocketClosedError);
        }
        let opcode = if message.is_text() {
            OpCode::Text
        } else {
            OpCode::Binary
        };
        let payload = message.as_bytes();
        #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
        if let Some(deflate) = self
            .deflate
            .as_mut()
            .filter(|d| compress && payload.len() >= d.threshold())
        {
            let mut compressed = std::mem::take(&mut self.scratch);
            compressed.clear();
            deflate.compress(payload, &mut compressed);
            self.write_frame_with(opcode, &compressed, true);
            self.scratch = compressed;
            return Ok(());
        }
        #[cfg(not(all(feature = "deflate", not(target_arch = "wasm32"))))]
        let _ = compress;
        self.write_frame(opcode, payload);
        Ok(())
    }

    /// As [`send_with`](Self::send_with), taking the message by value: a server sends a
    /// large uncompressed payload from where it lies (see [`Output`](super::output::Output)) instead of copying it.
    ///
    /// # Errors
    /// [`WebSocketClosedError`] once a close frame was sent or received.
    #[inline]
    pub(crate) fn send_message(
        &mut self,
        message: Message,
        compress: bool,
    ) -> Result<(), WebSocketClosedError> {
        let shareable = self.role == Role::Server
            && message.len() >= SHARE_THRESHOLD
            && !self.compresses(message.len(), compress);
        if !shareable || self.state != State::Open {
            return self.send_with(&message, compress);
        }
        let opcode = if message.is_text() {
            OpCode::Text
        } else {
            OpCode::Binary
        };
        self.write_frame_shared(opcode, message.into_bytes());
        Ok(())
    }

    /// Whether a message of `len` bytes goes out compressed.
    #[cfg_attr(
        not(all(feature = "deflate", not(target_arch = "wasm32"))),
        allow(clippy::unused_self)
    )]
    fn compresses(&self, len: usize, compress: bool) -> bool {
        #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
        return compress && self.deflate.as_ref().is_some_and(|d| len >= d.threshold());
        #[cfg(not(all(feature = "deflate", not(target_arch = "wasm32"))))]
        {
            let _ = (len, compress);
            false
        }
    }

    /// Whether permessage-deflate is in force.
    pub(crate) fn is_compressed(&self) -> bool {
        #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
        return self.deflate.is_some();
        #[cfg(not(all(feature = "deflate", not(target_arch = "wasm32"))))]
        false
    }

    /// Queues a frame encoded once for many server connections (see
    /// [`frame::encode_frame`](super::frame::encode_frame)), as a broadcast does.
    ///
    /// # Errors
    /// [`WebSocketClosedError`] once a close frame was sent or received.
    ///
    /// # Panics
    /// In debug builds, if this side is a client: clients must mask each frame themselves.
    pub fn send_encoded(&mut self, frame: &[u8]) -> Result<(), WebSocketClosedError> {
        self.check_encoded_send()?;
        self.out.extend_from_slice(frame);
        Ok(())
    }

    /// As [`send_encoded`](Self::send_encoded), with the frame as `Bytes`: from 4 KiB on it
    /// is queued by reference, so a broadcast's one encoding is shared by every
    /// connection's output instead of copied into each.
    ///
    /// # Errors
    /// [`WebSocketClosedError`] once a close frame was sent or received.
    ///
    /// # Panics
    /// In debug builds, if this side is a client: clients must mask each frame themselves.
    pub(crate) fn send_encoded_shared(&mut self, frame: Bytes) -> Result<(), WebSocketClosedError> {
        self.check_encoded_send()?;
        if frame.len() < SHARE_THRESHOLD {
            self.out.extend_from_slice(&frame);
        } else {
            self.out.push_shared(frame);
        }
        Ok(())
    }

    /// A pre-encoded frame may be queued: this side is the server and still open.
    fn check_encoded_send(&self) -> Result<(), WebSocketClosedError> {
        debug_assert_eq!(
            self.role,
            Role::Server,
            "only servers send pre-encoded frames"
        );
        if self.state != State::Open {
            return Err(WebSocketClosedError);
        }
        Ok(())
    }

    /// Queues a ping and returns its id, which a later [`Event::Pong`](super::Event::Pong) acknowledges.
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] over 125 bytes; [`Error::Closed`] once closing.
    pub fn ping(&mut self, payload: Bytes) -> Result<u64, Error> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(Error::ControlPayloadTooLong(payload.len()));
        }
        if self.state != State::Open {
            return Err(WebSocketClosedError.into());
        }
        Ok(self.queue_ping(payload))
    }

    /// Starts the close handshake: queues a close frame (empty when `frame` is `None`, which
    /// the peer reads as 1005) and waits up to `close_timeout` for the peer's.
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] or [`Error::CloseReasonTooLong`] for a frame that may not
    /// be sent; [`Error::Closed`] if a close was already sent or received.
    pub fn close(&mut self, frame: Option<CloseFrame>, now: Instant) -> Result<(), Error> {
        if let Some(frame) = &frame {
            frame.validate()?;
        }
        if self.state != State::Open {
            return Err(WebSocketClosedError.into());
        }
        self.send_close(frame.as_ref());
        self.state = State::Closing;
        self.close_deadline = Some(now + self.config.close_timeout);
        Ok(())
    }

    // ---- frame output

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
