//! The byte streams a connection can run on.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A byte stream a WebSocket connection runs on: TCP, TLS over TCP, or an in-memory pipe.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Sets `TCP_NODELAY` on the underlying socket, as Tornado's `set_nodelay`.
    ///
    /// # Errors
    /// The socket's error, or [`std::io::ErrorKind::Unsupported`] for streams without one.
    fn set_nodelay(&self, nodelay: bool) -> std::io::Result<()>;
}

impl Transport for TcpStream {
    fn set_nodelay(&self, nodelay: bool) -> std::io::Result<()> {
        TcpStream::set_nodelay(self, nodelay)
    }
}

impl Transport for tokio::io::DuplexStream {
    fn set_nodelay(&self, _nodelay: bool) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "an in-memory stream has no TCP_NODELAY",
        ))
    }
}

#[cfg(feature = "tls")]
impl<T: Transport> Transport for tokio_rustls::server::TlsStream<T> {
    fn set_nodelay(&self, nodelay: bool) -> std::io::Result<()> {
        self.get_ref().0.set_nodelay(nodelay)
    }
}

#[cfg(feature = "tls")]
impl<T: Transport> Transport for tokio_rustls::client::TlsStream<T> {
    fn set_nodelay(&self, nodelay: bool) -> std::io::Result<()> {
        self.get_ref().0.set_nodelay(nodelay)
    }
}

/// A boxed transport, so one connection type serves plain and TLS streams.
impl Transport for Box<dyn Transport> {
    fn set_nodelay(&self, nodelay: bool) -> std::io::Result<()> {
        (**self).set_nodelay(nodelay)
    }
}
