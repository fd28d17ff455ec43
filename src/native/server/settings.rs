//! Server settings, with Tornado's names and defaults where Tornado has them.

use std::time::Duration;

use crate::protocol::{DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE};

/// Settings of an [`Application`](super::Application); see the README's table of limits.
///
/// ```
/// use std::time::Duration;
/// use squall::Settings;
///
/// let settings = Settings {
///     ping_interval: Some(Duration::from_secs(20)),
///     ..Settings::default()
/// };
/// assert_eq!(settings.max_message_size, Some(10 * 1024 * 1024));
/// ```
#[derive(Clone, Debug)]
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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ping_interval: None,
            ping_timeout: None,
            max_message_size: Some(DEFAULT_MAX_MESSAGE_SIZE),
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            handshake_timeout: Duration::from_secs(10),
            max_head_bytes: 16 * 1024,
            max_headers: 100,
            write_buffer_high_water: 1024 * 1024,
            max_connections: None,
            idle_timeout: None,
            write_timeout: Some(Duration::from_secs(30)),
        }
    }
}
