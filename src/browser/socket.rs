//! The page's `WebSocket` object, its event handlers, and the state they update.
//!
//! [`Socket`] owns the `web_sys::WebSocket` and the three `Closure`s installed as its
//! `onopen`, `onmessage` and `onclose` handlers. The closures hold only a `Weak` reference
//! back, so there is no reference cycle: dropping the last `Rc<Socket>` removes the handlers
//! from the JS object, closes the socket if it is still connecting or open, and frees the
//! closures.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use js_sys::{Array, ArrayBuffer, JsString, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use crate::protocol::{reported_close, Closed};
use crate::{CloseCode, CloseFrame, Error, Failure, Message, MessageCallback, ProtocolError};

/// The close code sent when a message exceeds `max_message_size`: scripts may not send
/// 1009, so the browser backend uses this private-use code on the wire (and reports 1009
/// with [`ProtocolError::MessageTooBig`] locally).
pub(super) const TOO_BIG_CLOSE_CODE: u16 = 4009;

/// `bufferedAmount` above which `write_message` waits, as the native client's write buffer
/// high-water mark (1 MiB).
pub(super) const WRITE_HIGH_WATER: usize = crate::defaults::WRITE_BUFFER_HIGH_WATER;

thread_local! {
    /// Sockets whose handlers and closures are alive (for leak tests).
    static LIVE: Cell<usize> = const { Cell::new(0) };
}

/// How many connections currently hold a browser `WebSocket` and its JS closures.
pub(super) fn live_sockets() -> usize {
    LIVE.with(Cell::get)
}

/// Where the connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Connecting,
    Open,
    Closed,
}

struct State {
    phase: Phase,
    /// Messages for the reader; `None` in callback style or once closed (ends the reader).
    sender: Option<UnboundedSender<Message>>,
    /// Tornado's `on_message_callback`; taken out while it runs and called with `None` once.
    on_message: Option<MessageCallback>,
    max_message_size: Option<usize>,
    /// This side asked the browser to close (`close`, a too-big message, or a drop).
    local_close: bool,
    /// The code and reason this side closed with, reported once the server answers (the
    /// browser's close event carries the server's echo, whose reason is often empty).
    sent: Option<(CloseCode, String)>,
    /// The limit this side closed the connection for.
    error: Option<Failure>,
    closed: Option<Closed>,
    /// Tasks waiting for the socket to open or to close.
    wakers: Vec<Waker>,
}

struct Handlers {
    open: Closure<dyn FnMut(Event)>,
    message: Closure<dyn FnMut(MessageEvent)>,
    close: Closure<dyn FnMut(CloseEvent)>,
}

/// A browser `WebSocket` and the state its events update.
pub(super) struct Socket {
    ws: WebSocket,
    state: RefCell<State>,
    /// Dropped after `Drop::drop` has removed them from the JS object.
    _handlers: Handlers,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Socket")
            .field("url", &self.ws.url())
            .field("phase", &state.phase)
            .field("closed", &state.closed)
            .finish_non_exhaustive()
    }
}

impl Socket {
    /// Creates the browser `WebSocket` (which starts connecting) with `arraybuffer` binary
    /// type and its handlers. Returns the socket and, unless `on_message` is given, the
    /// receiving end of its messages.
    pub(super) fn open(
        url: &str,
        subprotocols: &[String],
        max_message_size: Option<usize>,
        on_message: Option<MessageCallback>,
    ) -> Result<(Rc<Self>, Option<UnboundedReceiver<Message>>), Error> {
        let ws = if subprotocols.is_empty() {
            WebSocket::new(url)
        } else {
            let protocols: Array = subprotocols.iter().map(JsValue::from).collect();
            WebSocket::new_with_str_sequence(url, &protocols)
        }
        .map_err(|err| {
            let why = js_error(&err);
            if subprotocols.is_empty() {
                Error::InvalidUrl(format!("{url}: {why}"))
            } else {
                Error::InvalidUrl(format!("{url} with subprotocols {subprotocols:?}: {why}"))
            }
        })?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let (sender, receiver) = if on_message.is_some() {
            (None, None)
        } else {
            let (sender, receiver) = mpsc::unbounded();
            (Some(sender), Some(receiver))
        };
        let state = RefCell::new(State {
            phase: Phase::Connecting,
            sender,
            on_message,
            max_message_size,
            local_close: false,
            sent: None,
            error: None,
            closed: None,
            wakers: Vec::new(),
        });
        let socket = Rc::new_cyclic(|weak: &Weak<Self>| {
            let handlers = Handlers {
                open: handler(weak, Self::handle_open),
                message: handler(weak, Self::handle_message),
                close: handler(weak, Self::handle_close),
            };
            ws.set_onopen(Some(handlers.open.as_ref().unchecked_ref()));
            ws.set_onmessage(Some(handlers.message.as_ref().unchecked_ref()));
            ws.set_onclose(Some(handlers.close.as_ref().unchecked_ref()));
            Self {
                ws,
                state,
                _handlers: handlers,
            }
        });
        LIVE.with(|live| live.set(live.get() + 1));
        Ok((socket, receiver))
    }

