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
/// # Policies
///
/// Three named starting points; every setter below refines them. Figures are for the
/// chat-like JSON messages (60-300 bytes) of `benches/deflate.rs`, level 6 unless said,
/// on C zlib; memory is what one connection's deflate state allocates once its windows
/// have filled (a connection that exchanged only a few small messages has touched less).
///
/// | policy | wire / payload | compress / inflate, µs per message | server memory per connection | what it negotiates |
/// |---|---:|---:|---:|---|
/// | [`balanced`](Self::balanced) (= [`default`](Self::default)) | 0.193 | 8 / 1 | about 57 KiB | context takeover; own 8 KiB compressor window; asks clients for 4 KiB |
/// | [`max_ratio`](Self::max_ratio) | 0.175 | 45 / 1.3 | about 310 KiB | context takeover, 32 KiB windows (zlib's defaults) at level 9 |
/// | [`lean`](Self::lean) | 0.577 | 10 / 3 | none between messages | no context takeover either way; codecs shared per thread |
///
/// (zlib's defaults, level 6 and memory level 8 on 15-bit windows: 0.187, 10 / 1 µs, about
/// 300 KiB. Times are one run of `cargo bench --bench deflate` on a shared machine, messages
/// of 196 bytes on average.)
///
/// * **balanced** keeps what context takeover buys on small messages (a chat message
///   compresses to about a fifth with it, to three fifths without) at a sixth of zlib's
///   default memory: its compressor uses a 13-bit window and memory level 4, and a
///   server asks clients that offer `client_max_window_bits` to compress with 12 bits,
///   so that its decompressor needs 4 KiB. Clients that do not offer it (or choose a
///   larger window) are served with the window they use.
/// * **max_ratio** is zlib's and Tornado's defaults at level 9, memory level 9: the
///   smallest output, the most memory. For few connections or costly bandwidth.
/// * **lean** costs no memory per connection between messages: each message is
///   compressed and inflated by codecs kept per thread. Ratio drops to what a message
///   achieves alone, which is fine for large messages and poor for small ones. For very
///   many mostly idle connections.
///
/// The client gets the same policies: it compresses with its own window and memory level,
/// and with `lean` asks the server for no context takeover either way.
///
/// Messages at least as long as this side's compressor window (and at least 8 KiB) are
/// compressed with the same level, window and memory level by a compressor kept per
/// thread (zlib-rs, about twice C zlib's speed on long inputs), handed the connection's
/// history and handing it back, so context takeover and the ratio are as they would be;
/// memory per connection does not change.
///
/// Without a policy, [`CompressionOptions::default()`] is `balanced`.
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
/// assert_eq!(options.get_mem_level(), 4);
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
    pub(crate) preferred_client_max_window_bits: Option<u8>,
    pub(crate) compressor_window_bits: u8,
    pub(crate) threshold: usize,
}

impl CompressionOptions {
    /// The default compression level: zlib's (and Tornado's `GZIP_LEVEL`) 6.
    pub const DEFAULT_COMPRESSION_LEVEL: u8 = 6;
    /// The default zlib memory level: 4 (zlib and Tornado use 8), for a 4 KiB hash table
    /// and a 4 KiB symbol buffer; see [`mem_level`](Self::mem_level).
    pub const DEFAULT_MEM_LEVEL: u8 = 4;
    /// The default [`compressor_window_bits`](Self::compressor_window_bits): 13, an 8 KiB
    /// window (32 KiB of compressor memory with the hash chains).
    pub const DEFAULT_COMPRESSOR_WINDOW_BITS: u8 = 13;
    /// The default [`preferred_client_max_window_bits`](Self::preferred_client_max_window_bits):
    /// 12, a 4 KiB window for the server's decompressor.
    pub const DEFAULT_PREFERRED_CLIENT_MAX_WINDOW_BITS: u8 = 12;
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

    /// The defaults, the [`balanced`](Self::balanced) policy. Same as
    /// [`Default::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The balanced policy, the default: level 6, memory level 4, context takeover on
    /// both sides, this side's compressor on a 13-bit (8 KiB) window, and a server asks
    /// clients that offer `client_max_window_bits` for 12 bits. About 57 KiB per
    /// connection once its windows have filled; chat-sized messages compress to about
    /// 0.19-0.20 of their size (0.187 with zlib's 32 KiB defaults).
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// assert_eq!(CompressionOptions::balanced(), CompressionOptions::default());
    /// assert_eq!(CompressionOptions::balanced().get_compressor_window_bits(), 13);
    /// ```
    pub fn balanced() -> Self {
        Self::default()
    }

    /// The maximum-ratio policy: level 9, memory level 9, 15-bit windows both ways and
    /// context takeover, which is zlib's default memory (about 310 KiB per connection)
    /// and its smallest output (0.175 on chat-sized messages). For few connections.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::max_ratio();
    /// assert_eq!(options.get_compression_level(), 9);
    /// assert_eq!(options.get_compressor_window_bits(), 15);
    /// assert_eq!(options.get_preferred_client_max_window_bits(), None);
    /// ```
    pub fn max_ratio() -> Self {
        Self {
            compression_level: 9,
            mem_level: 9,
            compressor_window_bits: 15,
            preferred_client_max_window_bits: None,
            ..Self::default()
        }
    }

