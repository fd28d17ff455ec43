//! The upgrade request as handlers see it.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use http::{HeaderMap, Method, Uri, Version};

use crate::protocol::handshake::{request_header_fields, request_header_map};

/// The HTTP request that opened a WebSocket connection.
pub struct Request {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    /// Parsed from `head` the first time they are asked for.
    headers: OnceLock<HeaderMap>,
    /// The request head as the server received it, until the headers are parsed from it
    /// (empty when built from parts). A connection keeps these few hundred bytes instead of
    /// a parsed `HeaderMap`, several times larger and which most handlers never read; once
    /// parsed, the bytes go, so a handler that reads the headers costs no more than the map.
    head: Mutex<Box<[u8]>>,
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
            headers: OnceLock::from(headers),
            head: Mutex::default(),
            peer_addr,
        }
    }

    /// The HTTP version that carried the upgrade: HTTP/1.1 (a `GET` with `Upgrade:
    /// websocket`), or HTTP/2 (an extended `CONNECT`, RFC 8441, whose `:authority` is given
    /// as the `Host` header). Told by the method, so a request keeps no field for it.
    ///
    /// ```
    /// use http::{HeaderMap, Method, Uri, Version};
    /// use squall::Request;
    ///
    /// let request = Request::new(Method::CONNECT, Uri::from_static("/ws"), HeaderMap::new(), None);
    /// assert_eq!(request.version(), Version::HTTP_2);
    /// ```
    pub fn version(&self) -> Version {
        if self.method == Method::CONNECT {
            Version::HTTP_2
        } else {
            Version::HTTP_11
        }
    }

    /// A request whose headers are parsed from `head`, a complete request head that
    /// [`parse_request`](crate::protocol::handshake::parse_request) accepted, when first
    /// asked for.
    pub(crate) fn from_head(
        method: Method,
        uri: Uri,
        head: Box<[u8]>,
        peer_addr: Option<SocketAddr>,
    ) -> Self {
        Self {
            method,
            uri,
            headers: OnceLock::new(),
            head: Mutex::new(head),
            peer_addr,
        }
    }

    /// The request method: GET for an HTTP/1.1 upgrade, CONNECT for an HTTP/2 one.
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
    ///
    /// A server parses them from the request head the first time they are asked for and
    /// keeps only the head's bytes until then, so a connection whose handler never reads
    /// them holds a few hundred bytes for them instead of a parsed map.
    pub fn headers(&self) -> &HeaderMap {
        self.headers
            .get_or_init(|| request_header_map(&std::mem::take(&mut *self.head())))
    }

    /// The first value of the header `name` (any case), when it is UTF-8 text. Unlike
    /// [`headers`](Self::headers), this does not parse the other headers, so a check that
    /// needs one header (the default [`check_origin`](super::WebSocketHandler::check_origin)
    /// reads `Host`) leaves the connection holding only the request's bytes.
    ///
    /// ```
    /// use http::{HeaderMap, Method, Uri, Version};
    /// use squall::Request;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("host", "example.org".parse().unwrap());
    /// let request = Request::new(Method::GET, Uri::from_static("/"), headers, None);
    /// assert_eq!(request.header("Host").as_deref(), Some("example.org"));
    /// assert_eq!(request.header("cookie"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<String> {
        let text = |value: &[u8]| std::str::from_utf8(value).ok().map(str::to_owned);
        if self.headers.get().is_none() {
            let head = self.head();
            // Empty: never had one, or the map is being built from it; `headers` waits.
            if !head.is_empty() {
                return request_header_fields(&head)
                    .into_iter()
                    .find(|(field, _)| field.eq_ignore_ascii_case(name))
                    .and_then(|(_, value)| text(value));
            }
        }
        text(self.headers().get(name)?.as_bytes())
    }

    fn head(&self) -> MutexGuard<'_, Box<[u8]>> {
        // Nothing panics while holding it; a poisoned head is still the bytes received.
        self.head.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The address of the peer, when known.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }
}

impl Clone for Request {
    fn clone(&self) -> Self {
        Self {
            method: self.method.clone(),
            uri: self.uri.clone(),
            headers: self.headers.clone(),
            head: Mutex::new(self.head().clone()),
            peer_addr: self.peer_addr,
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("headers", self.headers())
            .field("peer_addr", &self.peer_addr)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::handshake::{parse_request, HeadLimits};

    const HEAD: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\n\
        Upgrade: websocket\r\nConnection: Upgrade\r\nX-Tag: a\r\nx-tag: b\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    fn from_head() -> Request {
        let (request, len) = parse_request(HEAD, &HeadLimits::DEFAULT).unwrap().unwrap();
        assert_eq!(len, HEAD.len());
        let (parts, ()) = request.into_parts();
        Request::from_head(parts.method, parts.uri, HEAD.into(), None)
    }

    #[test]
    fn headers_from_the_head_are_those_parse_request_read() {
        let (parsed, _) = parse_request(HEAD, &HeadLimits::DEFAULT).unwrap().unwrap();
        let request = from_head();
        assert_eq!(request.headers(), parsed.headers());
        let tags: Vec<_> = request.headers().get_all("x-tag").iter().collect();
        assert_eq!(tags, ["a", "b"]);
        assert_eq!(request.path(), "/chat");
        assert_eq!(request.query(), Some("room=1"));
    }

    #[test]
    fn one_header_is_found_without_parsing_the_map() {
        let request = from_head();
        assert_eq!(request.header("Host").as_deref(), Some("example.com:8080"));
        assert_eq!(request.header("X-TAG").as_deref(), Some("a"));
        assert_eq!(request.header("origin"), None);
        assert!(request.headers.get().is_none(), "the map was built");
    }

    #[test]
    fn parsing_the_map_lets_the_head_go() {
        let request = from_head();
        let clone = request.clone();
        assert_eq!(request.headers().len(), 7);
        assert!(request.head().is_empty(), "the head is kept beside the map");
        assert_eq!(request.header("Host").as_deref(), Some("example.com:8080"));
        // A clone taken before keeps its own head and parses it on its own.
        assert!(!clone.head().is_empty());
        assert_eq!(clone.headers(), request.headers());
    }

    #[test]
    fn a_request_built_from_parts_keeps_its_map() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, "example.org".parse().unwrap());
        let request = Request::new(Method::GET, Uri::from_static("/"), headers.clone(), None);
        assert_eq!(request.headers(), &headers);
        assert_eq!(request.header("Host").as_deref(), Some("example.org"));
        let cloned = request.clone();
        assert_eq!(cloned.headers(), &headers);
        assert!(format!("{request:?}").contains("example.org"));
    }
}