    /// Ready once the socket is open; an error if it closed first.
    pub(super) fn poll_open(&self, cx: &Context<'_>) -> Poll<Result<(), Error>> {
        let mut state = self.state.borrow_mut();
        match state.phase {
            Phase::Open => Poll::Ready(Ok(())),
            Phase::Closed => {
                let code = state.closed.as_ref().map_or(1006, |c| c.code.as_u16());
                Poll::Ready(Err(Error::Io(io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    format!(
                        "the browser could not open {}: connection or handshake refused \
                         (close code {code}; browsers do not tell the HTTP status)",
                        self.ws.url()
                    ),
                ))))
            }
            Phase::Connecting => {
                register(&mut state.wakers, cx);
                Poll::Pending
            }
        }
    }

    /// Ready once the connection is closed (the close event arrived, or [`Self::finish`]).
    pub(super) fn poll_closed(&self, cx: &Context<'_>) -> Poll<()> {
        let mut state = self.state.borrow_mut();
        if state.closed.is_some() {
            return Poll::Ready(());
        }
        register(&mut state.wakers, cx);
        Poll::Pending
    }

    /// The subprotocol the server selected (`WebSocket.protocol`), once open.
    pub(super) fn protocol(&self) -> Option<String> {
        Some(self.ws.protocol()).filter(|p| !p.is_empty())
    }

    /// The extensions the server agreed to (`WebSocket.extensions`), once open.
    pub(super) fn extensions(&self) -> Option<String> {
        Some(self.ws.extensions()).filter(|e| !e.is_empty())
    }

    /// Bytes handed to `send` that the browser has not put on the network yet.
    pub(super) fn buffered_amount(&self) -> usize {
        usize::try_from(self.ws.buffered_amount()).unwrap_or(usize::MAX)
    }

    /// Whether this side asked to close, or the browser's socket is closing or closed.
    pub(super) fn is_closing(&self) -> bool {
        let state = self.state.borrow();
        state.local_close || state.phase != Phase::Open || self.ws.ready_state() != WebSocket::OPEN
    }

    /// How the connection closed; `None` until then.
    pub(super) fn closed(&self) -> Option<Closed> {
        self.state.borrow().closed.clone()
    }

    /// Hands `message` to the browser.
    ///
    /// `send` on a closing socket throws nothing and drops the data, so the ready state is
    /// checked first.
    pub(super) fn send(&self, message: &Message) -> Result<(), Error> {
        if self.is_closing() {
            return Err(crate::WebSocketClosedError.into());
        }
        match message {
            Message::Text(text) => self.ws.send_with_str(text),
            Message::Binary(data) => self.ws.send_with_u8_array(data),
        }
        .map_err(|err| Error::Io(io::Error::other(js_error(&err))))
    }

    /// Starts the close handshake with `frame` (`None`: a close frame without a code).
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] for a code other than 1000 or 3000-4999 (the only codes
    /// browsers let scripts send), [`Error::CloseReasonTooLong`], or [`Error::Closed`] when
    /// already closing.
    pub(super) fn close(&self, frame: Option<&CloseFrame>) -> Result<(), Error> {
        if let Some(frame) = frame {
            check_close_frame(frame)?;
        }
        if self.is_closing() {
            return Err(crate::WebSocketClosedError.into());
        }
        {
            let mut state = self.state.borrow_mut();
            state.local_close = true;
            state.sent = Some(frame.map_or((CloseCode::NO_STATUS, String::new()), |f| {
                (f.code, f.reason.clone())
            }));
        }
        match frame {
            Some(frame) => self
                .ws
                .close_with_code_and_reason(frame.code.as_u16(), &frame.reason),
            None => self.ws.close(),
        }
        .map_err(|err| Error::Io(io::Error::other(js_error(&err))))
    }

    /// Ends the connection locally when the browser's close event is late (after
    /// `close_timeout`): reported as 1006, not clean.
    pub(super) fn finish(&self) {
        let closed = Closed {
            code: CloseCode::ABNORMAL,
            reason: String::new(),
            by_peer: false,
            clean: false,
            error: self.state.borrow().error.clone(),
        };
        self.set_closed(closed);
    }

    fn handle_open(&self, _: Event) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            if state.phase != Phase::Connecting {
                return;
            }
            state.phase = Phase::Open;
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    fn handle_message(&self, event: MessageEvent) {
        let (limit, discarding) = {
            let state = self.state.borrow();
            (
                state.max_message_size,
                state.error.is_some() || state.closed.is_some(),
            )
        };
        if discarding {
            return;
        }
        let data = event.data();
        let message = if let Some(text) = data.dyn_ref::<JsString>() {
            // UTF-8 is never shorter than UTF-16 code units: a string over the limit in
            // code units is over it in bytes, and is refused before it is copied.
            let units = usize::try_from(text.length()).unwrap_or(usize::MAX);
            if limit.is_some_and(|limit| units > limit) {
                return self.too_big(limit);
            }
            Message::Text(String::from(text).into())
        } else if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
            let size = usize::try_from(buffer.byte_length()).unwrap_or(usize::MAX);
            if limit.is_some_and(|limit| size > limit) {
                return self.too_big(limit);
            }
            Message::Binary(Bytes::from(Uint8Array::new(buffer).to_vec()))
        } else {
            // binaryType is arraybuffer, so a Blob cannot arrive.
            return;
        };
        if limit.is_some_and(|limit| message.len() > limit) {
            return self.too_big(limit);
        }
        self.deliver(Some(message));
    }

    /// Hands a message (or the end, `None`) to the reader or the callback.
    fn deliver(&self, message: Option<Message>) {
        let mut state = self.state.borrow_mut();
        if let Some(sender) = &state.sender {
            if let Some(message) = message {
                let _ = sender.unbounded_send(message);
            }
            return;
        }
        // The callback runs without the state borrowed, so it may use the connection.
        let Some(mut callback) = state.on_message.take() else {
            return;
        };
        drop(state);
        let end = message.is_none();
        callback(message);
        if !end {
            let mut state = self.state.borrow_mut();
            if state.on_message.is_none() && state.closed.is_none() {
                state.on_message = Some(callback);
            }
        }
    }

    /// A message over `max_message_size`: close with [`TOO_BIG_CLOSE_CODE`] and discard the
    /// rest; the close is then reported as 1009 with the error.
    fn too_big(&self, limit: Option<usize>) {
        let Some(limit) = limit else { return };
        let error = ProtocolError::MessageTooBig { limit };
        let reason = error.to_string();
        {
            let mut state = self.state.borrow_mut();
            state.error = Some(error.into());
            state.local_close = true;
        }
        let _ = self
            .ws
            .close_with_code_and_reason(TOO_BIG_CLOSE_CODE, &reason);
    }

    fn handle_close(&self, event: CloseEvent) {
        let closed = {
            let state = self.state.borrow();
            if state.closed.is_some() {
                return;
            }
            let clean = event.was_clean();
            // The core's rule: this side's code and reason when it closed first and the
            // server answered; otherwise the server's (the browser reports 1005 for a close
            // frame without a code, and 1006 when the connection ended without one).
            let (code, reason) = match &state.error {
                Some(error) => (error.close_code(), error.to_string()),
                None => reported_close(
                    state.sent.as_ref(),
                    clean,
                    Some(CloseCode::from(event.code())),
                    event.reason(),
                ),
            };
            Closed {
                code,
                reason,
                by_peer: !state.local_close,
                clean,
                error: state.error.clone(),
            }
        };
        self.set_closed(closed);
    }

    /// Records how the connection ended, ends the reader, wakes every waiter and tells the
    /// callback (`None`), once.
    fn set_closed(&self, closed: Closed) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            if state.closed.is_some() {
                return;
            }
            state.phase = Phase::Closed;
            state.closed = Some(closed);
            state.sender = None;
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
        self.deliver(None);
    }

    /// Closes with 1000 when the last writer goes away, as the native client does.
    pub(super) fn close_on_drop(&self) {
        if !self.is_closing() {
            let _ = self.close(Some(&CloseFrame {
                code: CloseCode::NORMAL,
                reason: String::new(),
            }));
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        match self.ws.ready_state() {
            WebSocket::CONNECTING => {
                let _ = self.ws.close();
            }
            WebSocket::OPEN => {
                let _ = self.ws.close_with_code(CloseCode::NORMAL.as_u16());
            }
            _ => {}
        }
        LIVE.with(|live| live.set(live.get().saturating_sub(1)));
        // `_handlers` drops after this, freeing the closures now that JS cannot call them.
    }
}

