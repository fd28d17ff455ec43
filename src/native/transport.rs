//! The byte streams a connection can run on.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A byte stream a WebSocket connection runs on: TCP, TLS over TCP, an in-memory pipe, or
/// any other `AsyncRead + AsyncWrite` stream given to
/// [`Application::accept`](crate::Application::accept) or
/// [`websocket_connect_on`](crate::websocket_connect_on).
///
/// A stream without `TCP_NODELAY` needs one line:
///
/// ```
/// # use std::{io, pin::Pin, task::{Context, Poll}};
/// # use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
/// # struct Pipe;
/// # impl AsyncRead for Pipe {
/// #     fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, _: &mut ReadBuf<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
/// # }
/// # impl AsyncWrite for Pipe {
/// #     fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> { Poll::Ready(Ok(b.len())) }
/// #     fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
/// #     fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
/// # }
/// // `Pipe` is an AsyncRead + AsyncWrite + Unpin + Send + 'static stream.
/// impl squall::Transport for Pipe {}
/// ```
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Sets `TCP_NODELAY` on the underlying socket, as Tornado's `set_nodelay`.
    ///
    /// # Errors
    /// The socket's error; by default [`io::ErrorKind::Unsupported`], for streams without
    /// one.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        let _ = nodelay;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this stream has no TCP_NODELAY",
        ))
    }
}

impl Transport for TcpStream {
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        Self::set_nodelay(self, nodelay)
    }
}

impl Transport for tokio::io::DuplexStream {}

#[cfg(unix)]
impl Transport for tokio::net::UnixStream {}

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
