//! Client options, shared by the native and browser backends.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::defaults;
use crate::{CompressionOptions, Http2Pool, Message, Proxy};

/// The callback of Tornado's `on_message_callback`: every message, then `None` once closed.
#[cfg(not(target_arch = "wasm32"))]
pub type MessageCallback = Box<dyn FnMut(Option<Message>) + Send + 'static>;
/// The callback of Tornado's `on_message_callback`: every message, then `None` once closed.
#[cfg(target_arch = "wasm32")]
pub type MessageCallback = Box<dyn FnMut(Option<Message>) + 'static>;

/// A ping or pong hook: receives the control frame's payload (native only).
pub type ControlCallback = Box<dyn FnMut(bytes::Bytes) + Send + 'static>;

/// Options of [`websocket_connect`](crate::websocket_connect), with the names and defaults
/// of Tornado's `websocket_connect` arguments.
///
/// Build it with [`ConnectOptions::new`] and the builder methods. The fields are public to
/// read and to assign (`options.max_message_size = None;`); the struct is
/// `#[non_exhaustive]`, so struct-literal and struct-update syntax (`..Default::default()`)
/// do not compile outside squall, and new options can come without breaking callers.
///
/// ```
/// use std::time::Duration;
/// use squall::ConnectOptions;
///
/// let options = ConnectOptions::new()
///     .connect_timeout(Duration::from_secs(5))
///     .subprotocol("chat.v2")
///     .header("authorization", "Bearer abc")
///     .max_message_size(Some(1 << 20));
/// assert_eq!(options.subprotocols, ["chat.v2"]);
/// ```
#[non_exhaustive]
pub struct ConnectOptions {
    /// Limit on DNS, TCP, TLS and the handshake together. Default: none.
    pub connect_timeout: Option<Duration>,
    /// Offer permessage-deflate with these options. Default: `None` (not offered).
    pub compression_options: Option<CompressionOptions>,
    /// Send a keepalive ping this often. Default: off.
    pub ping_interval: Option<Duration>,
    /// Close with 1011 when a ping goes unanswered this long. Default: equal to the interval.
    pub ping_timeout: Option<Duration>,
    /// Largest message accepted; bigger ones close with 1009. Default: 10 MiB.
    pub max_message_size: Option<usize>,
    /// How long `close` waits for the server's answer. Default: 5 s.
    pub close_timeout: Duration,
    /// Subprotocols to offer, in order of preference.
    pub subprotocols: Vec<String>,
    /// Extra request headers (cookies, authorization), as on Tornado's `HTTPRequest`.
    pub headers: HeaderMap,
    /// Tornado's `on_message_callback`; see [`ConnectOptions::on_message_callback`].
    pub on_message: Option<MessageCallback>,
    /// Called with each ping's payload (native only; the pong is sent automatically).
    pub on_ping: Option<ControlCallback>,
    /// Called with each pong's payload (native only).
    pub on_pong: Option<ControlCallback>,
    /// TLS settings for `wss://` (native only): the default trusts the webpki roots.
    #[cfg(all(not(target_arch = "wasm32"), feature = "tls"))]
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// The HTTP proxy to tunnel through (native only). Default: none, connect directly (the
    /// environment is read only through [`Proxy::from_env`]).
    pub proxy: Option<Proxy>,
    /// How many redirects (301, 302, 303, 307, 308 with a `Location`) to follow in a row
    /// (native only). Default: 0, a redirect is an
    /// [`UnexpectedStatus`](crate::HandshakeError::UnexpectedStatus) error.
    pub follow_redirects: usize,
    /// The HTTP version of the handshake (native only; see [`HttpVersion`]). Default:
    /// [`HttpVersion::Http1`].
    pub http_version: HttpVersion,
    /// HTTP/2 connections to share with other clients (native only; see [`Http2Pool`]).
    /// Default: none, each client has its own connection.
    pub http2_pool: Option<Http2Pool>,
}

