//! `WebSocket`: the server-side connection handle.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::request::Request;
use crate::native::driver::Handle;
use crate::protocol::Closed;
use crate::{CloseCode, CloseFrame, Error, Message};

/// A handle to one server-side connection, as Tornado's `WebSocketHandler` methods.
///
/// Cheap to clone and `Send`: other tasks (a broadcast, a timer) can hold it and write.
/// Every method fails with [`WebSocketClosedError`](crate::WebSocketClosedError) once the
/// connection is closing or closed.
#[derive(Clone, Debug)]
pub struct WebSocket {
    handle: Handle,
    info: Arc<Info>,
}

#[derive(Debug)]
struct Info {
    request: Request,
    subprotocol: Option<String>,
    extensions: Option<String>,
}

impl WebSocket {
    pub(crate) fn new(
        handle: Handle,
        request: Request,
        subprotocol: Option<String>,
        extensions: Option<String>,
    ) -> Self {
        Self {
            handle,
            info: Arc::new(Info {
                request,
                subprotocol,
                extensions,
            }),
        }
    }

    /// Sends a text or binary message. The future resolves once the message is queued for
    /// the socket, and waits while more than the write-buffer high-water mark is unsent (flow
    /// control, as Tornado's returned future). Messages queued before a
    /// [`close`](Self::close) are sent before the close frame; messages queued in quick
    /// succession leave in one write.
    ///
    /// # Errors
    /// [`Error::Closed`] once the connection is closing or closed.
    pub async fn write_message(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.handle.write_message(message.into(), true).await
    }

    /// As [`write_message`](Self::write_message), but never compressed, even with
    /// permessage-deflate on (for data that is already compressed).
    ///
    /// # Errors
    /// As [`write_message`](Self::write_message).
    pub async fn write_message_uncompressed(
        &self,
        message: impl Into<Message>,
    ) -> Result<(), Error> {
        self.handle.write_message(message.into(), false).await
    }

    /// Sends `value` as a JSON text message, as Tornado does for a `dict`.
    ///
    /// # Errors
    /// [`Error::Json`] if it cannot be encoded, or as [`write_message`](Self::write_message).
    #[cfg(feature = "json")]
    pub async fn write_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.handle.write_message(Message::json(value)?, true).await
    }

    /// Sends a ping; resolves with the round-trip time once a pong acknowledges it (a pong
    /// acknowledges every earlier ping too).
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] over 125 bytes; [`Error::Closed`] if the connection
    /// closes first.
    pub async fn ping(&self, data: impl Into<Bytes>) -> Result<Duration, Error> {
        self.handle.ping(data.into()).await
    }

    /// Starts the close handshake with Tornado's arguments: a reason without a code is sent
    /// with 1000, neither sends an empty close frame. Resolves once the connection is closed
    /// (the peer answered, or the close timeout passed).
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`], [`Error::CloseReasonTooLong`], or [`Error::Closed`] if
    /// a close was already sent or received.
    pub async fn close<'a>(
        &self,
        code: impl Into<Option<CloseCode>>,
        reason: impl Into<Option<&'a str>>,
    ) -> Result<(), Error> {
        let frame = CloseFrame::from_parts(code.into(), reason.into())?;
        self.handle.close(frame).await
    }

    /// Sets `TCP_NODELAY` on the socket, as Tornado's `set_nodelay`.
    ///
    /// # Errors
    /// The socket's error, or [`Error::Closed`] once the connection is gone.
    pub async fn set_nodelay(&self, nodelay: bool) -> Result<(), Error> {
        self.handle.set_nodelay(nodelay).await
    }

    /// The code of the close that ended the connection, whichever side sent it first;
    /// `None` while open. See [`closed`](Self::closed) for who closed.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.handle.shared.closed().map(|c| c.code)
    }

    /// The reason that came with [`close_code`](Self::close_code).
    pub fn close_reason(&self) -> Option<String> {
        self.handle.shared.closed().map(|c| c.reason)
    }

    /// How the connection closed: code, reason, which side started, whether it was clean,
    /// and the protocol error or timeout behind it.
    pub fn closed(&self) -> Option<Closed> {
        self.handle.shared.closed()
    }

    /// Whether a close frame was sent or received (writes fail from then on).
    pub fn is_closing(&self) -> bool {
        self.handle.shared.is_closing()
    }

    /// The subprotocol [`select_subprotocol`](super::WebSocketHandler::select_subprotocol) chose.
    pub fn selected_subprotocol(&self) -> Option<&str> {
        self.info.subprotocol.as_deref()
    }

    /// The negotiated `Sec-WebSocket-Extensions` value (the permessage-deflate parameters
    /// in force), if any.
    pub fn extensions(&self) -> Option<&str> {
        self.info.extensions.as_deref()
    }

    /// The upgrade request: path, query, headers, peer address.
    pub fn request(&self) -> &Request {
        &self.info.request
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }
}
