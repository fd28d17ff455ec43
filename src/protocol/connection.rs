//! The connection state machine: commands, output queues and timers.
//!
//! Frame input lives in `recv.rs`, frame output in `send.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::event::{Closed, Event};
use super::frame::OpCode;
use super::output::Output;
use super::recv::{FrameProgress, Partial, MIN_RESERVE};
use super::{Config, Role};
use crate::{CloseCode, CloseFrame, Failure, ProtocolError, Timeout};

/// The largest control frame payload (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Undelivered events beyond which [`Connection::wants_read`] turns false.
const MAX_QUEUED_EVENTS: usize = 256;

/// Where the close handshake stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// This side sent a close frame and waits for the peer's.
    Closing,
    /// The WebSocket connection is closed; [`Event::Closed`] has been queued.
    Closed,
}

/// What [`Connection::poll_transmit`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transmit {
    /// Bytes were appended to the buffer: write them to the socket.
    Data,
    /// Write what the buffer holds, then half-close the socket (TCP FIN).
    Eof,
}

/// One WebSocket connection, after the opening handshake, with no I/O.
///
/// Its sixteen methods come in four kinds (as in quinn-proto):
/// - **input**: [`receive`](Self::receive), [`receive_eof`](Self::receive_eof) and
///   [`handle_timeout`](Self::handle_timeout) feed what the network and the clock did;
/// - **commands**: [`send`](Self::send), [`send_encoded`](Self::send_encoded) (a frame
///   encoded once for many connections), [`ping`](Self::ping) and [`close`](Self::close)
///   carry the application's requests;
/// - **output**: after every input or command, the driver drains, in this order,
///   [`poll_transmit`](Self::poll_transmit) (bytes to write), then
///   [`poll_timeout`](Self::poll_timeout) (when to call `handle_timeout` next), then
///   [`poll_event`](Self::poll_event) (what to tell the application);
/// - **getters**: [`state`](Self::state), [`closed`](Self::closed),
///   [`wants_read`](Self::wants_read) (read back-pressure),
///   [`buffered_amount`](Self::buffered_amount) (write back-pressure) and
///   [`is_finished`](Self::is_finished) (drop the socket).
///
/// Input methods never fail: a peer that breaks the protocol gets a close frame with the
/// RFC's code and the application gets one [`Event::Closed`] carrying the error.
///
/// ```
/// use std::time::Instant;
/// use squall::protocol::{Config, Connection, Event, Role, Transmit};
/// use squall::Message;
///
/// let now = Instant::now();
/// let mut server = Connection::new(Role::Server, Config::default(), now);
/// // RFC 6455 §5.7: a masked text frame carrying "Hello".
/// server.receive(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58], now);
/// assert_eq!(server.poll_event(), Some(Event::Message(Message::from("Hello"))));
///
/// server.send(&Message::from("Hello")).unwrap();
/// let mut out = Vec::new();
/// assert_eq!(server.poll_transmit(&mut out), Some(Transmit::Data));
/// assert_eq!(out, [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
/// ```
#[derive(Debug)]
pub struct Connection {
    pub(super) role: Role,
    pub(super) config: Config,
    pub(super) state: State,
    /// Received bytes not yet parsed into frames.
    pub(super) inbuf: BytesMut,
    /// The largest frame received since the buffers were last released: `inbuf` may hold
    /// an allocation that large (it outlives the frame, to be reused by the next one).
    pub(super) largest_frame: usize,
    /// Encoded frames not yet handed to the driver.
    pub(super) out: Output,
    pub(super) events: VecDeque<Event>,
    /// A fragmented message being reassembled.
    pub(super) partial: Option<Box<Partial>>,
    /// How much of a frame still arriving has been unmasked (and, for text, found valid).
    pub(super) frame_progress: Option<Box<FrameProgress>>,
    /// A violation found behind messages the application has not taken yet, and when:
    /// acted on once they are taken, so their answers go out before the close.
    pub(super) held_failure: Option<Box<(ProtocolError, Instant)>>,
    /// Set by the tokio driver while its reader has messages it has not handled: a
    /// violation then waits for them as for messages still queued here.
    pub(crate) reader_behind: bool,
    /// After a failure or a received close: input is ignored (RFC 6455 §7.1.7).
    pub(super) discarding: bool,
    /// Masks and ping payloads; seeded on first use (a server may never need it), boxed so
    /// an idle connection does not carry its 300-byte state.
    rng: Option<Box<ChaCha8Rng>>,
    /// Pings sent and not yet answered, oldest first.
    pub(super) pings: VecDeque<(u64, Bytes)>,
    pub(super) next_ping_id: u64,
    keepalive: Option<Box<Keepalive>>,
    /// When the idle timeout fires unless something arrives first.
    pub(super) idle_deadline: Option<Instant>,
    /// The close frame this side sent, as (code, reason); 1005 when it had no code.
    pub(super) sent_close: Option<(CloseCode, String)>,
    pub(super) close_deadline: Option<Instant>,
    /// The client waits this long for the server to close TCP.
    eof_deadline: Option<Instant>,
    pub(super) eof_due: bool,
    eof_sent: bool,
    eof_received: bool,
    /// Boxed, as are `partial` and `keepalive`: most connections never need them, and an
    /// idle connection should not carry their size.
    pub(super) closed: Option<Box<Closed>>,
    /// permessage-deflate codec, when negotiated (boxed: most connections go without).
    #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
    pub(super) deflate: Option<Box<super::deflate::PerMessageDeflate>>,
    /// Reused buffer for compressed output.
    #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
    pub(super) scratch: Vec<u8>,
}

