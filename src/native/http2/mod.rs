//! WebSockets over HTTP/2 (RFC 8441, feature `http2`): an HTTP/2 stream is one more byte
//! transport for the driver, opened by an extended CONNECT instead of an `Upgrade`.

#[cfg(feature = "server")]
mod prefixed;
#[cfg(feature = "server")]
pub(crate) mod server;
mod stream;

#[cfg(feature = "server")]
pub(crate) use prefixed::Prefixed;
#[cfg(feature = "server")]
pub(crate) use server::{Respond, PREFACE};
#[cfg(feature = "client")]
pub(crate) use stream::{io_error, H2Stream};

/// Copies as much of `held` as fits into `buf`, consuming it; how many bytes that was.
fn read_held(held: &mut bytes::Bytes, buf: &mut tokio::io::ReadBuf<'_>) -> usize {
    use bytes::Buf;

    let n = held.len().min(buf.remaining());
    buf.put_slice(&held[..n]);
    held.advance(n);
    n
}
