//! One HTTP/2 stream as a byte stream for the WebSocket driver (RFC 8441 §5).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use h2::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::native::Transport;

/// The DATA frames of one HTTP/2 stream, read and written as a byte stream.
///
/// HTTP/2 flow control is the write back-pressure: a write waits for the peer's window,
/// and received bytes are given back to the peer's window only once the driver has read
/// them. Shutting down sends END_STREAM; dropping the stream before both sides ended it
/// resets it with CANCEL (the h2 library does). A reset from the peer reads as an error.
pub(crate) struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// Received and not yet read.
    unread: Bytes,
}

impl H2Stream {
    pub(crate) fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        Self {
            send,
            recv,
            unread: Bytes::new(),
        }
    }

    /// Waits for send capacity for up to `wanted` bytes; how much there is.
    fn poll_capacity(&mut self, cx: &mut Context<'_>, wanted: usize) -> Poll<io::Result<usize>> {
        self.send.reserve_capacity(wanted);
        loop {
            let capacity = self.send.capacity();
            if capacity > 0 {
                return Poll::Ready(Ok(capacity.min(wanted)));
            }
            match ready!(self.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
                None => return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            }
        }
    }
}

pub(crate) fn io_error(error: h2::Error) -> io::Error {
    if error.is_io() {
        error
            .into_io()
            .unwrap_or_else(|| io::ErrorKind::Other.into())
    } else {
        io::Error::other(error)
    }
}

impl AsyncRead for H2Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.unread.is_empty() {
            match ready!(this.recv.poll_data(cx)) {
                // END_STREAM: the peer's EOF.
                None => return Poll::Ready(Ok(())),
                Some(Ok(data)) => this.unread = data,
                // RST_STREAM or the connection's end, whatever the reason: not a clean
                // end of the WebSocket, so an error rather than an EOF.
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
            }
        }
        let n = super::read_held(&mut this.unread, buf);
        // Read bytes go back to the peer's window: a reader that stops stops the peer.
        let _ = this.recv.flow_control().release_capacity(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = self.get_mut();
        let n = ready!(this.poll_capacity(cx, buf.len()))?;
        this.send
            .send_data(Bytes::copy_from_slice(&buf[..n]), false)
            .map_err(io_error)?;
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total: usize = bufs.iter().map(|buf| buf.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let this = self.get_mut();
        let n = ready!(this.poll_capacity(cx, total))?;
        // One DATA payload for the slices that fit: one copy, as for a single slice.
        let mut data = Vec::with_capacity(n);
        for buf in bufs {
            let take = buf.len().min(n - data.len());
            data.extend_from_slice(&buf[..take]);
            if data.len() == n {
                break;
            }
        }
        this.send
            .send_data(Bytes::from(data), false)
            .map_err(io_error)?;
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection's task writes the frames h2 buffered.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.send.reserve_capacity(0);
        // An empty DATA frame with END_STREAM; a stream already reset has nothing to end.
        let _ = this.send.send_data(Bytes::new(), true);
        Poll::Ready(Ok(()))
    }
}

/// An HTTP/2 stream has no socket of its own: [`set_nodelay`](Transport::set_nodelay)
/// is unsupported (the connection's socket has `TCP_NODELAY` set by the server).
impl Transport for H2Stream {}
