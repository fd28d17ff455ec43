//! The byte streams a connection can run on.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A byte stream a WebSocket connection runs on: TCP, TLS over TCP, or an in-memory pipe.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Sets `TCP_NODELAY` on the underlying socket, as Tornado's `set_nodelay`.
    ///
    /// # Errors
    /// The socket's error, or [`io::ErrorKind::Unsupported`] for streams without one.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;
}

impl Transport for TcpStream {
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        Self::set_nodelay(self, nodelay)
    }
}

impl Transport for tokio::io::DuplexStream {
    fn set_nodelay(&self, _nodelay: bool) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "an in-memory stream has no TCP_NODELAY",
        ))
    }
}

#[cfg(feature = "tls")]
impl<T: Transport> Transport for tokio_rustls::server::TlsStream<T> {
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.get_ref().0.set_nodelay(nodelay)
    }
}

#[cfg(feature = "tls")]
impl<T: Transport> Transport for tokio_rustls::client::TlsStream<T> {
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.get_ref().0.set_nodelay(nodelay)
    }
}

/// Any transport behind one type, so one connection type serves plain and TLS streams.
pub(crate) struct AnyStream(Box<dyn Transport>);

impl AnyStream {
    pub(crate) fn new(stream: impl Transport) -> Self {
        Self(Box::new(stream))
    }
}

impl std::fmt::Debug for AnyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnyStream")
    }
}

impl AsyncRead for AnyStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for AnyStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
}

impl Transport for AnyStream {
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.0.set_nodelay(nodelay)
    }
}
