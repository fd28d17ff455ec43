//! Reading: one read from the socket into the core, through this thread's buffer or the
//! core's own (lent) input buffer.

use std::cell::RefCell;
use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncReadExt, ReadBuf};

use super::delivery::reader_caught_up;
use super::inline::InlineInbox;
use super::shared::Inner;
use super::timers::Timer;
use super::Socket;
use crate::native::transport::Transport;

/// Most bytes one read takes, but for whole frames (see [`lent_read_size`]).
/// Small-message connections read into one buffer per thread ([`with_read_buffer`]), so an
/// idle connection holds no read buffer at all; a connection whose input buffer large
/// frames grew reads straight into it ([`read_into_core`]). A read that fills what it asked
/// for leaves tokio's readiness set, so the next read follows without a trip through `epoll`.
const READ_CHUNK: usize = 64 * 1024;

/// Frames up to this long (header included) are read whole, see [`lent_read_size`].
const WHOLE_FRAME_READ_MAX: usize = 128 * 1024;

/// What one read into a connection's own input buffer asks for. While its frames are at
/// most [`WHOLE_FRAME_READ_MAX`] long, the longest seen and a little more: a frame that is
/// already in the socket then comes in one `recv`, which stops short of what was asked, so
/// tokio knows the socket is drained without a second `recv` (a 64 KiB frame and its header
/// took two). Longer frames span many reads anyway and are read [`READ_CHUNK`] at a time:
/// asking for more made reads stop short mid-message, each costing a wait for `epoll`.
fn lent_read_size(largest_frame: usize) -> usize {
    if largest_frame > WHOLE_FRAME_READ_MAX {
        READ_CHUNK
    } else {
        READ_CHUNK.max(largest_frame + READ_CHUNK / 16)
    }
}

impl<S: Transport> Socket<S> {
    /// Whether the next read may go ahead.
    fn read_allowed(&self, inner: &Inner) -> bool {
        // While our output is backed up, read nothing more: a peer that floods pings
        // without reading our pongs is stopped by TCP back-pressure, not by our memory.
        inner.core.wants_read() && inner.unwritten() <= self.config.write_high_water
    }

    /// Whether a read would go ahead now and has not yet met Pending in this poll.
    pub(super) fn may_read(&self, inner: &Inner) -> bool {
        !self.read_idle && !self.peer_eof && !self.io_failed && self.read_allowed(inner)
    }

    /// Reads once into the core. Returns whether the socket made progress (bytes, the
    /// peer's EOF or a failure).
    #[inline]
    pub(super) fn poll_read(
        &mut self,
        inner: &mut Inner,
        cx: &mut Context<'_>,
        inline: Option<&RefCell<InlineInbox>>,
    ) -> bool {
        if self.read_idle || self.io_failed || self.peer_eof {
            return false;
        }
        let lingering = self.timers.is_set(Timer::Linger);
        if !lingering && !self.read_allowed(inner) {
            return false;
        }
        let reading = Reading {
            inner,
            peer_eof: &mut self.peer_eof,
            lingering,
            inline,
        };
        match read_into_core(&mut self.stream, &mut self.lent_input, reading, cx) {
            ReadInto::Core => {
                self.read_since_release_armed = true;
                true
            }
            ReadInto::Pending => {
                self.read_idle = true;
                false
            }
            ReadInto::Failed => {
                self.fail_io(inner);
                true
            }
        }
    }
}

/// Tells the core whether the reader has messages it has not handled, so a violation in
/// the bytes about to be fed waits for them (see `Connection::receive`).
fn tell_reader_state(inner: &mut Inner, inline: Option<&RefCell<InlineInbox>>) {
    inner.core.reader_behind = !reader_caught_up(inner, inline);
}

/// Where the bytes of one read go.
struct Reading<'a, 'b> {
    inner: &'a mut Inner,
    /// Set on the peer's EOF.
    peer_eof: &'a mut bool,
    /// Read bytes are dropped, not fed (see [`Timer::Linger`]).
    lingering: bool,
    inline: Option<&'b RefCell<InlineInbox>>,
}

