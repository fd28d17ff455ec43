//! [`CompressionOptions`]: how this side uses permessage-deflate (RFC 7692).
//!
//! This is plain data and compiles on every target, with or without the `deflate` feature;
//! the negotiation and the codec that read it live in `protocol::deflate`.

/// permessage-deflate settings (RFC 7692), the counterpart of the dict that Tornado's
/// `get_compression_options()` returns and `websocket_connect(compression_options=...)` takes.
///
/// `None` where an `Option<CompressionOptions>` is expected turns compression off, and any
/// value (even [`CompressionOptions::default()`]) turns it on, as in Tornado.
///
/// Two kinds of settings live here:
///
/// * **compressor settings**, which stay local: [`compression_level`](Self::compression_level),
///   [`mem_level`](Self::mem_level) and [`threshold`](Self::threshold);
/// * **negotiation policy**, the four RFC 7692 parameters. Each setter documents what a
///   client offers or requests with it and what a server insists on.
///
/// The defaults negotiate what Tornado and browsers do: both sides keep their context
/// across messages and use 32 KiB windows, and the client offers
/// `permessage-deflate; client_max_window_bits`.
///
/// Setters validate their argument and panic on values zlib cannot use; each says so in a
/// `# Panics` section. Getters carry a `get_` prefix because the setters own the plain
/// names (as with [`std::process::Command`]).
///
/// # Examples
///
/// ```
/// use squall::CompressionOptions;
///
/// let options = CompressionOptions::default()
///     .compression_level(9)
///     .server_no_context_takeover(true)
///     .client_max_window_bits(Some(12));
/// assert_eq!(options.get_compression_level(), 9);
/// assert_eq!(options.get_mem_level(), 8);
/// assert!(options.get_server_no_context_takeover());
/// assert_eq!(options.get_client_max_window_bits(), Some(12));
/// assert_eq!(options.get_server_max_window_bits(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompressionOptions {
    pub(crate) compression_level: u8,
    pub(crate) mem_level: u8,
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    pub(crate) server_max_window_bits: Option<u8>,
    pub(crate) client_max_window_bits: Option<u8>,
    pub(crate) threshold: usize,
}

impl CompressionOptions {
    /// The default compression level: zlib's (and Tornado's `GZIP_LEVEL`) 6.
    pub const DEFAULT_COMPRESSION_LEVEL: u8 = 6;
    /// The default zlib memory level: 8, as in zlib and Tornado.
    pub const DEFAULT_MEM_LEVEL: u8 = 8;
    /// The default [`threshold`](Self::threshold): messages shorter than 32 bytes are
    /// sent uncompressed.
    ///
    /// Below that size compression gains little and can lose: on a compressor that resets
    /// per message, "Hello" becomes 7 bytes, and the first 8 to 24 bytes of 50 chat-style
    /// JSON messages grew by 2 bytes each while 32-byte ones shrank by 3%. With context
    /// takeover the same short messages shrink to about a quarter, but that saves at most
    /// about 20 bytes a message, next to a 2-byte frame header and the TCP/TLS overhead of
    /// sending anything. Tornado compresses every message; set the threshold to 0 to do
    /// the same.
    pub const DEFAULT_THRESHOLD: usize = 32;

    /// The defaults: level 6, memory level 8, context takeover on both sides, no window
    /// limits, threshold [`DEFAULT_THRESHOLD`](Self::DEFAULT_THRESHOLD). Same as
    /// [`Default::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the zlib compression level, 0 (store only) to 9 (smallest output, slowest),
    /// as Tornado's `compression_level`. Default 6.
    ///
    /// Only this side's compressor uses it; nothing is negotiated.
    ///
    /// # Panics
    ///
    /// If `level` is greater than 9.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// assert_eq!(CompressionOptions::new().compression_level(1).get_compression_level(), 1);
    /// ```
    #[must_use]
    pub fn compression_level(mut self, level: u8) -> Self {
        assert!(level <= 9, "compression_level must be 0..=9, got {level}");
        self.compression_level = level;
        self
    }

    /// Sets zlib's memory level, 1 (least memory, slower, worse compression) to 9, as
    /// Tornado's `mem_level`. Default 8.
    ///
    /// It sizes the compressor's buffer of pending symbols (`2^(mem_level + 6)` entries,
    /// four bytes each); the window and the hash table do not depend on it. Only this
    /// side's compressor uses it; nothing is negotiated.
    ///
    /// # Panics
    ///
    /// If `level` is 0 or greater than 9.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// assert_eq!(CompressionOptions::new().mem_level(4).get_mem_level(), 4);
    /// ```
    #[must_use]
    pub fn mem_level(mut self, level: u8) -> Self {
        assert!(
            (1..=9).contains(&level),
            "mem_level must be 1..=9, got {level}"
        );
        self.mem_level = level;
        self
    }

