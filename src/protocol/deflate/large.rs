//! Large messages compressed on zlib-rs, with a compressor kept per thread.
//!
//! A connection's own compressor is C zlib (see [`super::zlib`]) because its memory follows
//! the window and memory level. zlib-rs costs more memory (a fixed 128 KiB hash table) but
//! compresses long inputs about twice as fast at the same settings. A message at least as
//! long as the compressor's window has its own context for all but its first bytes, so it
//! goes through the thread's zlib-rs compressor instead:
//!
//! * with context takeover, the zlib-rs compressor starts from the connection
//!   compressor's history (so the message may refer back as before), and afterwards the
//!   connection compressor's history becomes the message's last window of bytes, which
//!   is what the peer's decompressor holds then;
//! * without it, the zlib-rs compressor starts fresh, as the C one would.
//!
//! Either way the peer sees one continuous deflate stream: each message ends byte-aligned
//! with a sync flush, and no match reaches back past what both sides hold.

use std::cell::RefCell;

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush};

use super::codec::{pooled, sync_flush_with, DeflateKey};
use super::zlib::Deflater;

/// Messages shorter than this stay on the connection's compressor whatever its window:
/// starting the zlib-rs compressor clears its 128 KiB hash table.
const LARGE_MESSAGE_MIN: usize = 8 * 1024;

/// The thread's zlib-rs compressors and the buffer a connection's history is copied into.
struct Pool {
    deflaters: Vec<(DeflateKey, Deflate)>,
    history: Vec<u8>,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            deflaters: Vec::new(),
            history: Vec::new(),
        })
    };
}

/// The shortest message compressed here under a compressor window of `window_bits`:
/// at least the window, so that the message's tail can replace the connection
/// compressor's whole history.
pub(super) fn large_message_min(window_bits: u8) -> usize {
    LARGE_MESSAGE_MIN.max(1 << window_bits)
}

/// Compresses `payload` (at least [`large_message_min`] bytes) as one message into
/// `out`, tail removed, on the thread's zlib-rs compressor for `key`. With `own` (the
/// connection's compressor, when it keeps its context) the message continues its history,
/// and its history is then the message's tail.
///
/// Returns `false`, with `out` and `own` untouched, when the thread's pool is not
/// available (the thread is exiting, or this is a nested call): compress with `own` or a
/// fresh compressor instead.
pub(super) fn compress(
    key: DeflateKey,
    mut own: Option<&mut Deflater>,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> bool {
    let (level, bits, mem_level) = key;
    debug_assert!(payload.len() >= large_message_min(bits));
    let done = POOL.try_with(|cell| {
        let Ok(mut pool) = cell.try_borrow_mut() else {
            return false;
        };
        let Pool { deflaters, history } = &mut *pool;
        let deflater = pooled(deflaters, key, || {
            Deflate::new_with_config(DeflateConfig {
                level: i32::from(level),
                window_bits: -i32::from(bits),
                mem_level: i32::from(mem_level),
                ..DeflateConfig::default()
            })
        });
        deflater.reset();
        if let Some(own) = own.as_deref_mut() {
            own.history(history);
            if !history.is_empty() && deflater.set_dictionary(history).is_err() {
                return false;
            }
        }
        if !sync_flush_with(payload, out, |input, out, room| {
            step(deflater, input, out, room)
        }) {
            return false;
        }
        if let Some(own) = own {
            own.replace_history(&payload[payload.len() - (1 << bits)..]);
        }
        true
    });
    done == Ok(true)
}

/// One zlib-rs call with a sync flush into at most `room` bytes appended to `out`: the
/// input consumed and output produced, or `None` on an error (which a sync flush of valid
/// input never gives).
fn step(
    deflater: &mut Deflate,
    input: &[u8],
    out: &mut Vec<u8>,
    room: usize,
) -> Option<(usize, usize)> {
    let at = out.len();
    out.resize(at + room, 0);
    let (in_before, out_before) = (deflater.total_in(), deflater.total_out());
    let status = deflater.compress(input, &mut out[at..], DeflateFlush::SyncFlush);
    let consumed = (deflater.total_in() - in_before) as usize;
    let produced = (deflater.total_out() - out_before) as usize;
    out.truncate(at + produced);
    status.ok().map(|_| (consumed, produced))
}
