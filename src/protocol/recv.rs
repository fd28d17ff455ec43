//! Frame input: parsing, validation, reassembly and control frames.

use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};

use super::connection::{Connection, State, MAX_CONTROL_PAYLOAD};
use super::event::{Closed, Event};
use super::frame::{parse_header, FrameHeader, OpCode};
use super::mask::apply_mask;
use super::reported_close;
use super::utf8::Utf8Validator;
use super::Role;
use crate::{CloseCode, CloseFrame, Message, ProtocolError};

/// The least input buffer reserved ahead of the bytes received for a frame whose payload
/// is still arriving; beyond it, the room reserved ahead grows with the bytes received.
pub(super) const MIN_RESERVE: usize = 64 * 1024;

/// A frame whose payload is still arriving: the prefix unmasked in place as it came,
/// while it was still in the cache, and for uncompressed text found valid so far, so that
/// invalid UTF-8 fails as soon as its bytes arrive (RFC 6455 §8.1).
#[derive(Debug, Default)]
pub(crate) struct FrameProgress {
    unmasked: usize,
    utf8: Utf8Validator,
}

impl FrameProgress {
    /// Unmasks the rest of the frame's payload, now complete; the validator has checked
    /// what came before.
    #[cold]
    fn finish(self, payload: &mut [u8], mask: Option<[u8; 4]>) -> Utf8Validator {
        if let Some(mask) = mask {
            apply_mask(&mut payload[self.unmasked..], mask, self.unmasked);
        }
        self.utf8
    }
}

/// A fragmented message being reassembled.
#[derive(Debug)]
pub(crate) struct Partial {
    is_text: bool,
    /// The message so far (decompressed when `compressed`).
    data: Vec<u8>,
    /// Bytes received on the wire for this message (compressed when `compressed`).
    wire_len: u64,
    compressed: bool,
    utf8: Utf8Validator,
}

impl Partial {
    /// Whether the text so far ends on a character boundary (it has no incomplete one).
    fn ends_on_a_character(&self) -> bool {
        self.is_text && !self.compressed && self.utf8.checked() == self.data.len()
    }
}

impl Connection {
    /// Feeds bytes read from the socket.
    ///
    /// Complete frames are processed at once: messages, pings and pongs become events,
    /// pings are answered and a peer's close is echoed; invalid UTF-8 in a text frame
    /// fails as soon as it arrives, before the rest of the frame. A violation fails the
    /// connection (close frame with the RFC code, then [`Event::Closed`]); one found behind
    /// messages that are still queued waits until every event was polled (then
    /// [`poll_timeout`](Self::poll_timeout) returns the time it was found and
    /// [`handle_timeout`](Self::handle_timeout) acts on it), so the application can answer
    /// those messages first. Afterwards drain `poll_transmit`, `poll_timeout` and
    /// `poll_event`, in that order.
    pub fn receive(&mut self, data: &[u8], now: Instant) {
        self.receive_with_clock(data, || now);
    }

    /// As [`receive`](Self::receive), reading the time from `clock` only if these bytes
    /// need it (an idle timeout to push back, a close or a failure to time): a driver
    /// saves reading the clock for every read, which costs more than parsing a small
    /// message.
    pub(crate) fn receive_with_clock(&mut self, data: &[u8], clock: impl FnMut() -> Instant) {
        if self.discarding {
            return;
        }
        self.inbuf.extend_from_slice(data);
        self.process_input(LazyNow::new(clock));
    }

    /// Lends the input buffer to a driver that reads straight into it, saving the copy
    /// from its own read buffer; give it back with [`receive_lent`](Self::receive_lent)
    /// (after a read) or [`restore_input`](Self::restore_input). Until then, use no other
    /// `receive` method.
    ///
    /// Only a buffer that large frames grew is lent (a connection of small messages reads
    /// into a buffer the driver shares between connections), and none once input is
    /// discarded. Reserve room just before reading, not on taking it: by then the
    /// messages parsed out of it may be dropped, and `reserve` reuses their memory.
    #[inline]
    pub(crate) fn lend_input(&mut self) -> Option<BytesMut> {
        if self.discarding || self.largest_frame <= MIN_RESERVE {
            return None;
        }
        Some(std::mem::take(&mut self.inbuf))
    }

    /// The longest frame (header included) received since the buffers were last released:
    /// what a driver can expect the next one to be.
    #[inline]
    pub(crate) fn largest_frame(&self) -> usize {
        self.largest_frame
    }