    /// Sets whether the *server* resets its compressor after every message
    /// (`server_no_context_takeover`). Default `false`.
    ///
    /// * A **client** with `true` requests it in its offer; a server that accepts must
    ///   agree, and the handshake fails if its response leaves it out.
    /// * A **server** with `true` always includes it in its response, whatever the client
    ///   offered; this costs compression ratio and saves the 32 KiB-per-connection
    ///   history between messages.
    ///
    /// A server also honours a client's request for it whatever this setting says.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::new().server_no_context_takeover(true);
    /// assert!(options.get_server_no_context_takeover());
    /// ```
    #[must_use]
    pub fn server_no_context_takeover(mut self, enabled: bool) -> Self {
        self.server_no_context_takeover = enabled;
        self
    }

    /// Sets whether the *client* resets its compressor after every message
    /// (`client_no_context_takeover`). Default `false`.
    ///
    /// * A **client** with `true` announces it in its offer and resets its compressor
    ///   after every message whatever the server answers.
    /// * A **server** with `true` always includes it in its response, so every client
    ///   that accepts resets between messages and the server's decompressor can forget
    ///   each message once inflated.
    ///
    /// A server also echoes it when a client offers it.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::new().client_no_context_takeover(true);
    /// assert!(options.get_client_no_context_takeover());
    /// ```
    #[must_use]
    pub fn client_no_context_takeover(mut self, enabled: bool) -> Self {
        self.client_no_context_takeover = enabled;
        self
    }

    /// Sets the largest LZ77 window the *server* may compress with, as a base-2 logarithm
    /// from 9 (512 bytes) to 15 (32 KiB); `None` (the default) asks for no limit.
    ///
    /// * A **client** with `Some(n)` requests `server_max_window_bits=n`; the handshake
    ///   fails if the server answers with a larger value or leaves the parameter out.
    ///   The client's decompressor then only needs a `2^n`-byte window.
    /// * A **server** with `Some(n)` limits its own compressor to `n` bits and says so in
    ///   its response (`server_max_window_bits=n`); a client's smaller request wins.
    ///
    /// 8 is not accepted: zlib cannot produce a raw deflate stream with a 256-byte window.
    /// For the same reason a squall server declines an offer that requests
    /// `server_max_window_bits=8` and moves on to the client's next offer.
    ///
    /// # Panics
    ///
    /// If `bits` is `Some` value outside 9..=15.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::new().server_max_window_bits(Some(10));
    /// assert_eq!(options.get_server_max_window_bits(), Some(10));
    /// ```
    #[must_use]
    pub fn server_max_window_bits(mut self, bits: Option<u8>) -> Self {
        if let Some(bits) = bits {
            assert!(
                (9..=15).contains(&bits),
                "server_max_window_bits must be 9..=15, got {bits}"
            );
        }
        self.server_max_window_bits = bits;
        self
    }

    /// Sets the largest LZ77 window the *client* may compress with, as a base-2 logarithm
    /// from 8 (256 bytes) to 15 (32 KiB); `None` (the default) sets no limit.
    ///
    /// * A **client** always offers `client_max_window_bits`, which tells the server it
    ///   can honour a limit: bare with `None`, as browsers do, or `client_max_window_bits=n`
    ///   with `Some(n)`, and then compresses with at most `n` bits. On a client, 8 is
    ///   offered and used as 9: zlib cannot compress a raw deflate stream with a 256-byte
    ///   window.
    /// * A **server** with `Some(n)` insists: it answers `client_max_window_bits=n` (or
    ///   the client's smaller value), so its decompressor only needs a `2^n`-byte window,
    ///   and it declines offers that do not include `client_max_window_bits`, since those
    ///   clients cannot honour a limit. With `None`, a server never shrinks the client's
    ///   window below what the client itself offered. A limit of 8 leaves clients built
    ///   on zlib unable to compress: a squall client then sends every message
    ///   uncompressed, and other clients may fail the handshake.
    ///
    /// # Panics
    ///
    /// If `bits` is `Some` value outside 8..=15.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::new().client_max_window_bits(Some(9));
    /// assert_eq!(options.get_client_max_window_bits(), Some(9));
    /// ```
    #[must_use]
    pub fn client_max_window_bits(mut self, bits: Option<u8>) -> Self {
        if let Some(bits) = bits {
            assert!(
                (8..=15).contains(&bits),
                "client_max_window_bits must be 8..=15, got {bits}"
            );
        }
        self.client_max_window_bits = bits;
        self
    }