/// Which HTTP version carries the opening handshake, for
/// [`ConnectOptions::http_version`].
///
/// Over HTTP/2 (RFC 8441) the WebSocket is one stream of an HTTP/2 connection, opened
/// with an extended CONNECT; the messages, close codes and options are the same. It needs
/// the `http2` feature. Each client has its own HTTP/2 connection unless it shares one
/// through an [`Http2Pool`].
///
/// In a browser the browser decides by itself (HTTP/2 when it already has an HTTP/2
/// connection to the server that offers it): any value but `Http1`, the default, is
/// [`Error::Unsupported`](crate::Error::Unsupported) there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpVersion {
    /// The HTTP/1.1 `Upgrade` (RFC 6455), as Tornado.
    #[default]
    Http1,
    /// HTTP/2 when the server offers it, as browsers do: for `wss://`, TLS offers ALPN
    /// `h2` and `http/1.1`; if the server picks `h2` and advertises
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL the WebSocket opens over HTTP/2, if it picks `h2`
    /// without it the client connects again with HTTP/1.1 only. `ws://` uses HTTP/1.1.
    Auto,
    /// HTTP/2 only: ALPN `h2` for `wss://` (required), HTTP/2 with prior knowledge (h2c)
    /// for `ws://`.
    /// A server that does not speak HTTP/2 or does not advertise
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL is [`Error::Unsupported`](crate::Error::Unsupported),
    /// saying which.
    Http2,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            connect_timeout: None,
            compression_options: None,
            ping_interval: defaults::PING_INTERVAL,
            ping_timeout: defaults::PING_TIMEOUT,
            max_message_size: Some(defaults::DEFAULT_MAX_MESSAGE_SIZE),
            close_timeout: defaults::DEFAULT_CLOSE_TIMEOUT,
            subprotocols: Vec::new(),
            headers: HeaderMap::new(),
            on_message: None,
            on_ping: None,
            on_pong: None,
            #[cfg(all(not(target_arch = "wasm32"), feature = "tls"))]
            tls: None,
            proxy: None,
            follow_redirects: 0,
            http_version: HttpVersion::Http1,
            http2_pool: None,
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("compression_options", &self.compression_options)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("max_message_size", &self.max_message_size)
            .field("close_timeout", &self.close_timeout)
            .field("subprotocols", &self.subprotocols)
            .field("headers", &self.headers)
            .field("on_message", &self.on_message.is_some())
            .field("proxy", &self.proxy)
            .field("follow_redirects", &self.follow_redirects)
            .field("http_version", &self.http_version)
            .field("http2_pool", &self.http2_pool.is_some())
            .finish_non_exhaustive()
    }
}

