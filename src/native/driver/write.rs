//! Writing: the core's output, taken when the last batch is written, out to the socket
//! (vectored when large payloads are shared), then the half-close.

use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Buf;

use super::timers::Timer;
use super::Driver;
use crate::native::transport::Transport;
use crate::protocol::Transmit;

/// Slices handed to one vectored write.
const WRITE_SLICES: usize = 64;
/// A drained write buffer bigger than this is freed when it was mostly unused.
pub(super) const KEEP_WRITE_BUFFER: usize = 64 * 1024;

impl<S: Transport> Driver<S> {
    pub(super) fn unwritten(&self) -> usize {
        self.wbuf.len()
    }

    /// Takes the core's output when the last batch is written, and records what is
    /// unwritten. Returns whether a writer in this task got room (it needs polling).
    pub(super) fn take_output(&mut self, cx: &Context<'_>) -> bool {
        let mut inner = self.shared.lock();
        if self.wbuf.is_empty() {
            self.wbuf.reset(KEEP_WRITE_BUFFER);
            self.timers.stop(Timer::WriteStall);
            // Handles' writes are all taken now: no need for another round for them.
            inner.dirty = false;
            // Into an empty buffer, the core's output moves without a copy.
            while let Some(transmit) = inner.core.poll_transmit_output(&mut self.wbuf) {
                self.eof_requested |= transmit == Transmit::Eof;
            }
        }
        inner.in_flight = self.unwritten();
        self.read_allowed = Self::read_allowed(&inner, self.config.write_high_water);
        inner.release_writers(self.config.write_high_water, cx)
    }

    /// Writes what is pending. Returns whether bytes (or the EOF) went out, and whether a
    /// writer in this task got room.
    pub(super) fn poll_write(&mut self, cx: &mut Context<'_>) -> (bool, bool) {
        if self.io_failed {
            return (false, false);
        }
        let mut progress = false;
        let mut released = false;
        loop {
            // The lock is taken only when there may be new output. That what was written
            // drained is recorded by `settle`, which takes the lock anyway before the
            // driver parks: handles that meanwhile saw the older, larger figure wait for it.
            if self.wbuf.is_empty() && self.output_hint {
                self.output_hint = false;
                released |= self.take_output(cx);
            }
            if self.wbuf.is_empty() {
                if progress {
                    self.timers.stop(Timer::WriteStall);
                }
                break;
            }
            let stream = Pin::new(&mut self.stream);
            let written = if self.wbuf.is_fragmented() {
                let mut slices = [IoSlice::new(&[]); WRITE_SLICES];
                let count = self.wbuf.chunks_vectored(&mut slices);
                stream.poll_write_vectored(cx, &slices[..count])
            } else {
                stream.poll_write(cx, self.wbuf.chunk())
            };
            match written {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                    self.fail_io();
                    return (true, released);
                }
                Poll::Ready(Ok(n)) => {
                    self.wbuf.advance(n);
                    progress = true;
                }
                Poll::Pending => {
                    if let Some(timeout) = self.config.write_timeout {
                        // The clock is read only when a write would block.
                        if progress || !self.timers.is_set(Timer::WriteStall) {
                            self.timers.set(Timer::WriteStall, Instant::now() + timeout);
                        }
                    }
                    if progress {
                        // Record what is still unwritten, for the writers' flow control.
                        released |= self.take_output(cx);
                    }
                    return (progress, released);
                }
            }
        }
        if progress {
            if let Poll::Ready(Err(_)) = Pin::new(&mut self.stream).poll_flush(cx) {
                self.fail_io();
                return (true, released);
            }
        }
        if self.eof_requested
            && !self.shutdown_done
            && Pin::new(&mut self.stream).poll_shutdown(cx).is_ready()
        {
            self.shutdown_done = true;
            if !self.peer_eof {
                self.timers
                    .set(Timer::Linger, Instant::now() + self.config.linger);
            }
            progress = true;
        }
        (progress, released)
    }
}
