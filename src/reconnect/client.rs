//! [`ReconnectingClient`]: a connection that comes back, read as a stream of [`Event`]s,
//! and [`ReconnectHandle`] to write to whichever connection is current.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_core::Stream;
use http::{HeaderMap, Request, Uri};

use super::platform::{sleep, BoxFuture, OptionsFactory, SharedCell, Sleep, Stopwatch};
use crate::backoff::{Backoff, Schedule};
use crate::protocol::Closed;
use crate::{
    websocket_connect, ClientReader, ClientWriter, CloseCode, CloseFrame, ConnectOptions, Error,
    IntoClientRequest, Message, WebSocketClientConnection, WebSocketClosedError,
};

/// What happened to a [`ReconnectingClient`], in order.
///
/// A run reads like: `Connected`, `Message`s, `Disconnected`, `Reconnecting`,
/// (`ConnectFailed`, `Reconnecting`)*, `Connected`, ... and ends (the stream returns `None`)
/// after `GaveUp`, or after the `Disconnected` that follows [`ReconnectHandle::close`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A connection is open; writes through the [`ReconnectHandle`] go to it. `attempt`
    /// counts the attempts since the last connection that stayed up
    /// [`reset_after`](Backoff::reset_after) (1 when the first try worked).
    Connected {
        /// This attempt's number.
        attempt: u32,
    },
    /// A message from the server.
    Message(Message),
    /// The open connection closed: its close code and reason, whether the server closed
    /// it, whether the close was clean. Writes fail with [`Error::Closed`] until the next
    /// `Connected`.
    Disconnected(Closed),
    /// A connection attempt failed (refused, timed out, handshake refused, ...).
    ConnectFailed {
        /// The attempt's number.
        attempt: u32,
        /// Why it failed.
        error: Error,
    },
    /// The client waits `delay` before attempt number `attempt`.
    Reconnecting {
        /// The number of the coming attempt.
        attempt: u32,
        /// How long the client waits before it.
        delay: Duration,
    },
    /// The client stopped trying: [`max_attempts`](Backoff::max_attempts) attempts in a row
    /// failed, or the last error cannot be cured by trying again
    /// ([`Error::InvalidUrl`], [`Error::Unsupported`]). The last event.
    GaveUp {
        /// The attempts made since the last stable connection.
        attempts: u32,
    },
}

/// State shared by the client and its handles.
#[derive(Debug, Default)]
struct Shared {
    /// The current connection's writer; `None` while disconnected.
    writer: Option<ClientWriter>,
    /// [`ReconnectHandle::close`] was called: no more attempts.
    stopped: bool,
    /// The task reading the client, woken when it stops.
    waker: Option<Waker>,
}

enum State {
    /// The next attempt starts when the client is polled.
    Idle,
    Connecting {
        attempt: u32,
        future: BoxFuture<Result<WebSocketClientConnection, Error>>,
    },
    Open {
        reader: ClientReader,
        since: Stopwatch,
    },
    Waiting(Sleep),
    Done,
}

/// A WebSocket client that reconnects, with exponential backoff and jitter, whenever its
/// connection closes or cannot be opened; the same API natively and in a browser.
///
/// It is driven by reading it: [`next_event`](Self::next_event) (or the [`Stream`] of
/// [`Event`]s) connects, delivers messages, waits out the backoff and connects again.
/// Nothing happens while nobody reads it (no task is spawned, so it runs on any executor).
/// Writes go through a [`ReconnectHandle`] (from [`handle`](Self::handle)), which other
/// tasks can hold; they fail with [`Error::Closed`] while no connection is open (nothing is
/// queued for the next one).
///
/// Any end of the connection (a close by the server, a network failure) leads to a new
/// attempt, until [`ReconnectHandle::close`] is called or the [`Backoff`] gives up. Each
/// attempt calls [`websocket_connect`] with fresh options from the factory given to
/// [`options`](Self::options) (`connect_timeout` bounds each attempt); those options may
/// not use `on_message_callback`, since messages arrive as events.
///
/// Delays, waits and uptimes use tokio's timer natively (so the client must be read inside
/// a tokio runtime) and the page's timers in a browser.
///
/// ```no_run
/// use std::time::Duration;
/// use squall::reconnect::{Backoff, Event, ReconnectingClient};
/// use squall::ConnectOptions;
///
/// # async fn run() -> Result<(), squall::Error> {
/// let backoff = Backoff::new().max_delay(Duration::from_secs(10));
/// let mut client = ReconnectingClient::new("wss://example.com/feed", backoff)?
///     .options(|| ConnectOptions::new().connect_timeout(Duration::from_secs(5)));
/// let handle = client.handle();
/// while let Some(event) = client.next_event().await {
///     match event {
///         Event::Connected { .. } => handle.write_message("subscribe").await?,
///         Event::Message(message) => println!("{message:?}"),
///         Event::Disconnected(closed) => println!("lost: {} {}", closed.code, closed.reason),
///         Event::GaveUp { attempts } => println!("gave up after {attempts} attempts"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct ReconnectingClient {
    uri: Uri,
    headers: HeaderMap,
    make_options: OptionsFactory,
    schedule: Schedule,
    state: State,
    /// Events produced by one step and not yet returned.
    events: VecDeque<Event>,
    shared: SharedCell<Shared>,
}

