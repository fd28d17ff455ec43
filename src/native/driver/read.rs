//! Reading: one read from the socket into the core, through this thread's buffer or the
//! core's own (lent) input buffer, and the events that come of it.

use std::cell::RefCell;
use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::MutexGuard;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncReadExt, ReadBuf};

use super::delivery::{reader_caught_up, take_events};
use super::inline::InlineInbox;
use super::shared::{Inner, Shared};
use super::timers::Timer;
use super::Driver;
use crate::native::transport::Transport;

/// Most bytes one read takes. Small-message connections read into one buffer per thread
/// ([`with_read_buffer`]), so an idle connection holds no read buffer at all; a connection
/// whose input buffer large frames grew reads straight into it ([`read_into_core`]). Both
/// read this much at most: a read that fills it leaves tokio's readiness set, so the next
/// read follows without a trip through `epoll`.
const READ_CHUNK: usize = 64 * 1024;

impl<S: Transport> Driver<S> {
    /// Whether the next read may go ahead (cached whenever the lock is held anyway).
    pub(super) fn read_allowed(inner: &Inner, write_high_water: usize) -> bool {
        // While our output is backed up, read nothing more: a peer that floods pings
        // without reading our pongs is stopped by TCP back-pressure, not by our memory.
        inner.core.wants_read() && inner.unwritten() <= write_high_water
    }

    /// Reads once into the core and hands the events that came of it on. Returns whether
    /// the socket made progress, and whether events were delivered.
    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        inline: Option<&RefCell<InlineInbox>>,
    ) -> (bool, bool) {
        if self.read_idle || self.io_failed || self.peer_eof {
            return (false, false);
        }
        let lingering = self.timers.is_set(Timer::Linger);
        if !self.read_allowed && !lingering {
            return (false, false);
        }
        let peer_eof = &mut self.peer_eof;
        let lent = &mut self.lent_input;
        match read_into_core(
            &mut self.stream,
            &self.shared,
            lent,
            peer_eof,
            cx,
            lingering,
            inline,
        ) {
            ReadInto::Core(inner) => {
                self.read_since_release_armed = true;
                let (delivered, _) = take_events(inner, &self.shared, &mut self.hooks, inline, cx);
                return (true, delivered);
            }
            ReadInto::Pending => {
                self.read_idle = true;
                return (false, false);
            }
            ReadInto::Failed => {}
        }
        self.fail_io();
        (true, false)
    }
}

/// Tells the core whether the reader has messages it has not handled, so a violation in
/// the bytes about to be fed waits for them (see `Connection::receive`).
fn tell_reader_state(inner: &mut Inner, inline: Option<&RefCell<InlineInbox>>) {
    inner.core.reader_behind = !reader_caught_up(inner, inline);
}

/// What [`read_into_core`] did.
enum ReadInto<'a> {
    /// Bytes (or the peer's EOF) went to the core, or were dropped while lingering; the
    /// lock is still held, for the events they made.
    Core(MutexGuard<'a, Inner>),
    /// The socket failed.
    Failed,
    /// Nothing to read yet; the socket has our waker.
    Pending,
}

/// One read from the socket, fed to the core unless `lingering`; an EOF sets `peer_eof`.
///
/// The read goes into the core's own input buffer when the core lent it (`lent`: large
/// frames grew it) and the bytes are wanted, else into this thread's read buffer, copied
/// into the core after. Either way at most [`READ_CHUNK`] bytes, so reads come the same
/// size.
fn read_into_core<'a, S: Transport>(
    stream: &mut S,
    shared: &'a Shared,
    lent: &mut Option<Box<BytesMut>>,
    peer_eof: &mut bool,
    cx: &mut Context<'_>,
    lingering: bool,
    inline: Option<&RefCell<InlineInbox>>,
) -> ReadInto<'a> {
    if let Some(slot) = lent.as_mut().filter(|_| !lingering) {
        let (read, still_lent) = read_into_lent(stream, shared, slot, peer_eof, cx, inline);
        if !still_lent {
            *lent = None;
        }
        return read;
    }
    with_read_buffer(|storage| {
        let mut buf = ReadBuf::uninit(storage);
        match Pin::new(stream).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                let mut inner = shared.lock();
                if buf.filled().is_empty() {
                    *peer_eof = true;
                    inner.core.receive_eof();
                } else if !lingering {
                    tell_reader_state(&mut inner, inline);
                    inner.core.receive_with_clock(buf.filled(), Instant::now);
                    *lent = inner.core.lend_input().map(Box::new);
                }
                ReadInto::Core(inner)
            }
            Poll::Ready(Err(_)) => ReadInto::Failed,
            Poll::Pending => ReadInto::Pending,
        }
    })
}

/// [`read_into_core`] into the input buffer the core lent (`slot`), which goes back to
/// the core with the bytes read and is borrowed again into `slot`; the flag tells whether
/// the core still lends it.
fn read_into_lent<'a, S: Transport>(
    stream: &mut S,
    shared: &'a Shared,
    slot: &mut BytesMut,
    peer_eof: &mut bool,
    cx: &mut Context<'_>,
    inline: Option<&RefCell<InlineInbox>>,
) -> (ReadInto<'a>, bool) {
    // Reserved now, not when lent: the message last parsed out of it has been answered
    // and dropped since, so this reuses its memory (still in cache) instead of allocating.
    slot.reserve(READ_CHUNK);
    let read = std::pin::pin!(stream.read_buf(&mut slot.limit(READ_CHUNK))).poll(cx);
    let read = match read {
        Poll::Ready(Ok(read)) => read,
        Poll::Ready(Err(_)) => return (ReadInto::Failed, true),
        Poll::Pending => return (ReadInto::Pending, true),
    };
    let mut inner = shared.lock();
    let input = std::mem::take(slot);
    if read == 0 {
        *peer_eof = true;
        inner.core.restore_input(input);
        inner.core.receive_eof();
    } else {
        tell_reader_state(&mut inner, inline);
        inner.core.receive_lent(input, Instant::now);
    }
    // Into the same box: one allocation per connection, not per read.
    let still_lent = match inner.core.lend_input() {
        Some(again) => {
            *slot = again;
            true
        }
        None => false,
    };
    (ReadInto::Core(inner), still_lent)
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