    /// The lean policy: no context takeover either way, so a connection keeps no deflate
    /// state between messages; each message borrows a compressor or decompressor kept
    /// per thread (15-bit windows, level 6, memory level 4). Chat-sized messages only
    /// compress to about 0.58 of their size; large ones compress as well as with any
    /// policy. For very many connections.
    ///
    /// A server includes `server_no_context_takeover` and `client_no_context_takeover`
    /// in every response; a client requests both.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::lean();
    /// assert!(options.get_server_no_context_takeover());
    /// assert!(options.get_client_no_context_takeover());
    /// ```
    pub fn lean() -> Self {
        Self {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            compressor_window_bits: 15,
            preferred_client_max_window_bits: None,
            ..Self::default()
        }
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
    /// Tornado's `mem_level`. Default [`DEFAULT_MEM_LEVEL`](Self::DEFAULT_MEM_LEVEL) (4);
    /// zlib's own default is 8.
    ///
    /// It sizes the compressor's hash table (`2^(mem_level + 7)` entries of two bytes) and
    /// its buffer of pending symbols (`2^(mem_level + 6)` entries of four bytes): 8 KiB at
    /// level 4, 128 KiB at level 8. The window does not depend on it. Only this side's
    /// compressor uses it; nothing is negotiated.
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

    /// Sets the window this side's compressor uses, as a base-2 logarithm from 9 (512
    /// bytes) to 15 (32 KiB), whatever the negotiation allows: the compressor uses the
    /// smaller of this and the negotiated limit. Default
    /// [`DEFAULT_COMPRESSOR_WINDOW_BITS`](Self::DEFAULT_COMPRESSOR_WINDOW_BITS) (13).
    ///
    /// RFC 7692 lets a sender use a smaller window than agreed, so this is local and not
    /// negotiated (unlike [`server_max_window_bits`](Self::server_max_window_bits), which
    /// a server announces and a client requests). The compressor's window and hash chains
    /// take `4 * 2^bits` bytes: 32 KiB at 13 bits, 128 KiB at 15.
    ///
    /// # Panics
    ///
    /// If `bits` is outside 9..=15.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::new().compressor_window_bits(15);
    /// assert_eq!(options.get_compressor_window_bits(), 15);
    /// ```
    #[must_use]
    pub fn compressor_window_bits(mut self, bits: u8) -> Self {
        assert!(
            (9..=15).contains(&bits),
            "compressor_window_bits must be 9..=15, got {bits}"
        );
        self.compressor_window_bits = bits;
        self
    }

    /// Sets the window a *server* asks clients to compress with when their offer lets it
    /// choose, as a base-2 logarithm from 9 to 15; `None` leaves the client's window as
    /// the client offered it. Default
    /// [`Some(DEFAULT_PREFERRED_CLIENT_MAX_WINDOW_BITS)`](Self::DEFAULT_PREFERRED_CLIENT_MAX_WINDOW_BITS)
    /// (12).
    ///
    /// Unlike [`client_max_window_bits`](Self::client_max_window_bits), which insists
    /// (and so declines clients that cannot honour a limit), this only applies where the
    /// client offered `client_max_window_bits` (bare, or with a larger value), and not when
    /// the client resets after every message: the decompressor then keeps no window
    /// between messages anyway. The server's decompressor then needs a `2^bits`-byte
    /// window instead of 32 KiB. Clients ignore it.
    ///
    /// # Panics
    ///
    /// If `bits` is `Some` value outside 9..=15.
    ///
    /// ```
    /// use squall::CompressionOptions;
    ///
    /// let options = CompressionOptions::new().preferred_client_max_window_bits(None);
    /// assert_eq!(options.get_preferred_client_max_window_bits(), None);
    /// ```
    #[must_use]
    pub fn preferred_client_max_window_bits(mut self, bits: Option<u8>) -> Self {
        if let Some(bits) = bits {
            assert!(
                (9..=15).contains(&bits),
                "preferred_client_max_window_bits must be 9..=15, got {bits}"
            );
        }
        self.preferred_client_max_window_bits = bits;
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

    /// The window this side's compressor uses at most, in bits (9 to 15).
    pub fn get_compressor_window_bits(&self) -> u8 {
        self.compressor_window_bits
    }

    /// The window a server asks clients for where their offer allows, in bits (9 to 15),
    /// or `None`.
    pub fn get_preferred_client_max_window_bits(&self) -> Option<u8> {
        self.preferred_client_max_window_bits
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
            preferred_client_max_window_bits: Some(Self::DEFAULT_PREFERRED_CLIENT_MAX_WINDOW_BITS),
            compressor_window_bits: Self::DEFAULT_COMPRESSOR_WINDOW_BITS,
            threshold: Self::DEFAULT_THRESHOLD,
        }
    }
}

#[cfg(test)]
mod tests;