impl ConnectOptions {
    /// Tornado's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    crate::setters::setters! {
        /// Sets `connect_timeout`.
        connect_timeout: Some(Duration),
        /// Offers permessage-deflate with these options.
        compression_options: Some(CompressionOptions),
        /// Sets the keepalive ping interval.
        ping_interval: Some(Duration),
        /// Sets the keepalive ping timeout.
        ping_timeout: Some(Duration),
        /// Sets the largest message accepted (`None`: no limit).
        max_message_size: Option<usize>,
        /// Sets how long `close` waits for the server.
        close_timeout: Duration,
    }

    /// Adds a subprotocol to offer.
    pub fn subprotocol(mut self, name: impl Into<String>) -> Self {
        self.subprotocols.push(name.into());
        self
    }

    /// Adds a request header.
    ///
    /// # Panics
    /// If `name` or `value` is not a valid header name or value; use [`headers`](Self::headers)
    /// with checked values to avoid that.
    #[allow(clippy::expect_used)]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("valid header name");
        let value = HeaderValue::try_from(value).expect("valid header value");
        self.headers.append(name, value);
        self
    }

    /// Tornado's `on_message_callback`: `callback` gets every message, then `None` once the
    /// connection is closed. In this style `read_message` returns no messages (only `None`).
    pub fn on_message_callback(
        mut self,
        #[cfg(not(target_arch = "wasm32"))] callback: impl FnMut(Option<Message>) + Send + 'static,
        #[cfg(target_arch = "wasm32")] callback: impl FnMut(Option<Message>) + 'static,
    ) -> Self {
        self.on_message = Some(Box::new(callback));
        self
    }

    /// Calls `callback` with each ping's payload (native only).
    pub fn on_ping(mut self, callback: impl FnMut(bytes::Bytes) + Send + 'static) -> Self {
        self.on_ping = Some(Box::new(callback));
        self
    }

    /// Calls `callback` with each pong's payload (native only).
    pub fn on_pong(mut self, callback: impl FnMut(bytes::Bytes) + Send + 'static) -> Self {
        self.on_pong = Some(Box::new(callback));
        self
    }

    crate::setters::setters! {
        /// Replaces the request headers.
        headers: HeaderMap,
        /// Uses this rustls configuration for `wss://` (custom roots, client certificates).
        #[cfg(all(not(target_arch = "wasm32"), feature = "tls"))]
        tls: Some(std::sync::Arc<rustls::ClientConfig>),
        /// Tunnels through an HTTP proxy (native only): the client connects to the proxy, asks
        /// it for a tunnel with `CONNECT host:port` (sending `Proxy-Authorization: Basic …` when
        /// the proxy URL has a user), and runs TLS (for `wss://`, with the server's name as SNI)
        /// and the WebSocket handshake inside it. Connecting to the proxy and its answer count
        /// against `connect_timeout`. A proxy's refusal is
        /// [`Error::Proxy`](crate::Error::Proxy) with
        /// [`ProxyError::Refused`](crate::ProxyError::Refused) and the status. `ws://` is
        /// tunnelled too, and some proxies allow `CONNECT` to port 443 only (Squid's default
        /// `SSL_ports`): they answer 403 for `ws://host:80`.
        ///
        /// A browser uses its own proxy settings: there `websocket_connect` fails with
        /// [`Error::Unsupported`](crate::Error::Unsupported)`("proxy: …")`.
        ///
        /// ```
        /// use squall::{ConnectOptions, Proxy};
        ///
        /// let options = ConnectOptions::new().proxy(Proxy::http("http://proxy.internal:3128")?);
        /// // Or, explicitly, the proxies of http_proxy, https_proxy, all_proxy and no_proxy:
        /// let options = ConnectOptions::new().proxy(Proxy::from_env()?);
        /// # Ok::<(), squall::Error>(())
        /// ```
        proxy: Some(Proxy),
        /// Follows up to this many redirects in a row (native only; 0, the default, follows
        /// none).
        ///
        /// An answer to the upgrade with status 301, 302, 303, 307 or 308 and a `Location`
        /// header makes the client connect to that URL instead: a relative `Location` is resolved
        /// against the current URL, `http://` becomes `ws://` and `https://` becomes `wss://`
        /// (any other scheme is [`Error::InvalidUrl`](crate::Error::InvalidUrl)). Once the chain
        /// leaves the first URL's origin (scheme, host and port), the `Authorization`, `Cookie`
        /// and `Proxy-Authorization` headers are no longer sent, even if a later redirect comes
        /// back. The whole chain counts against `connect_timeout`; one redirect more than the limit
        /// is [`Error::TooManyRedirects`](crate::Error::TooManyRedirects)`(limit)`.
        ///
        /// Browsers never follow redirects for WebSockets (the handshake fails): there
        /// `websocket_connect` fails with
        /// [`Error::Unsupported`](crate::Error::Unsupported)`("follow_redirects: …")` when the limit
        /// is over 0.
        ///
        /// ```
        /// let options = squall::ConnectOptions::new().follow_redirects(5);
        /// assert_eq!(options.follow_redirects, 5);
        /// ```
        follow_redirects: usize,
        /// Chooses the HTTP version of the handshake (native only, feature `http2` for
        /// anything but HTTP/1.1; see [`HttpVersion`]).
        ///
        /// ```
        /// use squall::{ConnectOptions, HttpVersion};
        ///
        /// let options = ConnectOptions::new().http_version(HttpVersion::Auto);
        /// assert_eq!(options.http_version, HttpVersion::Auto);
        /// ```
        http_version: HttpVersion,
        /// Shares HTTP/2 connections with the other clients given the same pool (native
        /// only, feature `http2`, with [`HttpVersion::Auto`] or [`HttpVersion::Http2`];
        /// see [`Http2Pool`]).
        ///
        /// ```
        /// use squall::{ConnectOptions, Http2Pool, HttpVersion};
        ///
        /// let pool = Http2Pool::new();
        /// let options = ConnectOptions::new()
        ///     .http_version(HttpVersion::Http2)
        ///     .http2_pool(pool.clone());
        /// assert!(options.http2_pool.is_some());
        /// ```
        http2_pool: Some(Http2Pool),
    }
}
