//! The upgrade request as handlers see it.

use std::net::SocketAddr;

use http::{HeaderMap, Method, Uri};

/// The HTTP request that opened a WebSocket connection.
#[derive(Clone, Debug)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) peer_addr: Option<SocketAddr>,
}

impl Request {
    /// Builds a request (for tests of handler hooks, or integrations with other servers).
    pub fn new(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        peer_addr: Option<SocketAddr>,
    ) -> Self {
        Self {
            method,
            uri,
            headers,
            peer_addr,
        }
    }

    /// The request method (always GET for an upgrade).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request target.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The path of the request target.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The query string, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The address of the peer, when known.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }
}
