//! The permessage-deflate codec (RFC 7692 §7.2): this side's compressor and the
//! decompressor for the peer's messages, on C zlib (see [`super::zlib`]).
//!
//! Memory is spent only where the negotiation needs it:
//!
//! * nothing is allocated until the first message that needs it (messages under the
//!   threshold never build a compressor);
//! * a side that resets after every message (`*_no_context_takeover`) keeps nothing
//!   between messages: it borrows a codec kept per thread, resets it and gives it back
//!   once the message is done, so a thread serving 10,000 such connections holds one
//!   compressor and one decompressor;
//! * a side that keeps its context has its own codec, sized by the options: the compressor
//!   window ([`CompressionOptions::compressor_window_bits`], at most what was negotiated)
//!   and zlib's memory level, and the decompressor window the peer agreed to;
//! * a message at least as long as the compressor window is compressed on the thread's
//!   zlib-rs compressor instead ([`super::large`]), which takes over the connection
//!   compressor's history and hands the message's tail back to it.

use std::cell::RefCell;

use super::large;
use super::negotiation::DeflateParams;
use super::zlib::{Deflater, Inflater};
use crate::compression::CompressionOptions;
use crate::protocol::Role;

/// What every compressed message ends with before the sender strips it, and what the
/// receiver appends back (RFC 7692 §7.2.1, §7.2.2): the tail of an empty stored block.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The largest stored (uncompressed) deflate block.
const MAX_STORED_BLOCK: usize = 0xffff;

/// Output room inflated per step at most, once the first guess proves too small.
const MAX_INFLATE_STEP: usize = 64 * 1024;

/// Compressor settings a per-thread shared compressor is kept for, at most.
const SHARED_DEFLATERS: usize = 4;

/// A compressor's settings: level, window bits, memory level.
pub(super) type DeflateKey = (u8, u8, u8);

thread_local! {
    /// Compressors for sides without context takeover, one per setting in use.
    static DEFLATERS: RefCell<Vec<(DeflateKey, Deflater)>> = const { RefCell::new(Vec::new()) };
    /// A 15-bit decompressor for peers without context takeover, between messages.
    static INFLATER: RefCell<Option<Inflater>> = const { RefCell::new(None) };
}

/// Why a compressed message could not be inflated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeflateError {
    /// Inflating would take the message past its size limit (close 1009).
    TooBig,
    /// The data is not a valid deflate stream under the negotiated window (close 1002).
    Corrupt,
}

/// permessage-deflate state for one connection, built from the negotiated
/// [`DeflateParams`] and this side's [`CompressionOptions`].
pub(crate) struct PerMessageDeflate {
    /// This side's compressor, once a message needed it; always `None` when it resets
    /// after every message (the per-thread one is used) or may not compress at all.
    compressor: Option<Box<Deflater>>,
    /// Level, window bits (0: stored blocks only, an 8-bit window) and memory level.
    deflate_key: DeflateKey,
    compress_reset: bool,
    threshold: usize,
    /// The decompressor: this connection's own when the peer keeps its context, or the
    /// per-thread one borrowed for a message that spans several frames.
    decompressor: Option<Box<Inflater>>,
    inflate_bits: u8,
    decompress_reset: bool,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("deflate_key", &self.deflate_key)
            .field("compress_reset", &self.compress_reset)
            .field("threshold", &self.threshold)
            .field("inflate_bits", &self.inflate_bits)
            .field("decompress_reset", &self.decompress_reset)
            .finish_non_exhaustive()
    }
}