    /// Takes back the buffer [`lend_input`](Self::lend_input) lent, with the bytes read
    /// into it since, and handles them as [`receive_with_clock`](Self::receive_with_clock)
    /// does.
    pub(crate) fn receive_lent(&mut self, input: BytesMut, clock: impl FnMut() -> Instant) {
        self.restore_input(input);
        if !self.discarding {
            self.process_input(LazyNow::new(clock));
        }
    }

    /// Takes back the buffer [`lend_input`](Self::lend_input) lent, without new bytes.
    pub(crate) fn restore_input(&mut self, input: BytesMut) {
        debug_assert!(
            self.inbuf.is_empty(),
            "input received while the buffer was lent"
        );
        if !self.discarding {
            self.inbuf = input;
        }
    }

    /// Fails the connection, or holds the violation while messages before it wait for the
    /// application (see [`receive`](Self::receive)).
    #[cold]
    #[inline(never)]
    fn on_violation(&mut self, error: ProtocolError, now: Instant) {
        if self.reader_behind || self.has_queued_message() {
            // Nothing after the violation counts: drop it, keep the violation.
            self.discarding = true;
            self.partial = None;
            self.frame_progress = None;
            self.held_failure = Some(Box::new((error, now)));
        } else {
            self.fail(error, now);
        }
    }

    /// Whether a message waits in the events for the application.
    fn has_queued_message(&self) -> bool {
        self.events.iter().any(|e| matches!(e, Event::Message(_)))
    }

