//! A minimal safe wrapper over C zlib (`libz-sys`): one raw-deflate compressor or
//! decompressor per value, writing into a `Vec`'s spare capacity.
//!
//! Why C zlib rather than a safe port: its memory follows its parameters. The hash table
//! has `2^(memLevel + 7)` entries and the windows `2^windowBits` bytes, and the
//! decompressor allocates its window only when it first writes output, so a small policy
//! costs a few KiB per connection. zlib-rs (the safe port used before) keeps a fixed
//! 128 KiB hash table per compressor and a 32 KiB window per decompressor whatever the
//! settings, which puts any per-connection compressor above 160 KiB. On chat-sized
//! messages both compress and inflate at about the same speed at level 6; on long inputs
//! zlib-rs compresses about twice as fast, so messages at least a window long go to a
//! zlib-rs compressor kept per thread ([`super::large`]).
//!
//! Safety argument, once for the module: each `z_stream` is boxed and never moved after
//! `*Init2_` (zlib keeps a pointer back to it), is only touched through `&mut self`,
//! points `next_in`/`next_out` at live slices for the duration of one call, and is ended
//! exactly once in `Drop`. Output is written into spare capacity and `set_len` covers only
//! the bytes zlib reports as written (`avail_out` before minus after).
#![allow(unsafe_code)]

use std::ffi::{c_int, c_uint, c_void};
use std::mem::size_of;

use libz_sys as z;

/// What one call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Progress {
    /// Input bytes consumed.
    pub(super) consumed: usize,
    /// Output bytes appended.
    pub(super) produced: usize,
    /// The deflate stream ended (a block with BFINAL set): inflate only.
    pub(super) stream_end: bool,
}

/// The data is not a valid raw deflate stream (or zlib failed to allocate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Corrupt;

extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

extern "C" fn zalloc(_opaque: *mut c_void, items: c_uint, size: c_uint) -> *mut c_void {
    // Both are at most a few hundred thousand; the product cannot overflow usize.
    let bytes = (items as usize).saturating_mul(size as usize);
    // SAFETY: plain malloc; zlib checks for null.
    unsafe { malloc(bytes) }
}

extern "C" fn zfree(_opaque: *mut c_void, address: *mut c_void) {
    // SAFETY: `address` came from `zalloc` (or is null, which free accepts).
    unsafe { free(address) }
}

fn new_stream() -> Box<z::z_stream> {
    Box::new(z::z_stream {
        next_in: std::ptr::null_mut(),
        avail_in: 0,
        total_in: 0,
        next_out: std::ptr::null_mut(),
        avail_out: 0,
        total_out: 0,
        msg: std::ptr::null_mut(),
        state: std::ptr::null_mut(),
        zalloc,
        zfree,
        opaque: std::ptr::null_mut(),
        data_type: 0,
        adler: 0,
        reserved: 0,
    })
}

fn stream_size() -> c_int {
    c_int::try_from(size_of::<z::z_stream>()).expect("z_stream is a few dozen bytes")
}

/// At most `u32::MAX` bytes per call: zlib counts in `uInt`.
fn clamp_len(len: usize) -> c_uint {
    c_uint::try_from(len).unwrap_or(c_uint::MAX)
}

/// Runs one zlib call over `input` into `out`'s spare capacity: `room` bytes are reserved
/// and at most that many written.
fn step(
    stream: &mut z::z_stream,
    input: &[u8],
    out: &mut Vec<u8>,
    room: usize,
    call: impl FnOnce(&mut z::z_stream) -> c_int,
) -> (c_int, usize, usize) {
    out.reserve(room);
    let spare = out.spare_capacity_mut();
    let avail_out = clamp_len(spare.len().min(room));
    let avail_in = clamp_len(input.len());
    stream.next_in = input.as_ptr().cast_mut();
    stream.avail_in = avail_in;
    stream.next_out = spare.as_mut_ptr().cast();
    stream.avail_out = avail_out;
    let code = call(stream);
    let consumed = (avail_in - stream.avail_in) as usize;
    let produced = (avail_out - stream.avail_out) as usize;
    stream.next_in = std::ptr::null_mut();
    stream.avail_in = 0;
    stream.next_out = std::ptr::null_mut();
    stream.avail_out = 0;
    // SAFETY: zlib wrote exactly `produced` bytes at the start of the spare capacity.
    unsafe { out.set_len(out.len() + produced) };
    (code, consumed, produced)
}

