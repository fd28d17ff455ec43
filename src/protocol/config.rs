//! Settings of the protocol core.

use std::time::Duration;

use crate::defaults;
// The defaults belong to the model (`src/defaults.rs`); their public paths stay here.
pub use crate::defaults::{DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE};

/// Settings of a [`Connection`](super::Connection), fixed when it is created.
///
/// ```
/// use std::time::Duration;
/// use squall::protocol::Config;
///
/// let mut config = Config::default();
/// config.ping_interval = Some(Duration::from_secs(20));
/// assert_eq!(config.max_message_size, Some(10 * 1024 * 1024));
/// assert_eq!(config.effective_ping_timeout(), Some(Duration::from_secs(20)));
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// Largest message accepted, after decompression; a bigger one closes with 1009.
    /// `None` means no limit. Default: 10 MiB, as Tornado.
    pub max_message_size: Option<usize>,
    /// Largest single frame accepted (before decompression); a bigger one closes with 1009.
    /// `None` means only `max_message_size` applies. Default: `None`.
    pub max_frame_size: Option<usize>,
    /// Send a keepalive ping this often. Default: `None` (off), as Tornado.
    pub ping_interval: Option<Duration>,
    /// Close with 1011 when a keepalive ping is not answered within this time. Default
    /// (`None`): equal to `ping_interval`, as Tornado 6.5; a longer value is clamped to it.
    pub ping_timeout: Option<Duration>,
    /// How long to wait for the peer's close frame (and, on the client, for the server to
    /// close TCP) before giving up. Default: 5 s, as Tornado.
    pub close_timeout: Duration,
    /// Close with 1001 when nothing at all arrives from the peer for this long. Default:
    /// `None` (no idle timeout).
    pub idle_timeout: Option<Duration>,
    /// Seed for the masking-key generator, so tests can pin the bytes a client sends.
    /// `None` (the default) seeds it from the operating system once.
    pub mask_seed: Option<[u8; 32]>,
    /// permessage-deflate as the handshake negotiated it: the parameters in force and this
    /// side's options (compression level, memory level, threshold). Default: `None` (off).
    #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
    pub deflate: Option<(super::deflate::DeflateParams, crate::CompressionOptions)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_message_size: Some(DEFAULT_MAX_MESSAGE_SIZE),
            max_frame_size: None,
            ping_interval: defaults::PING_INTERVAL,
            ping_timeout: defaults::PING_TIMEOUT,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            idle_timeout: defaults::IDLE_TIMEOUT,
            mask_seed: None,
            #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
            deflate: None,
        }
    }
}

impl Config {
    /// The ping timeout in force: `ping_timeout` clamped to `ping_interval`, or the
    /// interval itself; `None` without keepalive pings.
    pub fn effective_ping_timeout(&self) -> Option<Duration> {
        let interval = self.ping_interval?;
        Some(self.ping_timeout.map_or(interval, |t| t.min(interval)))
    }
}
