//! The permessage-deflate codec (RFC 7692 §7.2): one compressor and one decompressor per
//! connection, on zlib-rs.
//!
//! zlib-rs is used directly, not through flate2, because its safe `DeflateConfig` takes
//! zlib's `memLevel`, which flate2 does not expose; no `unsafe` is needed.

use zlib_rs::{DeflateConfig, DeflateFlush, InflateFlush, Status};

use super::negotiation::DeflateParams;
use crate::compression::CompressionOptions;
use crate::protocol::Role;

/// What every compressed message ends with before the sender strips it, and what the
/// receiver appends back (RFC 7692 §7.2.1, §7.2.2): the tail of an empty stored block.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The largest stored (uncompressed) deflate block.
const MAX_STORED_BLOCK: usize = 0xffff;

/// Output room inflated per step at most, once the first guess proves too small.
const MAX_INFLATE_STEP: usize = 64 * 1024;

/// Why a compressed message could not be inflated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeflateError {
    /// Inflating would take the message past its size limit (close 1009).
    TooBig,
    /// The data is not a valid deflate stream under the negotiated window (close 1002).
    Corrupt,
}

/// permessage-deflate state for one connection: this side's compressor and the
/// decompressor for the peer's messages, built from the negotiated [`DeflateParams`].
pub(crate) struct PerMessageDeflate {
    /// `None` when the negotiated window is 8 bits, which zlib cannot compress with: then
    /// [`compress`](Self::compress) writes stored blocks and
    /// [`threshold`](Self::threshold) keeps every message uncompressed.
    compressor: Option<zlib_rs::Deflate>,
    compress_reset: bool,
    threshold: usize,
    decompressor: zlib_rs::Inflate,
    decompress_reset: bool,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("compresses", &self.compressor.is_some())
            .field("compress_reset", &self.compress_reset)
            .field("threshold", &self.threshold)
            .field("decompress_reset", &self.decompress_reset)
            .finish()
    }
}

impl PerMessageDeflate {
    /// The codec for `role` under `params`: a client compresses with the `client_*`
    /// parameters and inflates with the `server_*` ones, a server the reverse. Level,
    /// memory level and threshold come from `opts`.
    ///
    /// Never fails. A compressor window under 9 bits (8 is valid in RFC 7692, but zlib
    /// cannot compress with it) means stored blocks only, and [`threshold`](Self::threshold)
    /// then returns `usize::MAX`; a window over 15 bits (only in hand-built params) counts
    /// as 15. The decompressor asks for at least 9 bits; zlib-rs in fact keeps a 32 KiB
    /// window whatever the setting, so a peer that exceeds its agreed window (as zlib
    /// before 1.2.9 did, silently using 9 bits when asked for 8) still inflates.
    pub(crate) fn new(role: Role, params: &DeflateParams, opts: &CompressionOptions) -> Self {
        let client = (
            params.client_max_window_bits,
            params.client_no_context_takeover,
        );
        let server = (
            params.server_max_window_bits,
            params.server_no_context_takeover,
        );
        let (ours, theirs) = match role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        let compress_bits = ours.0.min(15);
        // zlib-rs asserts that its configuration is valid; these values always are: level
        // 0..=9, a raw window of 9..=15 bits, mem_level 1..=9.
        let compressor = (compress_bits >= 9).then(|| {
            zlib_rs::Deflate::new_with_config(DeflateConfig {
                level: i32::from(opts.compression_level.min(9)),
                // Negative: a raw deflate stream, no zlib header.
                window_bits: -i32::from(compress_bits),
                mem_level: i32::from(opts.mem_level.clamp(1, 9)),
                ..DeflateConfig::default()
            })
        });
        Self {
            threshold: if compressor.is_some() {
                opts.threshold
            } else {
                usize::MAX
            },
            compressor,
            compress_reset: ours.1,
            decompressor: zlib_rs::Inflate::new(false, theirs.0.clamp(9, 15)),
            decompress_reset: theirs.1,
        }
    }

    /// Messages with a payload shorter than this are best sent uncompressed (RSV1 clear).
    /// `usize::MAX` when this side may not compress at all (an 8-bit window).
    pub(crate) fn threshold(&self) -> usize {
        self.threshold
    }