#[derive(Debug)]
struct Keepalive {
    interval: Duration,
    timeout: Duration,
    next_ping: Instant,
    /// The unanswered keepalive ping's id and deadline.
    awaiting: Option<(u64, Instant)>,
}

impl Connection {
    /// A connection in the [`State::Open`] state, right after the opening handshake.
    ///
    /// Bytes that followed the handshake in the same read go to [`receive`](Self::receive) first.
    pub fn new(role: Role, config: Config, now: Instant) -> Self {
        let keepalive = config.ping_interval.map(|interval| {
            Box::new(Keepalive {
                interval,
                timeout: config.effective_ping_timeout().unwrap_or(interval),
                next_ping: now + interval,
                awaiting: None,
            })
        });
        #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
        let deflate = config.deflate.as_ref().map(|(params, options)| {
            Box::new(super::deflate::PerMessageDeflate::new(
                role, params, options,
            ))
        });
        let idle_deadline = config.idle_timeout.map(|idle| now + idle);
        Self {
            #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
            deflate,
            #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
            scratch: Vec::new(),
            role,
            config,
            state: State::Open,
            inbuf: BytesMut::new(),
            largest_frame: 0,
            out: Output::new(),
            events: VecDeque::new(),
            partial: None,
            frame_progress: None,
            held_failure: None,
            reader_behind: false,
            discarding: false,
            rng: None,
            pings: VecDeque::new(),
            next_ping_id: 0,
            keepalive,
            idle_deadline,
            sent_close: None,
            close_deadline: None,
            eof_deadline: None,
            eof_due: false,
            eof_sent: false,
            eof_received: false,
            closed: None,
        }
    }

    /// The next random word, from the generator seeded by `mask_seed` (else from the OS)
    /// on first use.
    pub(super) fn next_random(&mut self) -> u32 {
        let seed = self.config.mask_seed;
        self.rng
            .get_or_insert_with(|| {
                Box::new(match seed {
                    Some(seed) => ChaCha8Rng::from_seed(seed),
                    None => ChaCha8Rng::from_entropy(),
                })
            })
            .next_u32()
    }

    // ---- getters

    /// Where the close handshake stands.
    #[inline]
    pub fn state(&self) -> State {
        self.state
    }

    /// How the connection closed, once it has.
    pub fn closed(&self) -> Option<&Closed> {
        self.closed.as_deref()
    }

    /// Whether the driver should read more bytes: false once the peer's EOF arrived, or
    /// while many events wait for [`poll_event`](Self::poll_event) (back-pressure).
    #[inline]
    pub fn wants_read(&self) -> bool {
        !self.eof_received && self.events.len() < MAX_QUEUED_EVENTS
    }

    /// Bytes queued for the wire and not yet taken by [`poll_transmit`](Self::poll_transmit).
    #[inline]
    pub fn buffered_amount(&self) -> usize {
        self.out.len()
    }

    /// Whether large messages grew this connection's buffers, which
    /// [`release_buffers`](Self::release_buffers) can give back once it is quiet.
    #[inline]
    pub(crate) fn holds_large_buffers(&self) -> bool {
        #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
        if self.scratch.capacity() > MIN_RESERVE {
            return true;
        }
        self.largest_frame > MIN_RESERVE || self.out.capacity() > MIN_RESERVE
    }

    /// Whether nothing is left to do: the connection is closed, its last bytes and EOF
    /// have been handed out (or the peer's EOF arrived), and every event was polled.
    /// The driver then drops the socket.
    #[inline]
    pub fn is_finished(&self) -> bool {
        self.state == State::Closed
            && self.out.is_empty()
            && self.events.is_empty()
            && (self.eof_sent || self.eof_received)
    }

