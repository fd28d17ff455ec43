//! Bytes waiting for the wire: runs of copied bytes, with large payloads queued by reference
//! between them instead of being copied.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

/// Unmasked payloads at least this long are queued by reference ([`Output::push_shared`]):
/// one more slice in a vectored write costs less than copying them.
pub(crate) const SHARE_THRESHOLD: usize = 4 * 1024;

/// A payload shared by reference, and the copied bytes that follow it.
type Segment = (Bytes, Vec<u8>);

/// The bytes a [`Connection`](super::Connection) has for the wire, in order, as a
/// [`Buf`]: write [`chunk`](Buf::chunk) or [`chunks_vectored`](Buf::chunks_vectored), then
/// [`advance`](Buf::advance) by what the socket took.
///
/// Small frames are copied into one contiguous run; a large server payload stays the
/// `Bytes` the application sent, so it reaches the socket without a copy.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// The first run of copied bytes; `head[pos..]` is unwritten.
    head: Vec<u8>,
    pos: usize,
    /// After `head`: each shared payload with the copied bytes that follow it. Boxed (and
    /// only allocated once a payload is shared) so that an idle connection's two outputs
    /// stay small.
    #[allow(clippy::box_collection)] // 8 bytes instead of 32 in every connection
    rest: Option<Box<VecDeque<Segment>>>,
    /// Unwritten bytes in all.
    len: usize,
}

impl Output {
    /// An empty output; allocates nothing until bytes are added.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Unwritten bytes in all (the same as [`remaining`](Buf::remaining)).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether every byte has been written.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the bytes are in more than one piece (a vectored write helps).
    #[inline]
    pub(crate) fn is_fragmented(&self) -> bool {
        self.rest.as_ref().is_some_and(|rest| !rest.is_empty())
    }

    fn rest(&self) -> impl Iterator<Item = &Segment> {
        self.rest.iter().flat_map(|rest| rest.iter())
    }

    /// Appends copied bytes.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.append_with(|run| run.extend_from_slice(bytes));
    }

    /// Appends a payload by reference: it is written from where it lies.
    pub(crate) fn push_shared(&mut self, payload: Bytes) {
        if payload.is_empty() {
            return;
        }
        self.len += payload.len();
        self.rest
            .get_or_insert_with(Box::default)
            .push_back((payload, Vec::new()));
    }

    /// Lets `write` append to the run of copied bytes at the end.
    pub(crate) fn append_with<R>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let run = match self.rest.as_mut().and_then(|rest| rest.back_mut()) {
            Some((_, after)) => after,
            None => &mut self.head,
        };
        let before = run.len();
        let result = write(run);
        self.len += run.len() - before;
        result
    }

    /// Moves every byte of `other` to the end of this output; `other` is left empty.
    #[inline]
    pub(crate) fn append(&mut self, other: &mut Self) {
        if self.is_empty() {
            // Nothing to keep here but capacity: take `other` whole.
            std::mem::swap(self, other);
            other.clear();
            return;
        }
        let head = &other.head[other.pos..];
        self.append_with(|run| run.extend_from_slice(head));
        if let Some(mut moved) = other.rest.take().filter(|rest| !rest.is_empty()) {
            self.len += moved.iter().map(|(b, a)| b.len() + a.len()).sum::<usize>();
            self.rest
                .get_or_insert_with(Box::default)
                .append(&mut moved);
        }
        other.clear();
    }

    /// Copies every unwritten byte to the end of `buf` and empties this output.
    pub(crate) fn drain_into(&mut self, buf: &mut Vec<u8>) {
        if buf.is_empty() && !self.is_fragmented() && self.pos == 0 {
            std::mem::swap(buf, &mut self.head);
        } else {
            buf.reserve(self.len);
            while self.has_remaining() {
                let chunk = self.chunk();
                let n = chunk.len();
                buf.extend_from_slice(chunk);
                self.advance(n);
            }
        }
        self.clear();
    }

    /// Forgets every byte, keeping the copied run's capacity.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.head.clear();
        self.pos = 0;
        if let Some(rest) = self.rest.as_mut() {
            rest.clear();
        }
        self.len = 0;
    }

    /// Empties an output whose bytes were all written, and frees its copied run when that
    /// is over `keep` bytes of capacity and the last batch used under a quarter of it: a
    /// burst's buffer is given back once traffic is small again, while one that keeps
    /// being filled is kept, so large messages do not reallocate it every time.
    // Only the native driver writes an Output.
    #[cfg_attr(
        any(
            target_arch = "wasm32",
            not(any(feature = "server", feature = "client"))
        ),
        allow(dead_code)
    )]
    #[inline]
    pub(crate) fn reset(&mut self, keep: usize) {
        let used = self.head.len();
        if used > 0 && self.head.capacity() > keep && used < self.head.capacity() / 4 {
            self.head = Vec::new();
        }
        self.clear();
    }

    /// Bytes the copied run can hold without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.head.capacity()
    }
}

