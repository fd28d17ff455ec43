//! The methods every connection handle has, written once: the client's
//! [`WebSocketClientConnection`](crate::WebSocketClientConnection) and its two halves, and
//! the server's `WebSocket`.
//!
//! Each macro expands to inherent methods (so users need no trait in scope), with their docs,
//! over two private accessors the type provides:
//! - `fn writer_shim(&self) -> &W`, where `W` has `write_message(Message, compress)`,
//!   `ping(Bytes)`, `close(Option<CloseFrame>)` and `set_nodelay(bool)`: the driver's
//!   `Handle` natively, `browser::shim::Writer` in a browser;
//! - `fn close_state(&self) -> S`, where `S` has `close_code()`, `close_reason()`,
//!   `closed()` and `is_closing()`: the driver's `&Shared` natively, the browser socket's
//!   state;
//! - `fn negotiated(&self) -> &Negotiated`.
//!
//! Where a browser cannot do what a method does, the browser shim returns
//! [`Error::Unsupported`](crate::Error::Unsupported) and the doc here says so.

/// `write_message`, `write_message_uncompressed`, `write_json`, `ping`, `close` and
/// `set_nodelay`, over `self.writer_shim()`.
macro_rules! writing_methods {
    () => {
        /// Sends a text or binary message. Resolves once the message is handed to the
        /// connection, waiting while more than the write-buffer high-water mark (1 MiB by
        /// default) is unsent: flow control, as Tornado's returned future. Messages written
        /// before a [`close`](Self::close) are sent before the close frame. If this future is
        /// dropped after the message was handed over, the message is still sent.
        ///
        /// In a browser the message goes to `WebSocket.send`, and the unsent amount is its
        /// `bufferedAmount`.
        ///
        /// # Errors
        /// [`Error::Closed`](crate::Error::Closed) once the connection is closing or closed
        /// (checked first: nothing is sent then), also while waiting.
        #[inline]
        pub async fn write_message(
            &self,
            message: impl Into<$crate::Message>,
        ) -> Result<(), $crate::Error> {
            self.writer_shim().write_message(message.into(), true).await
        }

        /// As [`write_message`](Self::write_message), but never compressed, even with
        /// permessage-deflate on (for data that is already compressed).
        ///
        /// # Errors
        /// As [`write_message`](Self::write_message). In a browser, always
        /// [`Error::Unsupported`](crate::Error::Unsupported)`("write_message_uncompressed: …")`
        /// and nothing is sent: the browser decides which messages it compresses.
        #[inline]
        pub async fn write_message_uncompressed(
            &self,
            message: impl Into<$crate::Message>,
        ) -> Result<(), $crate::Error> {
            self.writer_shim()
                .write_message(message.into(), false)
                .await
        }

        /// Sends `value` as a JSON text message, as Tornado does for a `dict`.
        ///
        /// # Errors
        /// [`Error::Json`](crate::Error::Json) if it cannot be encoded, or as
        /// [`write_message`](Self::write_message).
        #[cfg(feature = "json")]
        pub async fn write_json<T: ::serde::Serialize + ?Sized>(
            &self,
            value: &T,
        ) -> Result<(), $crate::Error> {
            let message = $crate::Message::json(value)?;
            self.writer_shim().write_message(message, true).await
        }

        /// Sends a ping; resolves with the round-trip time once a pong acknowledges it (a
        /// pong acknowledges every earlier ping too).
        ///
        /// # Errors
        /// [`Error::ControlPayloadTooLong`](crate::Error::ControlPayloadTooLong) over 125
        /// bytes; [`Error::Closed`](crate::Error::Closed) if the connection closes first. In
        /// a browser, always [`Error::Unsupported`](crate::Error::Unsupported)`("ping: …")`:
        /// pages cannot send pings (the browser answers the server's itself); use an
        /// application message as a heartbeat.
        pub async fn ping(
            &self,
            data: impl Into<::bytes::Bytes>,
        ) -> Result<::std::time::Duration, $crate::Error> {
            self.writer_shim().ping(data.into()).await
        }

        /// Starts the close handshake with Tornado's arguments (a reason without a code is
        /// sent with 1000; neither sends a close frame without a code) and resolves once the
        /// connection is closed: the peer answered, or the close timeout passed (then
        /// [`closed`](Self::closed) reports the close as not clean; in a browser, with code
        /// 1006).
        ///
        /// This is not `SinkExt::close()`, which closes with 1000 and takes no arguments: see
        /// the `Sink` implementation of the client's halves.
        ///
        /// # Errors
        /// [`Error::InvalidCloseCode`](crate::Error::InvalidCloseCode) for a code no endpoint
        /// may send (in a browser, any code but 1000 and 3000-4999, the only ones pages may
        /// send), [`Error::CloseReasonTooLong`](crate::Error::CloseReasonTooLong) over 123
        /// bytes of UTF-8 (both checked before anything is sent), or
        /// [`Error::Closed`](crate::Error::Closed) if a close was already sent or received.
        pub async fn close<'a>(
            &self,
            code: impl Into<Option<$crate::CloseCode>>,
            reason: impl Into<Option<&'a str>>,
        ) -> Result<(), $crate::Error> {
            let frame = $crate::CloseFrame::from_parts(code.into(), reason.into())?;
            self.writer_shim().close(frame).await
        }

        /// Sets `TCP_NODELAY` on the socket, as Tornado's `set_nodelay`.
        ///
        /// # Errors
        /// The socket's error, or [`Error::Closed`](crate::Error::Closed) once the
        /// connection is gone. In a browser, always
        /// [`Error::Unsupported`](crate::Error::Unsupported)`("set_nodelay: …")`: pages have
        /// no access to the TCP socket.
        pub async fn set_nodelay(&self, nodelay: bool) -> Result<(), $crate::Error> {
            self.writer_shim().set_nodelay(nodelay).await
        }
    };
}