impl std::fmt::Debug for ReconnectingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Idle => "idle",
            State::Connecting { .. } => "connecting",
            State::Open { .. } => "open",
            State::Waiting(_) => "waiting",
            State::Done => "done",
        };
        f.debug_struct("ReconnectingClient")
            .field("uri", &self.uri)
            .field("state", &state)
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

impl ReconnectingClient {
    /// A client for `request` (a `ws://` or `wss://` URL, or an [`http::Request`] whose
    /// headers are sent on every attempt, natively) with `backoff`, and
    /// `ConnectOptions::new()` for every attempt. It connects when first read.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] when the URL does not parse.
    pub fn new(request: impl IntoClientRequest, backoff: Backoff) -> Result<Self, Error> {
        let request = request.into_client_request()?;
        Ok(Self {
            uri: request.uri().clone(),
            headers: request.headers().clone(),
            make_options: Box::new(ConnectOptions::new),
            schedule: Schedule::new(backoff),
            state: State::Idle,
            events: VecDeque::new(),
            shared: SharedCell::default(),
        })
    }

    /// Makes the options of each attempt with `factory` (options hold callbacks, so they are
    /// made anew rather than cloned).
    pub fn options(
        mut self,
        #[cfg(not(target_arch = "wasm32"))] factory: impl FnMut() -> ConnectOptions + Send + 'static,
        #[cfg(target_arch = "wasm32")] factory: impl FnMut() -> ConnectOptions + 'static,
    ) -> Self {
        self.make_options = Box::new(factory);
        self
    }

    /// A handle to write to the current connection and to stop the client; cheap to clone.
    pub fn handle(&self) -> ReconnectHandle {
        ReconnectHandle {
            shared: self.shared.clone(),
        }
    }

    /// Whether a connection is open now.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    /// The next event; `None` once the client gave up or was closed. Connecting, waiting
    /// and reconnecting happen inside this call.
    ///
    /// Cancel-safe: dropping the future loses no event, and the next call resumes where it
    /// stopped.
    pub async fn next_event(&mut self) -> Option<Event> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Starts the next attempt.
    fn start(&mut self) {
        let attempt = self.schedule.start_attempt();
        let options = (self.make_options)();
        let future: BoxFuture<_> = if options.on_message.is_some() {
            Box::pin(async {
                Err(Error::Unsupported(
                    "on_message_callback: a ReconnectingClient delivers messages as events".into(),
                ))
            })
        } else {
            let mut request = Request::new(());
            *request.uri_mut() = self.uri.clone();
            *request.headers_mut() = self.headers.clone();
            Box::pin(websocket_connect(request, options))
        };
        self.state = State::Connecting { attempt, future };
    }

    /// An attempt ended.
    fn attempted(&mut self, attempt: u32, result: Result<WebSocketClientConnection, Error>) {
        match result {
            Ok(conn) => {
                let (reader, writer) = conn.split();
                let refused = self.shared.with(|shared| {
                    if shared.stopped {
                        return Some(writer);
                    }
                    shared.writer = Some(writer);
                    None
                });
                if refused.is_some() {
                    // Closed while connecting: dropping both halves closes with 1000.
                    self.state = State::Done;
                    return;
                }
                self.state = State::Open {
                    reader,
                    since: Stopwatch::start(),
                };
                self.events.push_back(Event::Connected { attempt });
            }
            Err(error) => {
                let permanent = matches!(error, Error::InvalidUrl(_) | Error::Unsupported(_));
                self.events
                    .push_back(Event::ConnectFailed { attempt, error });
                if permanent {
                    self.give_up();
                } else {
                    self.retry();
                }
            }
        }
    }

    /// The open connection's reader ended.
    fn disconnected(&mut self) {
        let State::Open { reader, since } = std::mem::replace(&mut self.state, State::Done) else {
            return;
        };
        let closed = reader.closed().unwrap_or_else(|| Closed {
            code: CloseCode::ABNORMAL,
            reason: String::new(),
            by_peer: true,
            clean: false,
            error: None,
        });
        let stopped = self.shared.with(|shared| {
            shared.writer = None;
            shared.stopped
        });
        self.events.push_back(Event::Disconnected(closed));
        if !stopped {
            self.schedule.connection_ended(since.elapsed());
            self.retry();
        }
    }