impl PerMessageDeflate {
    /// The codec for `role` under `params`: a client compresses with the `client_*`
    /// parameters and inflates with the `server_*` ones, a server the reverse. Level,
    /// memory level, compressor window and threshold come from `opts`.
    ///
    /// Never fails and allocates nothing yet. A compressor window under 9 bits (8 is
    /// valid in RFC 7692, but zlib cannot compress with it) means stored blocks only, and
    /// [`threshold`](Self::threshold) then returns `usize::MAX`; a window over 15 bits
    /// (only in hand-built params) counts as 15. The decompressor uses at least 9 bits:
    /// zlib before 1.2.9 compressed with 9 when asked for 8.
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
        // RFC 7692 lets the sender use a smaller window than agreed.
        let compress_bits = ours.0.min(15).min(opts.compressor_window_bits);
        let compress_bits = if compress_bits >= 9 { compress_bits } else { 0 };
        Self {
            compressor: None,
            deflate_key: (
                opts.compression_level.min(9),
                compress_bits,
                opts.mem_level.clamp(1, 9),
            ),
            compress_reset: ours.1,
            threshold: if compress_bits == 0 {
                usize::MAX
            } else {
                opts.threshold
            },
            decompressor: None,
            inflate_bits: theirs.0.clamp(9, 15),
            decompress_reset: theirs.1,
        }
    }

    /// Messages with a payload shorter than this are best sent uncompressed (RSV1 clear).
    /// `usize::MAX` when this side may not compress at all (an 8-bit window).
    pub(crate) fn threshold(&self) -> usize {
        self.threshold
    }

    /// Appends `payload` compressed as one message to `out`: a sync flush with its trailing
    /// `00 00 ff ff` removed (RFC 7692 §7.2.1). Without context takeover the compressor
    /// is reset afterwards (and is the thread's shared one). An empty payload gives the
    /// single byte `00` (§7.2.3.6).
    pub(crate) fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        let (level, bits, mem_level) = self.deflate_key;
        if bits == 0 || payload.is_empty() {
            // zlib gives nothing for a flush with no new input (Z_BUF_ERROR), and the
            // compressor has nothing to remember: write the empty stored block directly.
            stored_blocks(payload, out);
            return;
        }
        let key = self.deflate_key;
        let large = payload.len() >= large::large_message_min(bits);
        if !self.compress_reset {
            let compressor = self
                .compressor
                .get_or_insert_with(|| Box::new(Deflater::new(level, bits, mem_level)));
            if !(large && large::compress(key, Some(compressor), payload, out)) {
                sync_flush(compressor, payload, out);
            }
            return;
        }
        if large && large::compress(key, None, payload, out) {
            return;
        }
        let shared = DEFLATERS.try_with(|cell| {
            let Ok(mut pool) = cell.try_borrow_mut() else {
                return false;
            };
            let compressor = pooled(&mut pool, key, || Deflater::new(level, bits, mem_level));
            sync_flush(compressor, payload, out);
            compressor.reset();
            true
        });
        if shared != Ok(true) {
            // The thread is exiting: a compressor for this message alone.
            sync_flush(&mut Deflater::new(level, bits, mem_level), payload, out);
        }
    }

    /// Inflates one frame of a compressed message, appending to `out`. `fin` marks the
    /// message's last frame: the `00 00 ff ff` tail is then fed too and, if the peer has no
    /// context takeover, the decompressor is reset and handed back to the thread.
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
        let mut inflater = match self.decompressor.take() {
            Some(inflater) => inflater,
            None if self.decompress_reset => INFLATER
                .try_with(|cell| cell.try_borrow_mut().ok().and_then(|mut slot| slot.take()))
                .ok()
                .flatten()
                .map_or_else(|| Box::new(Inflater::new(15)), Box::new),
            None => Box::new(Inflater::new(self.inflate_bits)),
        };
        inflate(&mut inflater, payload, out, limit)?;
        if fin {
            inflate(&mut inflater, &TAIL, out, limit)?;
            if self.decompress_reset {
                inflater.reset();
                let _ = INFLATER.try_with(|cell| {
                    if let Ok(mut slot) = cell.try_borrow_mut() {
                        slot.get_or_insert(*inflater);
                    }
                });
                return Ok(());
            }
        }
        self.decompressor = Some(inflater);
        Ok(())
    }
}

