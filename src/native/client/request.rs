//! The target a client request names: address, host header, request line.

use std::net::SocketAddr;

use http::{HeaderMap, Uri};
use url::{Host, Position, Url};

use crate::Error;

/// Where to connect and what to put in the request line, from a checked URL.
#[derive(Clone, Debug)]
pub(super) struct Target {
    /// The checked URL (for resolving redirects against it).
    pub(super) url: Url,
    /// `wss://`: TLS over TCP.
    pub(super) secure: bool,
    pub(super) host: Host<String>,
    /// The host as written in `Host` (IPv6 in brackets).
    pub(super) host_header: String,
    pub(super) port: u16,
    /// Whether `port` is the scheme's default, so `Host` leaves it out.
    pub(super) default_port: bool,
    pub(super) path_and_query: String,
}

impl Target {
    /// Checks the request's URI: an absolute `ws://` or `wss://` URL with a host and no
    /// credentials.
    pub(super) fn parse(uri: &Uri) -> Result<Self, Error> {
        let text = uri.to_string();
        let url = Url::parse(&text).map_err(|err| Error::InvalidUrl(format!("{text}: {err}")))?;
        Self::from_url(url)
    }

    /// As [`parse`](Self::parse), from a parsed URL.
    pub(super) fn from_url(url: Url) -> Result<Self, Error> {
        let invalid = |why: &str| Error::InvalidUrl(format!("{url}: {why}"));
        let secure = match url.scheme() {
            "ws" => false,
            "wss" => true,
            _ => return Err(invalid("the scheme must be ws or wss")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL are not sent; use an Authorization header",
            ));
        }
        let host = url.host().ok_or_else(|| invalid("no host"))?.to_owned();
        let host_header = url.host_str().ok_or_else(|| invalid("no host"))?.to_owned();
        let default = if secure { 443 } else { 80 };
        let port = url.port().unwrap_or(default);
        let path_and_query = url[Position::BeforePath..Position::AfterQuery].to_owned();
        Ok(Self {
            url,
            secure,
            host,
            host_header,
            port,
            default_port: port == default,
            path_and_query,
        })
    }

    /// The address to give to `TcpStream::connect` (resolved there when it is a name).
    pub(super) fn address(&self) -> Address {
        match &self.host {
            Host::Domain(name) => Address::Name(name.clone(), self.port),
            Host::Ipv4(ip) => Address::Ip(SocketAddr::new((*ip).into(), self.port)),
            Host::Ipv6(ip) => Address::Ip(SocketAddr::new((*ip).into(), self.port)),
        }
    }
}

/// A host to resolve, or an address to use as is.
#[derive(Clone, Debug)]
pub(super) enum Address {
    Name(String, u16),
    Ip(SocketAddr),
}

/// The request's headers, then those of `options`: a name present in `options` replaces
/// the request's values of that name.
pub(super) fn merge_headers(request: &HeaderMap, options: &HeaderMap) -> HeaderMap {
    let mut merged = request.clone();
    for name in options.keys() {
        merged.remove(name);
    }
    for (name, value) in options {
        merged.append(name, value.clone());
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IntoClientRequest;
    use http::Request;

    fn target(url: &str) -> Result<Target, Error> {
        Target::parse(url.into_client_request()?.uri())
    }

    #[test]
    fn parses_scheme_host_port_and_path() {
        let t = target("ws://example.com/chat?room=1#frag").unwrap();
        assert!(!t.secure);
        assert_eq!(t.host_header, "example.com");
        assert_eq!((t.port, t.default_port), (80, true));
        assert_eq!(t.path_and_query, "/chat?room=1");

        let t = target("wss://Example.COM:8443").unwrap();
        assert!(t.secure);
        assert_eq!(t.host_header, "example.com");
        assert_eq!((t.port, t.default_port), (8443, false));
        assert_eq!(t.path_and_query, "/");

        let t = target("ws://[::1]:9001/x").unwrap();
        assert_eq!(t.host_header, "[::1]");
        assert!(matches!(t.address(), Address::Ip(addr) if addr.to_string() == "[::1]:9001"));

        let t = target("wss://127.0.0.1:443/").unwrap();
        assert!(t.default_port);
        assert!(matches!(t.address(), Address::Ip(addr) if addr.port() == 443));
    }

    #[test]
    fn rejects_bad_urls() {
        for url in [
            "http://example.com/",
            "example.com",
            "ws://user:pass@example.com/",
            "ws://",
            "not a url",
        ] {
            assert!(
                matches!(target(url), Err(Error::InvalidUrl(_))),
                "{url} should be rejected"
            );
        }
        let relative = Request::builder().uri("/chat").body(()).unwrap();
        assert!(matches!(
            Target::parse(relative.uri()),
            Err(Error::InvalidUrl(_))
        ));
    }

    #[test]
    fn every_input_form_converts() {
        let url = Url::parse("ws://h/p").unwrap();
        let forms = [
            "ws://h/p".into_client_request().unwrap(),
            String::from("ws://h/p").into_client_request().unwrap(),
            (&String::from("ws://h/p")).into_client_request().unwrap(),
            (&url).into_client_request().unwrap(),
            url.into_client_request().unwrap(),
            Uri::from_static("ws://h/p").into_client_request().unwrap(),
        ];
        for request in forms {
            assert_eq!(request.uri(), "ws://h/p");
        }
    }

    #[test]
    fn option_headers_replace_request_headers_of_the_same_name() {
        let mut request = HeaderMap::new();
        request.insert("cookie", "a=1".parse().unwrap());
        request.insert("x-keep", "yes".parse().unwrap());
        let mut options = HeaderMap::new();
        options.append("cookie", "b=2".parse().unwrap());
        options.append("cookie", "c=3".parse().unwrap());
        let merged = merge_headers(&request, &options);
        assert_eq!(merged["x-keep"], "yes");
        let cookies: Vec<_> = merged.get_all("cookie").iter().collect();
        assert_eq!(cookies, ["b=2", "c=3"]);
    }
}