/// What the opening handshake settled, as every handle reports it.
#[derive(Debug)]
pub(crate) struct Negotiated {
    pub(crate) subprotocol: Option<String>,
    /// The `Sec-WebSocket-Extensions` value agreed to.
    pub(crate) extensions: Option<String>,
}

/// `selected_subprotocol` and `extensions`, over `self.negotiated()`.
macro_rules! negotiated_methods {
    () => {
        /// The subprotocol agreed in the handshake, if any: for a client, the one the server
        /// selected among [`ConnectOptions::subprotocols`](crate::ConnectOptions::subprotocols)
        /// (in a browser, `WebSocket.protocol`); for a server, the one
        /// `WebSocketHandler::select_subprotocol` chose.
        pub fn selected_subprotocol(&self) -> Option<&str> {
            self.negotiated().subprotocol.as_deref()
        }

        /// The `Sec-WebSocket-Extensions` value agreed in the handshake (the
        /// permessage-deflate parameters in force), if any. In a browser,
        /// `WebSocket.extensions`, for example `permessage-deflate; client_max_window_bits=15`.
        pub fn extensions(&self) -> Option<&str> {
            self.negotiated().extensions.as_deref()
        }
    };
}

/// `close_code`, `close_reason`, `closed` and `is_closing`, over `self.close_state()`.
macro_rules! closed_methods {
    () => {
        /// The code of the close that ended the connection, whichever side sent it first;
        /// `None` while open. See [`closed`](Self::closed) for who closed and why.
        pub fn close_code(&self) -> Option<$crate::CloseCode> {
            self.close_state().close_code()
        }

        /// The reason that came with [`close_code`](Self::close_code).
        pub fn close_reason(&self) -> Option<String> {
            self.close_state().close_reason()
        }

        /// How the connection closed: code, reason, which side started, whether it was
        /// clean, and the protocol error or limit that made this side close it (for example
        /// [`Timeout::Ping`](crate::Timeout::Ping), or
        /// [`ProtocolError::MessageTooBig`](crate::ProtocolError::MessageTooBig), reported
        /// as 1009). `None` while open.
        ///
        /// In a browser the code comes from the `CloseEvent`: 1006 when the connection did
        /// not close cleanly.
        pub fn closed(&self) -> Option<$crate::Closed> {
            self.close_state().closed()
        }

        /// Whether the close handshake has begun (this side sent a close frame, or the
        /// peer's arrived) or the connection is closed. Writes fail from then on, and the
        /// `Sink` is no longer ready.
        pub fn is_closing(&self) -> bool {
            self.close_state().is_closing()
        }
    };
}

pub(crate) use {closed_methods, negotiated_methods, writing_methods};
