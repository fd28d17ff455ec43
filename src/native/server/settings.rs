//! Server settings, with Tornado's names and defaults where Tornado has them.

use std::time::Duration;

use crate::defaults;
use crate::protocol::handshake::HeadLimits;

/// Settings of an [`Application`](super::Application); see the README's table of limits.
///
/// Build it as [`ConnectOptions`](crate::ConnectOptions): [`Settings::new`] (Tornado's
/// defaults) and one builder method per field. The fields are public to read and to assign
/// (`settings.max_connections = Some(10_000);`); the struct is `#[non_exhaustive]`, so
/// struct-literal and struct-update syntax (`..Settings::default()`) do not compile outside
/// squall, and new settings can come without breaking callers. A setting that is on by
/// default (`max_message_size`, `write_timeout`) takes an `Option`, so `None` turns it off.
///
/// ```
/// use std::time::Duration;
/// use squall::Settings;
///
/// let settings = Settings::new()
///     .ping_interval(Duration::from_secs(20))
///     .max_connections(10_000);
/// assert_eq!(settings.max_message_size, Some(10 * 1024 * 1024));
/// assert_eq!(settings.ping_interval, Some(Duration::from_secs(20)));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// Tornado's `websocket_ping_interval`: send a ping this often. Default: off.
    pub ping_interval: Option<Duration>,
    /// Tornado's `websocket_ping_timeout`: close with 1011 when a ping goes unanswered this
    /// long. Default: equal to the interval (clamped to it), as Tornado 6.5.
    pub ping_timeout: Option<Duration>,
    /// Tornado's `websocket_max_message_size`: bigger messages close with 1009. Default: 10 MiB.
    pub max_message_size: Option<usize>,
    /// How long to wait for the peer's close frame after sending ours. Default: 5 s.
    pub close_timeout: Duration,
    /// Time allowed from TCP accept to a complete upgrade request (and TLS handshake).
    /// Default: 10 s.
    pub handshake_timeout: Duration,
    /// Largest HTTP request head (request line plus headers), in bytes; bigger gets 431.
    /// Default: 16 KiB.
    pub max_head_bytes: usize,
    /// Most request headers; more get 431. Default: 100.
    pub max_headers: usize,
    /// Unwritten bytes above which `write_message` futures wait. Default: 1 MiB.
    pub write_buffer_high_water: usize,
    /// Concurrent connections beyond which requests get 503. Default: no limit.
    pub max_connections: Option<usize>,
    /// Close with 1001 a connection from which nothing arrives for this long. Default: off.
    pub idle_timeout: Option<Duration>,
    /// Drop a connection whose peer reads none of the pending output for this long (a
    /// peer that never reads). Default: 30 s.
    pub write_timeout: Option<Duration>,
    /// Most WebSockets (streams) open at once on one HTTP/2 connection (feature `http2`),
    /// advertised as `SETTINGS_MAX_CONCURRENT_STREAMS`; more are refused. Default: 128.
    pub http2_max_streams: u32,
    /// Bytes a peer may send on one HTTP/2 stream before the server reads them: the
    /// stream's receive window. A WebSocket whose handler is behind stops its own stream
    /// at this, not the others. Default: 1 MiB.
    pub http2_stream_window: u32,
    /// Bytes a peer may send on all the streams of one HTTP/2 connection before the server
    /// reads them: the most one connection buffers unread. Default: 4 MiB.
    pub http2_connection_window: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ping_interval: defaults::PING_INTERVAL,
            ping_timeout: defaults::PING_TIMEOUT,
            max_message_size: Some(defaults::DEFAULT_MAX_MESSAGE_SIZE),
            close_timeout: defaults::DEFAULT_CLOSE_TIMEOUT,
            handshake_timeout: defaults::HANDSHAKE_TIMEOUT,
            max_head_bytes: HeadLimits::DEFAULT.max_head_bytes,
            max_headers: HeadLimits::DEFAULT.max_headers,
            write_buffer_high_water: defaults::WRITE_BUFFER_HIGH_WATER,
            max_connections: None,
            idle_timeout: defaults::IDLE_TIMEOUT,
            write_timeout: defaults::WRITE_TIMEOUT,
            http2_max_streams: 128,
            http2_stream_window: 1024 * 1024,
            http2_connection_window: 4 * 1024 * 1024,
        }
    }
}