    // ---- input

    /// The peer closed its side of the TCP connection.
    ///
    /// Without a close handshake first, the connection closes with 1006 (abnormal).
    /// Call [`poll_event`](Self::poll_event) next; nothing will be read any more.
    pub fn receive_eof(&mut self) {
        // The peer is gone: a violation held behind messages is what ended the connection.
        if let Some(held) = self.held_failure.take() {
            let (error, found) = *held;
            self.fail(error, found);
        }
        self.eof_received = true;
        self.close_abnormally(true);
    }

    /// Fires the timers that are due at `now`: keepalive pings, the ping timeout (closes
    /// with 1011), the close handshake timeout, the client's wait for the server's EOF, and
    /// a violation held behind messages (see [`receive`](Self::receive)) once every event
    /// was polled.
    ///
    /// A call before any deadline does nothing. Drain the output methods next.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.events.is_empty() {
            self.release_held_failure(now);
        }
        if self.close_deadline.is_some_and(|d| now >= d) && self.state == State::Closing {
            self.close_deadline = None;
            let (code, reason) = self
                .sent_close
                .clone()
                .unwrap_or((CloseCode::ABNORMAL, String::new()));
            self.discarding = true;
            self.eof_due = true;
            self.finish(Closed {
                code,
                reason,
                by_peer: false,
                clean: false,
                error: None,
            });
        }
        if self.eof_deadline.is_some_and(|d| now >= d) {
            self.eof_deadline = None;
            self.eof_due = true;
        }
        if self.state != State::Open {
            return;
        }
        if self.idle_deadline.is_some_and(|d| now >= d) {
            self.idle_deadline = None;
            let frame = CloseFrame {
                code: CloseCode::GOING_AWAY,
                reason: "idle timeout".to_owned(),
            };
            let _ = self.close(Some(frame), now);
            return;
        }
        let Some(keepalive) = self.keepalive.as_mut() else {
            return;
        };
        if keepalive
            .awaiting
            .is_some_and(|(_, deadline)| now >= deadline)
        {
            self.fail(Timeout::Ping, now);
            return;
        }
        if now >= keepalive.next_ping {
            keepalive.next_ping = now + keepalive.interval;
            let timeout = keepalive.timeout;
            let payload = Bytes::copy_from_slice(&self.next_random().to_be_bytes());
            let id = self.queue_ping(payload);
            if let Some(keepalive) = self.keepalive.as_mut() {
                keepalive.awaiting = Some((id, now + timeout));
            }
        }
    }

    /// Frees the buffers large messages grew, unless they hold bytes. Call it once the
    /// connection has been quiet for a while (the tokio driver waits a second), not after
    /// every message: the next large message would have to grow them again.
    pub(crate) fn release_buffers(&mut self) {
        if self.inbuf.is_empty() {
            self.inbuf = BytesMut::new();
            self.largest_frame = 0;
        }
        if self.out.is_empty() {
            self.out = Output::new();
        }
        #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
        {
            self.scratch = Vec::new();
        }
    }

    // ---- output

    /// Moves the bytes waiting for the wire into `buf` (appending; with an empty `buf`
    /// no bytes are copied), or says that TCP should be half-closed now.
    ///
    /// Write `buf` to the socket after `Data`; after `Eof`, write it and then shut down the
    /// write side. `None` means nothing is waiting.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<Transmit> {
        if !self.out.is_empty() {
            self.out.drain_into(buf);
            return Some(Transmit::Data);
        }
        self.poll_eof()
    }

    /// Whether [`poll_transmit_output`](Self::poll_transmit_output) has bytes or the EOF
    /// to give.
    #[inline]
    pub(crate) fn has_transmit(&self) -> bool {
        !self.out.is_empty() || (self.eof_due && !self.eof_sent)
    }

    /// As [`poll_transmit`](Self::poll_transmit), into an [`Output`]: large payloads sent
    /// with [`send_message`](Self::send_message) move over without being copied, for a
    /// vectored write.
    #[must_use]
    #[inline]
    pub(crate) fn poll_transmit_output(&mut self, out: &mut Output) -> Option<Transmit> {
        if !self.out.is_empty() {
            out.append(&mut self.out);
            return Some(Transmit::Data);
        }
        self.poll_eof()
    }

    fn poll_eof(&mut self) -> Option<Transmit> {
        if self.eof_due && !self.eof_sent {
            self.eof_sent = true;
            return Some(Transmit::Eof);
        }
        None
    }

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) must be called.
    #[must_use]
    #[inline]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let held = self
            .held_failure
            .as_ref()
            .filter(|_| self.events.is_empty())
            .map(|held| held.1);
        self.deadline_without_held().into_iter().chain(held).min()
    }

    /// The next deadline but a held violation's, which the tokio driver acts on itself
    /// once the application has taken the events before it
    /// ([`release_held_failure`](Self::release_held_failure)).
    #[inline]
    pub(crate) fn deadline_without_held(&self) -> Option<Instant> {
        let keepalive = self
            .keepalive
            .as_ref()
            .filter(|_| self.state == State::Open)
            .map(|k| match k.awaiting {
                Some((_, deadline)) => deadline.min(k.next_ping),
                None => k.next_ping,
            });
        let idle = self.idle_deadline.filter(|_| self.state == State::Open);
        [self.close_deadline, self.eof_deadline, keepalive, idle]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next event for the application, oldest first.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether [`poll_event`](Self::poll_event) has an event to give.
    #[must_use]
    #[inline]
    pub(crate) fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// When a violation held behind events not yet taken was found (see
    /// [`receive`](Self::receive)).
    #[inline]
    pub(crate) fn held_failure_since(&self) -> Option<Instant> {
        self.held_failure.as_ref().map(|held| held.1)
    }

    /// Acts on a violation held behind events: the application has had them.
    pub(crate) fn release_held_failure(&mut self, now: Instant) {
        if let Some(held) = self.held_failure.take() {
            self.fail(held.0, now);
        }
    }

    // ---- internals shared with recv.rs

    pub(super) fn queue_ping(&mut self, payload: Bytes) -> u64 {
        let id = self.next_ping_id;
        self.next_ping_id += 1;
        self.write_frame(OpCode::Ping, &payload);
        self.pings.push_back((id, payload));
        id
    }

    /// Matches a pong with the oldest unanswered ping of the same payload; that ping and
    /// every earlier one count as answered.
    pub(super) fn acknowledge_pong(&mut self, payload: &[u8]) -> Option<u64> {
        let index = self.pings.iter().position(|(_, p)| p.as_ref() == payload)?;
        let (id, _) = self.pings[index];
        self.pings.drain(..=index);
        if let Some(keepalive) = self.keepalive.as_mut() {
            if keepalive.awaiting.is_some_and(|(awaited, _)| awaited <= id) {
                keepalive.awaiting = None;
            }
        }
        Some(id)
    }

    /// Fails the connection (RFC 6455 §7.1.7): queues one close frame with the error's
    /// code, discards input from now on, and queues one [`Event::Closed`] carrying `error`.
    /// Input methods call this on violations; a driver calls it for limits it enforces
    /// itself (a peer that stopped reading). Drain the output methods next.
    pub(crate) fn fail(&mut self, error: impl Into<Failure>, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        let error = error.into();
        let code = error.close_code();
        let reason = error.to_string();
        if self.sent_close.is_none() {
            let frame = CloseFrame {
                code,
                reason: truncate_reason(reason.clone()),
            };
            self.send_close(Some(&frame));
        }
        self.discarding = true;
        self.inbuf = BytesMut::new();
        self.partial = None;
        self.frame_progress = None;
        self.held_failure = None;
        self.close_transport(now);
        self.finish(Closed {
            code,
            reason,
            by_peer: false,
            clean: false,
            error: Some(error),
        });
    }

    /// The driver is gone before the connection closed: it closes as abnormal (1006).
    pub(crate) fn abandon(&mut self) {
        self.close_abnormally(false);
    }

    /// Closes without a close handshake (1006), unless already closed; input is ignored.
    fn close_abnormally(&mut self, by_peer: bool) {
        self.discarding = true;
        if self.state != State::Closed {
            self.finish(Closed {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
                by_peer,
                clean: false,
                error: None,
            });
        }
    }

    /// After the close handshake: the server closes TCP first; the client gives the server
    /// `close_timeout` to do so (RFC 6455 §7.1.1).
    pub(super) fn close_transport(&mut self, now: Instant) {
        match self.role {
            Role::Server => self.eof_due = true,
            Role::Client => self.eof_deadline = Some(now + self.config.close_timeout),
        }
    }

    pub(super) fn finish(&mut self, closed: Closed) {
        self.state = State::Closed;
        self.close_deadline = None;
        self.keepalive = None;
        self.closed = Some(Box::new(closed.clone()));
        self.events.push_back(Event::Closed(closed));
    }
}

/// Cuts a reason to what fits in a close frame, at a character boundary.
fn truncate_reason(mut reason: String) -> String {
    if reason.len() > crate::MAX_CLOSE_REASON_LEN {
        let mut end = crate::MAX_CLOSE_REASON_LEN;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}