    /// Sets the size below which messages are sent uncompressed, in bytes of payload.
    /// Default [`DEFAULT_THRESHOLD`](Self::DEFAULT_THRESHOLD) (32); 0 compresses every
    /// message, as Tornado does.
    ///
    /// RFC 7692 lets either side send any message uncompressed once the extension is
    /// negotiated, so this is a local choice and is not negotiated. Messages received are
    /// inflated whatever their size.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// assert_eq!(CompressionOptions::new().threshold(0).get_threshold(), 0);
    /// ```
    #[must_use]
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// The zlib compression level, 0 to 9.
    pub fn get_compression_level(&self) -> u8 {
        self.compression_level
    }

    /// The zlib memory level, 1 to 9.
    pub fn get_mem_level(&self) -> u8 {
        self.mem_level
    }

    /// Whether the server resets its compressor after every message.
    pub fn get_server_no_context_takeover(&self) -> bool {
        self.server_no_context_takeover
    }

    /// Whether the client resets its compressor after every message.
    pub fn get_client_no_context_takeover(&self) -> bool {
        self.client_no_context_takeover
    }

    /// The server's window limit in bits (9 to 15), or `None` for no limit.
    pub fn get_server_max_window_bits(&self) -> Option<u8> {
        self.server_max_window_bits
    }

    /// The client's window limit in bits (8 to 15), or `None` for no limit.
    pub fn get_client_max_window_bits(&self) -> Option<u8> {
        self.client_max_window_bits
    }

    /// Messages shorter than this many bytes are sent uncompressed.
    pub fn get_threshold(&self) -> usize {
        self.threshold
    }
}

impl Default for CompressionOptions {
    fn default() -> Self {
        Self {
            compression_level: Self::DEFAULT_COMPRESSION_LEVEL,
            mem_level: Self::DEFAULT_MEM_LEVEL,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
            threshold: Self::DEFAULT_THRESHOLD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_tornado() {
        let options = CompressionOptions::default();
        assert_eq!(options, CompressionOptions::new());
        assert_eq!(options.get_compression_level(), 6);
        assert_eq!(options.get_mem_level(), 8);
        assert!(!options.get_server_no_context_takeover());
        assert!(!options.get_client_no_context_takeover());
        assert_eq!(options.get_server_max_window_bits(), None);
        assert_eq!(options.get_client_max_window_bits(), None);
        assert_eq!(
            options.get_threshold(),
            CompressionOptions::DEFAULT_THRESHOLD
        );
    }

    #[test]
    fn setters_accept_the_whole_range() {
        for level in 0..=9 {
            let _ = CompressionOptions::new().compression_level(level);
        }
        for level in 1..=9 {
            let _ = CompressionOptions::new().mem_level(level);
        }
        for bits in 9..=15 {
            let _ = CompressionOptions::new().server_max_window_bits(Some(bits));
        }
        for bits in 8..=15 {
            let _ = CompressionOptions::new().client_max_window_bits(Some(bits));
        }
        let options = CompressionOptions::new()
            .server_max_window_bits(Some(9))
            .server_max_window_bits(None)
            .client_max_window_bits(Some(8))
            .client_max_window_bits(None);
        assert_eq!(options, CompressionOptions::default());
    }

    #[test]
    #[should_panic(expected = "compression_level")]
    fn compression_level_above_9_panics() {
        let _ = CompressionOptions::new().compression_level(10);
    }

    #[test]
    #[should_panic(expected = "mem_level")]
    fn mem_level_0_panics() {
        let _ = CompressionOptions::new().mem_level(0);
    }

    #[test]
    #[should_panic(expected = "mem_level")]
    fn mem_level_above_9_panics() {
        let _ = CompressionOptions::new().mem_level(10);
    }

    #[test]
    #[should_panic(expected = "server_max_window_bits")]
    fn server_window_8_panics() {
        let _ = CompressionOptions::new().server_max_window_bits(Some(8));
    }

    #[test]
    #[should_panic(expected = "server_max_window_bits")]
    fn server_window_16_panics() {
        let _ = CompressionOptions::new().server_max_window_bits(Some(16));
    }

    #[test]
    #[should_panic(expected = "client_max_window_bits")]
    fn client_window_7_panics() {
        let _ = CompressionOptions::new().client_max_window_bits(Some(7));
    }
}