impl Settings {
    /// Tornado's defaults (the same as [`Settings::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    crate::setters::setters! {
        /// Sets `ping_interval`: a keepalive ping this often.
        ping_interval: Some(Duration),
        /// Sets `ping_timeout` (clamped to the interval).
        ping_timeout: Some(Duration),
        /// Sets the largest message accepted (`None`: no limit).
        max_message_size: Option<usize>,
        /// Sets how long to wait for the peer's close frame.
        close_timeout: Duration,
        /// Sets the time allowed from TCP accept to a complete upgrade request.
        handshake_timeout: Duration,
        /// Sets the largest HTTP request head, in bytes.
        max_head_bytes: usize,
        /// Sets the most request headers.
        max_headers: usize,
        /// Sets the unwritten bytes above which `write_message` futures wait.
        write_buffer_high_water: usize,
        /// Limits the concurrent connections; requests beyond get 503.
        max_connections: Some(usize),
        /// Closes with 1001 a connection from which nothing arrives for this long.
        idle_timeout: Some(Duration),
        /// Sets how long a peer may read none of the pending output before its connection
        /// is dropped (`None`: never).
        write_timeout: Option<Duration>,
        /// Sets the most WebSockets open at once on one HTTP/2 connection.
        http2_max_streams: u32,
        /// Sets an HTTP/2 stream's receive window, in bytes (at least 65,535: smaller
        /// values are raised to it, HTTP/2's initial window).
        http2_stream_window: u32,
        /// Sets an HTTP/2 connection's receive window, in bytes (raised to the stream
        /// window when smaller).
        http2_connection_window: u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_readmes() {
        let s = Settings::new();
        assert_eq!(s.ping_interval, None);
        assert_eq!(s.ping_timeout, None);
        assert_eq!(s.max_message_size, Some(10 * 1024 * 1024));
        assert_eq!(s.close_timeout, Duration::from_secs(5));
        assert_eq!(s.handshake_timeout, Duration::from_secs(10));
        assert_eq!(s.max_head_bytes, 16 * 1024);
        assert_eq!(s.max_headers, 100);
        assert_eq!(s.write_buffer_high_water, 1024 * 1024);
        assert_eq!(s.max_connections, None);
        assert_eq!(s.idle_timeout, None);
        assert_eq!(s.write_timeout, Some(Duration::from_secs(30)));
        assert_eq!(s.http2_max_streams, 128);
        assert_eq!(s.http2_stream_window, 1024 * 1024);
        assert_eq!(s.http2_connection_window, 4 * 1024 * 1024);
    }

    #[test]
    fn each_builder_method_sets_its_field() {
        let second = Duration::from_secs(1);
        let s = Settings::new()
            .ping_interval(second)
            .ping_timeout(2 * second)
            .max_message_size(None)
            .close_timeout(3 * second)
            .handshake_timeout(4 * second)
            .max_head_bytes(1)
            .max_headers(2)
            .write_buffer_high_water(3)
            .max_connections(4)
            .idle_timeout(5 * second)
            .write_timeout(None)
            .http2_max_streams(6)
            .http2_stream_window(70_000)
            .http2_connection_window(80_000);
        assert_eq!(s.ping_interval, Some(second));
        assert_eq!(s.ping_timeout, Some(2 * second));
        assert_eq!(s.max_message_size, None);
        assert_eq!(s.close_timeout, 3 * second);
        assert_eq!(s.handshake_timeout, 4 * second);
        assert_eq!(s.max_head_bytes, 1);
        assert_eq!(s.max_headers, 2);
        assert_eq!(s.write_buffer_high_water, 3);
        assert_eq!(s.max_connections, Some(4));
        assert_eq!(s.idle_timeout, Some(5 * second));
        assert_eq!(s.write_timeout, None);
        assert_eq!(s.http2_max_streams, 6);
        assert_eq!(s.http2_stream_window, 70_000);
        assert_eq!(s.http2_connection_window, 80_000);
    }
}