/// One message through `compressor` with a sync flush, tail removed.
fn sync_flush(compressor: &mut Deflater, payload: &[u8], out: &mut Vec<u8>) {
    let flushed = sync_flush_with(payload, out, |input, out, room| {
        let progress = compressor.sync_flush(input, out, room);
        Some((progress.consumed, progress.produced))
    });
    // No progress with room to spare cannot happen on C zlib.
    debug_assert!(flushed, "deflate made no progress");
}

/// One message with a sync flush, tail removed, through `step`: one compressor call that
/// appends at most `room` bytes to `out` and returns the input bytes consumed and output
/// bytes produced, or `None` on an error. `false`, with `out` as it was, if a step fails or
/// makes no progress (instead of spinning).
pub(super) fn sync_flush_with(
    payload: &[u8],
    out: &mut Vec<u8>,
    mut step: impl FnMut(&[u8], &mut Vec<u8>, usize) -> Option<(usize, usize)>,
) -> bool {
    let start = out.len();
    let mut input = payload;
    // Deflate output is at most a few bytes per 16 KiB over the input; one step
    // nearly always suffices.
    let mut room = input.len() + input.len() / 64 + 64;
    loop {
        let Some((consumed, produced)) = step(input, out, room) else {
            out.truncate(start);
            return false;
        };
        input = &input[consumed..];
        if input.is_empty() && produced < room {
            break;
        }
        if consumed == 0 && produced == 0 {
            out.truncate(start);
            return false;
        }
        room = room.max(64) * 2;
    }
    debug_assert!(out[start..].ends_with(&TAIL), "sync flush without its tail");
    if out[start..].ends_with(&TAIL) {
        out.truncate(out.len() - TAIL.len());
    }
    true
}

/// The thread's shared codec for `key` in `pool`, made by `make` when missing; the oldest
/// goes once [`SHARED_DEFLATERS`] settings are kept.
pub(super) fn pooled<T>(
    pool: &mut Vec<(DeflateKey, T)>,
    key: DeflateKey,
    make: impl FnOnce() -> T,
) -> &mut T {
    let index = match pool.iter().position(|(k, _)| *k == key) {
        Some(index) => index,
        None => {
            if pool.len() == SHARED_DEFLATERS {
                pool.remove(0);
            }
            pool.push((key, make()));
            pool.len() - 1
        }
    };
    &mut pool[index].1
}

fn inflate(
    inflater: &mut Inflater,
    mut input: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), DeflateError> {
    // First guess at the room needed; doubled (up to MAX_INFLATE_STEP) while it fills.
    let mut step = input.len().saturating_mul(4).clamp(256, MAX_INFLATE_STEP);
    loop {
        let len = out.len();
        let (progress, room) = if len >= limit {
            // At the limit: inflate into a one-byte probe to learn whether output is left.
            let mut probe = Vec::with_capacity(1);
            let progress = inflater
                .inflate(input, &mut probe, 1)
                .map_err(|_| DeflateError::Corrupt)?;
            if progress.produced > 0 {
                return Err(DeflateError::TooBig);
            }
            (progress, 1)
        } else {
            let room = step.min(limit - len);
            reserve_capped(out, len + room, limit);
            let progress = inflater
                .inflate(input, out, room)
                .map_err(|_| DeflateError::Corrupt)?;
            (progress, room)
        };
        input = &input[progress.consumed..];
        if progress.stream_end {
            // A block with BFINAL set ended the deflate stream (RFC 7692 §7.2.3.4).
            // Whatever follows, such as the receiver's own tail, starts a new one.
            inflater.reset();
            if input.is_empty() {
                return Ok(());
            }
            continue;
        }
        if progress.produced < room {
            if input.is_empty() {
                return Ok(());
            }
            if progress.consumed == 0 && progress.produced == 0 {
                // Input and output space, yet no progress: not a deflate stream.
                return Err(DeflateError::Corrupt);
            }
        } else {
            step = (step * 2).min(MAX_INFLATE_STEP);
        }
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

#[cfg(test)]
mod tests;