    /// Handles every complete frame in the input buffer.
    fn process_input<F: FnMut() -> Instant>(&mut self, mut now: LazyNow<F>) {
        if let (Some(idle), Some(deadline)) =
            (self.config.idle_timeout, self.idle_deadline.as_mut())
        {
            *deadline = now.get() + idle;
        }
        while !self.discarding {
            match self.next_frame(&mut now) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => self.on_violation(error, now.get()),
            }
        }
        if self.discarding {
            self.inbuf = BytesMut::new();
        }
    }

    /// Parses and handles one frame; `Ok(false)` when more bytes are needed.
    fn next_frame<F: FnMut() -> Instant>(
        &mut self,
        now: &mut LazyNow<F>,
    ) -> Result<bool, ProtocolError> {
        let Some((header, header_len)) = parse_header(&self.inbuf)? else {
            return Ok(false);
        };
        self.check_header(&header)?;
        // Without limits (`max_message_size: None`) the announced length is the peer's to
        // choose, up to 2^63 - 1.
        let payload_len =
            usize::try_from(header.payload_len).map_err(|_| ProtocolError::FrameTooBig {
                size: header.payload_len,
                limit: usize::MAX,
            })?;
        if self.inbuf.len() < header_len + payload_len {
            // The header's parts by value: a reference would keep the header in memory on
            // every frame's path, not only this one.
            self.progress_so_far(header.opcode, header.rsv1, header.mask, header_len)?;
            // Room for the rest of the frame, but no more than arrived, or than the largest
            // frame received so far, or MIN_RESERVE: a header alone must not make this side
            // allocate the length it announces. Reserving the rest at once reclaims the
            // buffer a dropped message gave back (no allocation), where growing step by
            // step would first fill its tail and then copy to its front.
            let missing = header_len + payload_len - self.inbuf.len();
            let spare = self.inbuf.capacity() - self.inbuf.len();
            if missing > spare {
                let ahead = MIN_RESERVE.max(self.inbuf.len()).max(self.largest_frame);
                self.inbuf.reserve(missing.min(ahead));
            }
            return Ok(false);
        }
        self.largest_frame = self.largest_frame.max(header_len + payload_len);
        let mut payload = self.inbuf.split_to(header_len + payload_len);
        // Past the header in place: a second split would cost another handle on the buffer.
        payload.advance(header_len);
        // A frame that arrived whole (the common case) has no progress to pick up.
        let utf8 = match self.frame_progress.take() {
            None => {
                if let Some(mask) = header.mask {
                    apply_mask(&mut payload, mask, 0);
                }
                Utf8Validator::default()
            }
            Some(progress) => (*progress).finish(&mut payload, header.mask),
        };
        match header.opcode {
            OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                self.on_data(&header, payload, utf8)?
            }
            OpCode::Ping => self.on_ping(payload.freeze()),
            OpCode::Pong => {
                let payload = payload.freeze();
                let acknowledged = self.acknowledge_pong(&payload);
                self.events.push_back(Event::Pong {
                    payload,
                    acknowledged,
                });
            }
            OpCode::Close => self.on_close(&payload, now)?,
        }
        Ok(true)
    }

    /// Unmasks the part of a frame that has arrived (the buffer holds no more than this
    /// frame) while the read left it in the cache, instead of in one pass over the whole
    /// payload at its end, and checks it if it is uncompressed text, so invalid UTF-8 fails
    /// before the rest comes. A continuation whose message so far ends inside a character
    /// is checked once whole.
    #[cold]
    fn progress_so_far(
        &mut self,
        opcode: OpCode,
        rsv1: bool,
        mask: Option<[u8; 4]>,
        header_len: usize,
    ) -> Result<(), ProtocolError> {
        let text = match (opcode, &self.partial) {
            (OpCode::Text, None) => !rsv1,
            (OpCode::Continuation, Some(partial)) => partial.ends_on_a_character(),
            _ => false,
        };
        if !(text || mask.is_some()) || self.state != State::Open || self.inbuf.len() == header_len
        {
            return Ok(());
        }
        let progress = self.frame_progress.get_or_insert_with(Box::default);
        let payload = &mut self.inbuf[header_len..];
        if let Some(mask) = mask {
            apply_mask(&mut payload[progress.unmasked..], mask, progress.unmasked);
        }
        progress.unmasked = payload.len();
        if !text {
            return Ok(());
        }
        progress
            .utf8
            .feed(payload, false)
            .map_err(|_| ProtocolError::InvalidUtf8)
    }

    /// Everything the header alone decides, before any payload is buffered.
    #[inline]
    fn check_header(&self, header: &FrameHeader) -> Result<(), ProtocolError> {
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedClientFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedServerFrame),
            _ => {}
        }
        if header.rsv2 || header.rsv3 || (header.rsv1 && !self.is_compressed()) {
            return Err(ProtocolError::ReservedBits);
        }
        if header.rsv1 && !matches!(header.opcode, OpCode::Text | OpCode::Binary) {
            return Err(ProtocolError::CompressedContinuationOrControl);
        }
        if header.opcode.is_control() {
            if !header.fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if header.payload_len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(ProtocolError::ControlFrameTooLong);
            }
            return Ok(());
        }
        match (header.opcode, &self.partial) {
            (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (OpCode::Text | OpCode::Binary, Some(_)) => {
                return Err(ProtocolError::ExpectedContinuation)
            }
            _ => {}
        }
        if let Some(limit) = self.config.max_frame_size {
            if header.payload_len > limit as u64 {
                return Err(ProtocolError::FrameTooBig {
                    size: header.payload_len,
                    limit,
                });
            }
        }
        if let Some(limit) = self.config.max_message_size {
            let compressed = header.rsv1 || self.partial.as_ref().is_some_and(|p| p.compressed);
            // Compressed input may be longer than its output (see compressed_input_limit);
            // the output itself is capped exactly while inflating.
            let wire_limit = if compressed {
                compressed_input_limit(limit)
            } else {
                limit as u64
            };
            let buffered = self.partial.as_ref().map_or(0, |p| p.wire_len);
            if buffered.saturating_add(header.payload_len) > wire_limit {
                return Err(ProtocolError::MessageTooBig { limit });
            }
        }
        Ok(())
    }

    /// A data frame's payload, unmasked; `utf8` has checked the part of a text frame's
    /// payload that arrived before the rest.
    #[inline]
    fn on_data(
        &mut self,
        header: &FrameHeader,
        payload: BytesMut,
        utf8: Utf8Validator,
    ) -> Result<(), ProtocolError> {
        if self.state != State::Open {
            // After sending a close, data still arriving is read and dropped (RFC 6455 §1.4).
            return Ok(());
        }
        let mut partial = match (header.opcode, self.partial.take()) {
            (OpCode::Binary, None) if header.fin && !header.rsv1 => {
                self.events
                    .push_back(Event::Message(Message::Binary(payload.freeze())));
                return Ok(());
            }
            (OpCode::Text, None) if header.fin && !header.rsv1 => {
                let text = utf8
                    .into_text(payload.freeze())
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
                self.events.push_back(Event::Message(Message::Text(text)));
                return Ok(());
            }
            (opcode, None) => Partial {
                is_text: opcode == OpCode::Text,
                data: Vec::with_capacity(if header.rsv1 { 0 } else { payload.len() }),
                wire_len: 0,
                compressed: header.rsv1,
                // What arrived of this frame before the rest was checked already.
                utf8,
            },
            (_, Some(partial)) => *partial,
        };
        partial.wire_len += payload.len() as u64;
        if partial.compressed {
            self.inflate(&payload, header.fin, &mut partial.data)?;
        } else {
            partial.data.extend_from_slice(&payload);
        }
        if partial.is_text {
            partial
                .utf8
                .feed(&partial.data, header.fin)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        if !header.fin {
            self.partial = Some(Box::new(partial));
            return Ok(());
        }
        let message = if partial.is_text {
            // Checked as it arrived: the validator only confirms it has seen every byte.
            let text = partial.utf8.into_text(Bytes::from(partial.data));
            Message::Text(text.map_err(|_| ProtocolError::InvalidUtf8)?)
        } else {
            Message::Binary(Bytes::from(partial.data))
        };
        self.events.push_back(Event::Message(message));
        Ok(())
    }

    #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
    fn inflate(
        &mut self,
        payload: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), ProtocolError> {
        use super::deflate::DeflateError;
        let limit = self.config.max_message_size.unwrap_or(usize::MAX);
        // check_header accepts RSV1 only with a negotiated codec.
        let deflate = self.deflate.as_mut().ok_or(ProtocolError::ReservedBits)?;
        deflate
            .decompress(payload, fin, out, limit)
            .map_err(|error| match error {
                DeflateError::TooBig => ProtocolError::MessageTooBig { limit },
                DeflateError::Corrupt => ProtocolError::CorruptCompressedData,
            })
    }

    #[cfg(not(all(feature = "deflate", not(target_arch = "wasm32"))))]
    #[allow(clippy::needless_pass_by_ref_mut)] // the deflate variant's signature
    fn inflate(
        &self,
        _payload: &[u8],
        _fin: bool,
        _out: &mut Vec<u8>,
    ) -> Result<(), ProtocolError> {
        // check_header rejects RSV1 without a negotiated extension.
        Err(ProtocolError::ReservedBits)
    }

    fn on_ping(&mut self, payload: Bytes) {
        if self.state == State::Open {
            self.write_frame(OpCode::Pong, &payload);
        }
        self.events.push_back(Event::Ping(payload));
    }

    fn on_close<F: FnMut() -> Instant>(
        &mut self,
        payload: &[u8],
        now: &mut LazyNow<F>,
    ) -> Result<(), ProtocolError> {
        let (code, reason) = parse_close_payload(payload)?;
        self.discarding = true;
        self.partial = None;
        // Either the peer answered our close or it started: the handshake is complete.
        let by_peer = self.sent_close.is_none();
        let (reported, reason) = reported_close(self.sent_close.as_ref(), true, code, reason);
        if by_peer {
            // Echo its code (an empty close is answered with an empty one).
            let echo = code.map(|code| CloseFrame {
                code,
                reason: String::new(),
            });
            self.send_close(echo.as_ref());
        }
        let closed = Closed {
            code: reported,
            reason,
            by_peer,
            clean: true,
            error: None,
        };
        self.close_transport(now.get());
        self.finish(closed);
        Ok(())
    }
}