/// A JS event handler that forwards to `method` while the socket lives.
fn handler<E: wasm_bindgen::convert::FromWasmAbi + 'static>(
    weak: &Weak<Socket>,
    method: fn(&Socket, E),
) -> Closure<dyn FnMut(E)> {
    let weak = weak.clone();
    Closure::new(move |event: E| {
        if let Some(socket) = weak.upgrade() {
            method(&socket, event);
        }
    })
}

fn register(wakers: &mut Vec<Waker>, cx: &Context<'_>) {
    if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
        wakers.push(cx.waker().clone());
    }
}

/// The message of a JS exception (`DOMException` included).
fn js_error(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        format!(
            "{}: {}",
            String::from(error.name()),
            String::from(error.message())
        )
    } else {
        value.as_string().unwrap_or_else(|| format!("{value:?}"))
    }
}

/// Checks a close frame against RFC 6455 and the browser's rule: scripts may only send 1000
/// or 3000-4999.
///
/// # Errors
/// [`Error::InvalidCloseCode`] or [`Error::CloseReasonTooLong`].
pub(crate) fn check_close_frame(frame: &CloseFrame) -> Result<(), Error> {
    frame.validate()?;
    if frame.code != CloseCode::NORMAL && !frame.code.is_application() {
        return Err(Error::InvalidCloseCode(frame.code));
    }
    Ok(())
}