/// A raw deflate compressor.
pub(super) struct Deflater {
    stream: Box<z::z_stream>,
}

impl Deflater {
    /// `level` 0..=9, `window_bits` 9..=15, `mem_level` 1..=9 (clamped into range).
    pub(super) fn new(level: u8, window_bits: u8, mem_level: u8) -> Self {
        let mut stream = new_stream();
        // SAFETY: a fresh boxed stream with our allocator; the arguments are in range.
        let code = unsafe {
            z::deflateInit2_(
                &mut *stream,
                c_int::from(level.min(9)),
                z::Z_DEFLATED,
                -c_int::from(window_bits.clamp(9, 15)),
                c_int::from(mem_level.clamp(1, 9)),
                z::Z_DEFAULT_STRATEGY,
                z::zlibVersion(),
                stream_size(),
            )
        };
        // Only Z_MEM_ERROR is possible with valid arguments: treat it as the allocation
        // failure it is.
        assert_eq!(code, z::Z_OK, "deflateInit2 failed: out of memory");
        Self { stream }
    }

    /// Compresses `input` with a sync flush into at most `room` bytes appended to `out`.
    /// Call again with the rest of the input (or none) while the output filled `room`.
    pub(super) fn sync_flush(&mut self, input: &[u8], out: &mut Vec<u8>, room: usize) -> Progress {
        let (code, consumed, produced) = step(&mut self.stream, input, out, room, |s| {
            // SAFETY: the stream is initialized and its buffers are live (see `step`).
            unsafe { z::deflate(s, z::Z_SYNC_FLUSH) }
        });
        // Z_BUF_ERROR only means no progress was possible; nothing else can occur on a
        // stream that is only ever sync-flushed.
        debug_assert!(code == z::Z_OK || code == z::Z_BUF_ERROR, "deflate: {code}");
        Progress {
            consumed,
            produced,
            stream_end: false,
        }
    }

    /// Forgets the history: the next message starts a fresh stream.
    pub(super) fn reset(&mut self) {
        // SAFETY: the stream is initialized.
        unsafe { z::deflateReset(&mut *self.stream) };
    }

    /// Replaces `history` with the compressor's history: the last bytes it compressed, as
    /// many as its window holds (fewer at the start of the stream).
    pub(super) fn history(&mut self, history: &mut Vec<u8>) {
        history.clear();
        let mut len = clamp_len(WINDOW_MAX);
        history.reserve(WINDOW_MAX);
        // SAFETY: the stream is initialized; zlib copies at most its window (at most
        // 32 KiB, all reserved above) into the spare capacity and sets `len` to the count.
        let code = unsafe {
            deflateGetDictionary(
                &mut *self.stream,
                history.spare_capacity_mut().as_mut_ptr().cast(),
                &mut len,
            )
        };
        debug_assert_eq!(code, z::Z_OK, "deflateGetDictionary: {code}");
        if code == z::Z_OK {
            // SAFETY: zlib wrote exactly `len` bytes, at most the capacity reserved.
            unsafe { history.set_len((len as usize).min(WINDOW_MAX)) };
        }
    }

    /// Makes `tail` the whole history, as if the stream so far had ended with it: the next
    /// message may refer back into it and nothing before it. `tail` must be at least as
    /// long as the window (zlib appends a shorter one to the old history) and is called
    /// between messages (after a sync flush has consumed all input).
    pub(super) fn replace_history(&mut self, tail: &[u8]) {
        // SAFETY: the stream is initialized and `tail` is live for the call; zlib copies it.
        let code = unsafe {
            z::deflateSetDictionary(&mut *self.stream, tail.as_ptr(), clamp_len(tail.len()))
        };
        debug_assert_eq!(code, z::Z_OK, "deflateSetDictionary: {code}");
    }
}

/// The largest window zlib keeps: 2^15 bytes.
const WINDOW_MAX: usize = 1 << 15;

extern "C" {
    // In zlib since 1.2.9 (libz-sys bundles a later one), not declared by libz-sys.
    fn deflateGetDictionary(
        strm: *mut z::z_stream,
        dictionary: *mut u8,
        dict_length: *mut c_uint,
    ) -> c_int;
}

impl Drop for Deflater {
    fn drop(&mut self) {
        // SAFETY: initialized in `new`, ended once here.
        unsafe { z::deflateEnd(&mut *self.stream) };
    }
}