impl Buf for Output {
    #[inline]
    fn remaining(&self) -> usize {
        self.len
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        if self.pos < self.head.len() {
            return &self.head[self.pos..];
        }
        // Shared payloads are never empty (push_shared skips them).
        self.rest().next().map_or(&[], |(payload, _)| payload)
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let pieces = std::iter::once(&self.head[self.pos..]).chain(
            self.rest()
                .flat_map(|(payload, after)| [&payload[..], &after[..]]),
        );
        let mut filled = 0;
        for piece in pieces.filter(|piece| !piece.is_empty()) {
            let Some(slot) = dst.get_mut(filled) else {
                break;
            };
            *slot = IoSlice::new(piece);
            filled += 1;
        }
        filled
    }

    #[inline]
    fn advance(&mut self, mut n: usize) {
        assert!(n <= self.len, "advance past the end of the output");
        self.len -= n;
        let in_head = (self.head.len() - self.pos).min(n);
        self.pos += in_head;
        n -= in_head;
        while n > 0 {
            let Some(rest) = self.rest.as_mut() else {
                break;
            };
            let Some((payload, _)) = rest.front_mut() else {
                break;
            };
            let in_payload = payload.len().min(n);
            payload.advance(in_payload);
            n -= in_payload;
            if !payload.is_empty() {
                break;
            }
            // The payload is written: what followed it becomes the head.
            if let Some((_, after)) = rest.pop_front() {
                self.head.clear();
                self.head.extend_from_slice(&after);
                self.pos = n.min(self.head.len());
                n -= self.pos;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flatten(out: &mut Output) -> Vec<u8> {
        let mut buf = Vec::new();
        out.drain_into(&mut buf);
        buf
    }

    fn sample() -> Output {
        let mut out = Output::new();
        out.extend_from_slice(b"ab");
        out.push_shared(Bytes::from_static(b"cdef"));
        out.extend_from_slice(b"g");
        out.push_shared(Bytes::from_static(b"hij"));
        out
    }

    #[test]
    fn keeps_order_across_runs_and_shared_payloads() {
        let mut out = sample();
        assert_eq!(out.len(), 10);
        assert!(out.is_fragmented());
        assert_eq!(flatten(&mut out), b"abcdefghij");
        assert!(out.is_empty());
    }

    #[test]
    fn advance_by_any_step_yields_every_byte_once() {
        for step in 1..=11 {
            let mut out = sample();
            let mut seen = Vec::new();
            while out.has_remaining() {
                let take = step.min(out.chunk().len());
                seen.extend_from_slice(&out.chunk()[..take]);
                out.advance(take);
            }
            assert_eq!(seen, b"abcdefghij", "step {step}");
            assert_eq!(out.len(), 0);
        }
    }

    #[test]
    fn advance_across_pieces_at_once() {
        for n in 0..=10 {
            let mut out = sample();
            out.advance(n);
            assert_eq!(flatten(&mut out), &b"abcdefghij"[n..], "advance {n}");
        }
    }

    #[test]
    fn vectored_chunks_cover_everything_and_respect_the_slot_count() {
        let out = sample();
        let mut slots = [IoSlice::new(&[]); 8];
        let n = out.chunks_vectored(&mut slots);
        let joined: Vec<u8> = slots[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(joined, b"abcdefghij");
        let mut two = [IoSlice::new(&[]); 2];
        assert_eq!(out.chunks_vectored(&mut two), 2);
        assert_eq!(&*two[1], b"cdef");
    }

    #[test]
    fn append_moves_everything_in_order() {
        let mut first = Output::new();
        first.extend_from_slice(b"01");
        let mut second = sample();
        second.advance(1);
        first.append(&mut second);
        assert!(second.is_empty());
        assert_eq!(flatten(&mut first), b"01bcdefghij");

        let mut empty = Output::new();
        let mut third = sample();
        empty.append(&mut third);
        assert_eq!(flatten(&mut empty), b"abcdefghij");
    }

    #[test]
    fn reset_frees_a_mostly_unused_big_run_only() {
        let mut out = Output::new();
        out.extend_from_slice(&vec![0; 100_000]);
        out.advance(100_000);
        out.reset(64 * 1024);
        // Fully used: kept for the next burst.
        assert!(out.head.capacity() >= 100_000);
        out.extend_from_slice(&[1; 10]);
        out.advance(10);
        out.reset(64 * 1024);
        assert_eq!(out.head.capacity(), 0);
    }
}