/// The current time, read from a clock the first time it is needed and then kept.
struct LazyNow<F> {
    clock: F,
    now: Option<Instant>,
}

impl<F: FnMut() -> Instant> LazyNow<F> {
    fn new(clock: F) -> Self {
        Self { clock, now: None }
    }

    fn get(&mut self) -> Instant {
        *self.now.get_or_insert_with(&mut self.clock)
    }
}

/// Splits a close payload into its code and reason (RFC 6455 §5.5.1, §7.4).
fn parse_close_payload(payload: &[u8]) -> Result<(Option<CloseCode>, String), ProtocolError> {
    match payload {
        [] => Ok((None, String::new())),
        [_] => Err(ProtocolError::InvalidClosePayload),
        [hi, lo, reason @ ..] => {
            let code = CloseCode::from(u16::from_be_bytes([*hi, *lo]));
            if !code.is_sendable() {
                return Err(ProtocolError::InvalidCloseCode(code.as_u16()));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok((Some(code), reason.to_owned()))
        }
    }
}

/// How many compressed bytes a message limited to `limit` output bytes may take.
///
/// Deflate can make incompressible data longer: zlib falls back to stored blocks, 5 bytes
/// each, which at `memLevel` 1 hold only 127 bytes (4% more), and fixed-Huffman blocks
/// spend 9 bits on half the byte values (12.5% more). An eighth more, plus room for the
/// flush and a short message, lets every such message through; the output itself is
/// capped exactly while inflating.
fn compressed_input_limit(limit: usize) -> u64 {
    let limit = limit as u64;
    limit.saturating_add(limit / 8).saturating_add(64)
}