/// A raw deflate decompressor. zlib allocates its window on the first output.
pub(super) struct Inflater {
    stream: Box<z::z_stream>,
}

impl Inflater {
    /// `window_bits` 9..=15 (clamped into range).
    pub(super) fn new(window_bits: u8) -> Self {
        let mut stream = new_stream();
        // SAFETY: a fresh boxed stream with our allocator; the window is in range.
        let code = unsafe {
            z::inflateInit2_(
                &mut *stream,
                -c_int::from(window_bits.clamp(9, 15)),
                z::zlibVersion(),
                stream_size(),
            )
        };
        assert_eq!(code, z::Z_OK, "inflateInit2 failed: out of memory");
        Self { stream }
    }

    /// Inflates `input` into at most `room` bytes appended to `out`.
    ///
    /// # Errors
    ///
    /// [`Corrupt`] on invalid data; the inflater is then unusable.
    pub(super) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        room: usize,
    ) -> Result<Progress, Corrupt> {
        let (code, consumed, produced) = step(&mut self.stream, input, out, room, |s| {
            // SAFETY: the stream is initialized and its buffers are live (see `step`).
            unsafe { z::inflate(s, z::Z_NO_FLUSH) }
        });
        match code {
            z::Z_OK | z::Z_BUF_ERROR | z::Z_STREAM_END => Ok(Progress {
                consumed,
                produced,
                stream_end: code == z::Z_STREAM_END,
            }),
            _ => Err(Corrupt),
        }
    }

    /// Forgets the history (the window stays allocated).
    pub(super) fn reset(&mut self) {
        // SAFETY: the stream is initialized.
        unsafe { z::inflateReset(&mut *self.stream) };
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: initialized in `new`, ended once here.
        unsafe { z::inflateEnd(&mut *self.stream) };
    }
}

// SAFETY: the streams own their state and hold no thread-bound data; they are only used
// through `&mut self`.
unsafe impl Send for Deflater {}
// SAFETY: as above.
unsafe impl Send for Inflater {}
// SAFETY: no `&self` method touches the stream.
unsafe impl Sync for Deflater {}
// SAFETY: as above.
unsafe impl Sync for Inflater {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_appended_within_the_room_given() {
        let text = b"the same words, the same words, the same words again".repeat(40);
        let mut deflater = Deflater::new(6, 9, 1);
        let mut wire = b"head".to_vec();
        let mut input = &text[..];
        // Ten bytes at a time: every call stays within its room and appends after what
        // is already there.
        loop {
            let before = wire.len();
            let progress = deflater.sync_flush(input, &mut wire, 10);
            assert!(progress.produced <= 10);
            assert_eq!(wire.len(), before + progress.produced);
            input = &input[progress.consumed..];
            if input.is_empty() && progress.produced < 10 {
                break;
            }
        }
        assert!(wire.starts_with(b"head") && wire.ends_with(&[0, 0, 0xff, 0xff]));

        let mut inflater = Inflater::new(9);
        let mut out = b"x".to_vec();
        let progress = inflater.inflate(&wire[4..], &mut out, 4096).unwrap();
        assert_eq!(progress.consumed, wire.len() - 4);
        assert!(!progress.stream_end);
        assert_eq!(&out[1..], &text[..]);
    }

    #[test]
    fn invalid_data_is_corrupt_and_reset_starts_over() {
        let mut inflater = Inflater::new(15);
        let mut out = Vec::new();
        // BTYPE 11 is reserved.
        assert_eq!(inflater.inflate(&[0xff; 8], &mut out, 64), Err(Corrupt));
        inflater.reset();
        // The RFC 7692 "Hello" after a reset.
        let hello = [
            0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
        ];
        inflater.inflate(&hello, &mut out, 64).unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn deflater_reset_forgets_the_history() {
        let mut deflater = Deflater::new(6, 15, 8);
        let mut first = Vec::new();
        deflater.sync_flush(b"Hello", &mut first, 64);
        let mut second = Vec::new();
        deflater.sync_flush(b"Hello", &mut second, 64);
        assert_ne!(first, second, "context takeover refers back");
        deflater.reset();
        let mut third = Vec::new();
        deflater.sync_flush(b"Hello", &mut third, 64);
        assert_eq!(first, third);
    }
}
