//! Writing: the core's output, taken when the last batch is written, out to the socket
//! (vectored when large payloads are shared), then the half-close.

use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Buf;

use super::shared::Inner;
use super::timers::Timer;
use super::Socket;
use crate::native::transport::Transport;
use crate::protocol::Transmit;

/// Slices handed to one vectored write.
const WRITE_SLICES: usize = 64;
/// A drained write buffer bigger than this is freed when it was mostly unused.
pub(super) const KEEP_WRITE_BUFFER: usize = 64 * 1024;

impl<S: Transport> Socket<S> {
    pub(super) fn unwritten(&self) -> usize {
        self.wbuf.len()
    }

    /// Whether [`poll_write`](Self::poll_write) has anything to do: bytes to write, or the
    /// shutdown.
    #[inline]
    pub(super) fn has_output(&self, inner: &Inner) -> bool {
        !self.wbuf.is_empty()
            || inner.core.has_transmit()
            || (self.eof_requested && !self.shutdown_done)
    }

    /// Takes the core's output (bytes, or the EOF) into the drained write buffer.
    fn take_output(&mut self, inner: &mut Inner) {
        if !inner.core.has_transmit() {
            return;
        }
        self.wbuf.reset(KEEP_WRITE_BUFFER);
        // Into an empty buffer, the core's output moves without a copy.
        while let Some(transmit) = inner.core.poll_transmit_output(&mut self.wbuf) {
            self.eof_requested |= transmit == Transmit::Eof;
        }
    }

    /// Writes what is pending, the core's new output included. Returns whether bytes (or
    /// the EOF) went out, and whether a writer in this task got room (it needs polling).
    #[inline]
    pub(super) fn poll_write(&mut self, inner: &mut Inner, cx: &mut Context<'_>) -> (bool, bool) {
        if self.io_failed {
            return (false, false);
        }
        let progress = self.write_out(inner, cx);
        // What is unwritten, for the writers' flow control.
        inner.in_flight = self.unwritten();
        let released = progress && inner.release_writers(self.config.write_high_water, cx);
        (progress, released)
    }

    /// The loop of [`poll_write`](Self::poll_write): writes until the output is empty or
    /// the socket is full, then flushes, then shuts down once the EOF is due.
    fn write_out(&mut self, inner: &mut Inner, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            if self.wbuf.is_empty() {
                self.take_output(inner);
                // Only the EOF, or nothing: written.
                if self.wbuf.is_empty() {
                    if progress {
                        self.timers.stop(Timer::WriteStall);
                    }
                    break;
                }
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
                    self.fail_io(inner);
                    return true;
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
                    return progress;
                }
            }
        }
        if progress {
            if let Poll::Ready(Err(_)) = Pin::new(&mut self.stream).poll_flush(cx) {
                self.fail_io(inner);
                return true;
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
        progress
    }
}
