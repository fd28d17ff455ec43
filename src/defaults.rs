//! The default of every connection option, in one place: the protocol core's
//! [`Config`](crate::protocol::Config), the server's `Settings`, [`ConnectOptions`](crate::ConnectOptions)
//! and the browser backend all start from these. Tornado's value wherever Tornado has one.

use std::time::Duration;

/// Tornado's default `websocket_max_message_size`: 10 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 10 * 1024 * 1024;

/// Tornado's hard-coded wait for the peer's close frame: 5 seconds.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Keepalive pings are off, as in Tornado.
pub(crate) const PING_INTERVAL: Option<Duration> = None;

/// `None`: the ping timeout equals the interval, as Tornado 6.5.
pub(crate) const PING_TIMEOUT: Option<Duration> = None;

/// No idle timeout.
pub(crate) const IDLE_TIMEOUT: Option<Duration> = None;

/// Unwritten bytes (native) or `bufferedAmount` (browser) above which writes wait.
#[cfg_attr(
    not(any(
        all(feature = "server", not(target_arch = "wasm32")),
        all(
            feature = "client",
            any(not(target_arch = "wasm32"), target_os = "unknown")
        )
    )),
    allow(dead_code)
)]
pub(crate) const WRITE_BUFFER_HIGH_WATER: usize = 1024 * 1024;

/// Time a server allows from TCP accept to a complete upgrade request.
#[cfg_attr(
    not(all(feature = "server", not(target_arch = "wasm32"))),
    allow(dead_code)
)]
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a server waits for a peer that reads none of its pending output.
#[cfg_attr(
    not(all(feature = "server", not(target_arch = "wasm32"))),
    allow(dead_code)
)]
pub(crate) const WRITE_TIMEOUT: Option<Duration> = Some(Duration::from_secs(30));