    /// Waits before the next attempt, or gives up.
    fn retry(&mut self) {
        match self.schedule.next_delay() {
            Some(delay) => {
                let attempt = self.schedule.attempts().saturating_add(1);
                self.events
                    .push_back(Event::Reconnecting { attempt, delay });
                self.state = State::Waiting(sleep(delay));
            }
            None => self.give_up(),
        }
    }

    fn give_up(&mut self) {
        let attempts = self.schedule.attempts();
        self.events.push_back(Event::GaveUp { attempts });
        self.state = State::Done;
    }
}

impl Drop for ReconnectingClient {
    /// Stops the handles too: the current connection closes with 1000 once no handle is
    /// writing to it.
    fn drop(&mut self) {
        let writer = self.shared.with(|shared| {
            shared.stopped = true;
            shared.writer.take()
        });
        drop(writer);
    }
}

impl Stream for ReconnectingClient {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = self.get_mut();
        let stopped = this.shared.with(|shared| {
            if !shared
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                shared.waker = Some(cx.waker().clone());
            }
            shared.stopped
        });
        loop {
            if let Some(event) = this.events.pop_front() {
                return Poll::Ready(Some(event));
            }
            // Once stopped, an open connection is read to its end (its close is reported);
            // anything else ends now.
            if stopped && !matches!(this.state, State::Open { .. }) {
                this.state = State::Done;
            }
            match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Idle => this.start(),
                State::Connecting { attempt, future } => {
                    let attempt = *attempt;
                    let result = std::task::ready!(future.as_mut().poll(cx));
                    this.attempted(attempt, result);
                }
                State::Open { reader, .. } => {
                    match std::task::ready!(Pin::new(reader).poll_next(cx)) {
                        Some(message) => return Poll::Ready(Some(Event::Message(message))),
                        None => this.disconnected(),
                    }
                }
                State::Waiting(delay) => {
                    std::task::ready!(Pin::new(delay).poll(cx));
                    this.state = State::Idle;
                }
            }
        }
    }
}

/// Writes to whichever connection a [`ReconnectingClient`] has open, and stops it. Cheap to
/// clone (`Send` natively).
#[derive(Clone, Debug)]
pub struct ReconnectHandle {
    shared: SharedCell<Shared>,
}

impl ReconnectHandle {
    /// The current connection's writer (for `ping`, `selected_subprotocol`, the `Sink`, ...);
    /// `None` while disconnected.
    pub fn writer(&self) -> Option<ClientWriter> {
        self.shared.with(|shared| shared.writer.clone())
    }

    /// Whether a connection is open now.
    pub fn is_connected(&self) -> bool {
        self.shared.with(|shared| shared.writer.is_some())
    }

    /// Sends a message on the current connection; see
    /// [`ClientWriter::write_message`](crate::ClientWriter::write_message).
    ///
    /// # Errors
    /// [`Error::Closed`] while no connection is open (the message is not kept for the next
    /// one) or when the current one is closing.
    pub async fn write_message(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.current()?.write_message(message).await
    }

    /// Sends `value` as a JSON text message on the current connection.
    ///
    /// # Errors
    /// [`Error::Json`] if it cannot be encoded, or as [`write_message`](Self::write_message).
    #[cfg(feature = "json")]
    pub async fn write_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.current()?.write_json(value).await
    }

    /// Stops the client: no more attempts, and the open connection, if any, is closed with
    /// Tornado's arguments (as [`ClientWriter::close`](crate::ClientWriter::close)); this
    /// resolves once it is closed. The client then reports the `Disconnected` of that
    /// connection, if there was one, and ends. Calling it again does nothing.
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] or [`Error::CloseReasonTooLong`] (in a browser, also for a
    /// code other than 1000 or 3000-4999), checked before anything else: the client goes
    /// on as if this was not called.
    pub async fn close<'a>(
        &self,
        code: impl Into<Option<CloseCode>>,
        reason: impl Into<Option<&'a str>>,
    ) -> Result<(), Error> {
        let (code, reason) = (code.into(), reason.into());
        check_close(code, reason)?;
        let (writer, waker) = self.shared.with(|shared| {
            shared.stopped = true;
            (shared.writer.clone(), shared.waker.take())
        });
        if let Some(waker) = waker {
            waker.wake();
        }
        match writer {
            Some(writer) => match writer.close(code, reason).await {
                Err(Error::Closed(_)) => Ok(()),
                other => other,
            },
            None => Ok(()),
        }
    }

    fn current(&self) -> Result<ClientWriter, Error> {
        self.writer().ok_or_else(|| WebSocketClosedError.into())
    }
}

/// The checks `close` makes before sending anything, on this platform.
fn check_close(code: Option<CloseCode>, reason: Option<&str>) -> Result<(), Error> {
    let frame = CloseFrame::from_parts(code, reason)?;
    #[cfg(target_arch = "wasm32")]
    if let Some(frame) = &frame {
        crate::browser::socket::check_close_frame(frame)?;
    }
    let _ = frame;
    Ok(())
}