/// What [`read_into_core`] did.
enum ReadInto {
    /// Bytes (or the peer's EOF) went to the core, or were dropped while lingering.
    Core,
    /// The socket failed.
    Failed,
    /// Nothing to read yet; the socket has our waker.
    Pending,
}

/// One read from the socket, fed to the core unless lingering.
///
/// The read goes into the core's own input buffer when the core lent it (`lent`: large
/// frames grew it) and the bytes are wanted, else into this thread's read buffer, copied
/// into the core after. Either way at most [`READ_CHUNK`] bytes, or a whole frame of up
/// to [`WHOLE_FRAME_READ_MAX`].
fn read_into_core<S: Transport>(
    stream: &mut S,
    lent: &mut Option<Box<BytesMut>>,
    to: Reading<'_, '_>,
    cx: &mut Context<'_>,
) -> ReadInto {
    if let Some(slot) = lent.as_mut().filter(|_| !to.lingering) {
        let (read, still_lent) = read_into_lent(stream, slot, to, cx);
        if !still_lent {
            *lent = None;
        }
        return read;
    }
    with_read_buffer(|storage| {
        let mut buf = ReadBuf::uninit(storage);
        match Pin::new(stream).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().is_empty() {
                    *to.peer_eof = true;
                    to.inner.core.receive_eof();
                } else if !to.lingering {
                    tell_reader_state(to.inner, to.inline);
                    to.inner.core.receive_with_clock(buf.filled(), Instant::now);
                    *lent = to.inner.core.lend_input().map(Box::new);
                }
                ReadInto::Core
            }
            Poll::Ready(Err(_)) => ReadInto::Failed,
            Poll::Pending => ReadInto::Pending,
        }
    })
}

/// [`read_into_core`] into the input buffer the core lent (`slot`), which goes back to
/// the core with the bytes read and is borrowed again into `slot`; the flag tells whether
/// the core still lends it.
fn read_into_lent<S: Transport>(
    stream: &mut S,
    slot: &mut BytesMut,
    to: Reading<'_, '_>,
    cx: &mut Context<'_>,
) -> (ReadInto, bool) {
    // Reserved now, not when lent: the message last parsed out of it has been answered
    // and dropped since, so this reuses its memory (still in cache) instead of allocating.
    let size = lent_read_size(to.inner.core.largest_frame());
    slot.reserve(size);
    let read = std::pin::pin!(stream.read_buf(&mut slot.limit(size))).poll(cx);
    let read = match read {
        Poll::Ready(Ok(read)) => read,
        Poll::Ready(Err(_)) => return (ReadInto::Failed, true),
        Poll::Pending => return (ReadInto::Pending, true),
    };
    let input = std::mem::take(slot);
    if read == 0 {
        *to.peer_eof = true;
        to.inner.core.restore_input(input);
        to.inner.core.receive_eof();
    } else {
        tell_reader_state(to.inner, to.inline);
        to.inner.core.receive_lent(input, Instant::now);
    }
    // Into the same box: one allocation per connection, not per read.
    let still_lent = match to.inner.core.lend_input() {
        Some(again) => {
            *slot = again;
            true
        }
        None => false,
    };
    (ReadInto::Core, still_lent)
}

thread_local! {
    static READ_BUFFER: RefCell<Box<[MaybeUninit<u8>]>> =
        RefCell::new(Box::new_uninit_slice(READ_CHUNK));
}

/// Runs `read` with this thread's read buffer. The buffer is not on the stack: a poll
/// holding 64 KiB there probes every page of it every time (BENCHMARKS.md).
fn with_read_buffer<R>(read: impl FnOnce(&mut [MaybeUninit<u8>]) -> R) -> R {
    READ_BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => read(&mut buffer),
        // A read inside a read on this thread (nothing does that): a buffer of its own.
        Err(_) => read(&mut Box::new_uninit_slice(READ_CHUNK)),
    })
}
