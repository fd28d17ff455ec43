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

use super::codec::{strip_tail, DeflateKey, SHARED_DEFLATERS};
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
    own: Option<&mut Deflater>,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> bool {
    let (level, bits, mem_level) = key;
    debug_assert!(payload.len() >= large_message_min(bits));
    let mut own = own;
    let done = POOL.try_with(|cell| {
        let Ok(mut pool) = cell.try_borrow_mut() else {
            return false;
        };
        let Pool { deflaters, history } = &mut *pool;
        let index = match deflaters.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                if deflaters.len() == SHARED_DEFLATERS {
                    deflaters.remove(0);
                }
                let config = DeflateConfig {
                    level: i32::from(level),
                    window_bits: -i32::from(bits),
                    mem_level: i32::from(mem_level),
                    ..DeflateConfig::default()
                };
                deflaters.push((key, Deflate::new_with_config(config)));
                deflaters.len() - 1
            }
        };
        let deflater = &mut deflaters[index].1;
        deflater.reset();
        if let Some(own) = own.as_deref_mut() {
            own.history(history);
            if !history.is_empty() && deflater.set_dictionary(history).is_err() {
                return false;
            }
        }
        if !sync_flush(deflater, payload, out) {
            return false;
        }
        if let Some(own) = own {
            own.replace_history(&payload[payload.len() - (1 << bits)..]);
        }
        true
    });
    done == Ok(true)
}

/// One message through `deflater` with a sync flush, tail removed. `false` (and `out`
/// as it was) if zlib-rs reports an error, which a sync flush of valid input never does.
fn sync_flush(deflater: &mut Deflate, payload: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    let mut input = payload;
    // As in the C path: one step nearly always suffices.
    let mut room = input.len() + input.len() / 64 + 64;
    loop {
        let at = out.len();
        out.resize(at + room, 0);
        let (in_before, out_before) = (deflater.total_in(), deflater.total_out());
        let status = deflater.compress(input, &mut out[at..], DeflateFlush::SyncFlush);
        let consumed = (deflater.total_in() - in_before) as usize;
        let produced = (deflater.total_out() - out_before) as usize;
        out.truncate(at + produced);
        input = &input[consumed..];
        if input.is_empty() && produced < room {
            break;
        }
        if status.is_err() || (consumed == 0 && produced == 0) {
            out.truncate(start);
            return false;
        }
        room = room.max(64) * 2;
    }
    strip_tail(out, start);
    true
}
