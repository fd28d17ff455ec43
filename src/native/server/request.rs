//! The upgrade request as handlers see it.

use std::fmt;
use std::net::SocketAddr;
use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, Method, Uri};

use crate::protocol::handshake::{request_header_fields, request_header_map};

/// The HTTP request that opened a WebSocket connection.
#[derive(Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    /// Parsed from `head` the first time they are asked for.
    headers: OnceLock<HeaderMap>,
    /// The request head as the server received it (empty when built from parts). A
    /// connection keeps these few hundred bytes for its whole life instead of a parsed
    /// `HeaderMap`, which takes 1–1.5 KiB for the 7–11 headers a browser or Python's
    /// `websockets` sends, and which most handlers never read.
    head: Box<[u8]>,
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
            head: Box::default(),
            peer_addr,
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
            head,
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
    ///
    /// A server parses them from the request head the first time they are asked for and
    /// keeps only the head's bytes until then, so a connection whose handler never reads
    /// them holds a few hundred bytes for them instead of a parsed map.
    pub fn headers(&self) -> &HeaderMap {
        self.headers.get_or_init(|| request_header_map(&self.head))
    }

    /// The first value of the header `name`, without parsing the others.
    pub(crate) fn header(&self, name: &HeaderName) -> Option<&[u8]> {
        if let Some(headers) = self.headers.get() {
            return headers.get(name).map(|value| value.as_bytes());
        }
        request_header_fields(&self.head)
            .into_iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name.as_str()))
            .map(|(_, value)| value)
    }

    /// The address of the peer, when known.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
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
        assert_eq!(
            request.header(&http::header::HOST),
            Some(&b"example.com:8080"[..])
        );
        assert_eq!(
            request.header(&HeaderName::from_static("x-tag")),
            Some(&b"a"[..])
        );
        assert_eq!(request.header(&http::header::ORIGIN), None);
        assert!(request.headers.get().is_none(), "the map was built");
    }

    #[test]
    fn a_request_built_from_parts_keeps_its_map() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, "example.org".parse().unwrap());
        let request = Request::new(Method::GET, Uri::from_static("/"), headers.clone(), None);
        assert_eq!(request.headers(), &headers);
        assert_eq!(
            request.header(&http::header::HOST),
            Some(&b"example.org"[..])
        );
        let cloned = request.clone();
        assert_eq!(cloned.headers(), &headers);
        assert!(format!("{request:?}").contains("example.org"));
    }
}