    /// Appends `payload` compressed as one message to `out`: a sync flush with its trailing
    /// `00 00 ff ff` removed (RFC 7692 §7.2.1). Resets the compressor afterwards if this
    /// side has no context takeover. An empty payload gives the single byte `00`
    /// (§7.2.3.6).
    pub(crate) fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        let Some(compressor) = &mut self.compressor else {
            stored_blocks(payload, out);
            return;
        };
        if payload.is_empty() {
            // zlib gives nothing for a flush with no new input (Z_BUF_ERROR), and the
            // compressor has nothing to remember: write the empty stored block directly.
            stored_blocks(payload, out);
            return;
        }
        let start = out.len();
        let mut input = payload;
        // Deflate output is at most a few bytes per 16 KiB over the input; one step
        // nearly always suffices.
        let mut room = input.len() + input.len() / 64 + 64;
        loop {
            let len = out.len();
            out.resize(len + room, 0);
            let (in_before, out_before) = (compressor.total_in(), compressor.total_out());
            let result = compressor.compress(input, &mut out[len..], DeflateFlush::SyncFlush);
            let consumed = to_usize(compressor.total_in() - in_before);
            let produced = to_usize(compressor.total_out() - out_before);
            out.truncate(len + produced);
            input = &input[consumed..];
            // zlib-rs fails only on an inconsistent stream or flush value; this one is
            // built once, checked, and only ever flushed with SyncFlush. BufError (no
            // progress possible) comes back as Ok(Status::BufError).
            debug_assert!(result.is_ok(), "deflate failed: {result:?}");
            if result.is_err() || (input.is_empty() && produced < room) {
                break;
            }
            room = room.max(64) * 2;
        }
        debug_assert!(out[start..].ends_with(&TAIL), "sync flush without its tail");
        if out[start..].ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if self.compress_reset {
            compressor.reset();
        }
    }

    /// Inflates one frame of a compressed message, appending to `out`. `fin` marks the
    /// message's last frame: the `00 00 ff ff` tail is then fed too and, if the peer has no
    /// context takeover, the decompressor is reset for the next message.
    ///
    /// Output is capped while inflating: `out.len()` never exceeds `limit`, and `out`'s
    /// capacity grows to at most `limit` (or what it already had), so a small deflate
    /// bomb cannot make it allocate much.
    ///
    /// # Errors
    ///
    /// [`DeflateError::TooBig`] if the message inflates past `limit` bytes of `out`;
    /// [`DeflateError::Corrupt`] if the data is not valid deflate. Either way the
    /// connection must fail; the codec is then unusable.
    pub(crate) fn decompress(
        &mut self,
        payload: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DeflateError> {
        self.inflate(payload, out, limit)?;
        if fin {
            self.inflate(&TAIL, out, limit)?;
            if self.decompress_reset {
                self.reset_decompressor();
            }
        }
        Ok(())
    }

    fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DeflateError> {
        // First guess at the room needed; doubled (up to MAX_INFLATE_STEP) while it fills.
        let mut step = input.len().saturating_mul(4).clamp(256, MAX_INFLATE_STEP);
        loop {
            let len = out.len();
            let mut probe = [0u8; 1];
            let full = len >= limit;
            let room = if full {
                // At the limit: only find out whether any output is left.
                1
            } else {
                let room = step.min(limit - len);
                reserve_capped(out, len + room, limit);
                out.resize(len + room, 0);
                room
            };
            let buffer = if full {
                &mut probe[..]
            } else {
                &mut out[len..]
            };
            let (in_before, out_before) =
                (self.decompressor.total_in(), self.decompressor.total_out());
            let result = self
                .decompressor
                .decompress(input, buffer, InflateFlush::NoFlush);
            let consumed = to_usize(self.decompressor.total_in() - in_before);
            let produced = to_usize(self.decompressor.total_out() - out_before);
            if !full {
                out.truncate(len + produced);
            }
            input = &input[consumed..];
            let status = result.map_err(|_| DeflateError::Corrupt)?;
            if full && produced > 0 {
                return Err(DeflateError::TooBig);
            }
            if status == Status::StreamEnd {
                // A block with BFINAL set ended the deflate stream (RFC 7692 §7.2.3.4).
                // Whatever follows, such as the receiver's own tail, starts a new one.
                self.reset_decompressor();
                if input.is_empty() {
                    return Ok(());
                }
                continue;
            }
            if produced < room {
                if input.is_empty() {
                    return Ok(());
                }
                if consumed == 0 && produced == 0 {
                    // Input and output space, yet no progress: not a deflate stream.
                    return Err(DeflateError::Corrupt);
                }
            } else {
                step = (step * 2).min(MAX_INFLATE_STEP);
            }
        }
    }

    fn reset_decompressor(&mut self) {
        // This sets window_bits back to 15, which for a raw stream changes nothing: zlib-rs
        // keeps a 32 KiB window whatever the setting (see `new`). Rebuilding instead would
        // allocate on every message.
        self.decompressor.reset(false);
    }
}

/// Makes room in `out` for `needed` bytes without taking its capacity past `limit`
/// (unless it already was): grows geometrically, clamped at the limit.
fn reserve_capped(out: &mut Vec<u8>, needed: usize, limit: usize) {
    if out.capacity() >= needed {
        return;
    }
    let target = out.capacity().saturating_mul(2).max(needed).min(limit);
    out.reserve_exact(target - out.len());
}

/// `payload` as stored (uncompressed) deflate blocks, ending like a sync flush with the
/// `00 00 ff ff` tail removed. Valid for any window size, since nothing refers back.
fn stored_blocks(payload: &[u8], out: &mut Vec<u8>) {
    for block in payload.chunks(MAX_STORED_BLOCK) {
        // At most 0xffff bytes: `chunks` guarantees it.
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.push(0x00); // BFINAL = 0, BTYPE = 00, padding to the byte boundary.
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    // The empty stored block of the flush, minus the tail the receiver adds back.
    out.push(0x00);
}

/// zlib-rs counts in `u64`; one call moves at most a slice's length.
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests;
