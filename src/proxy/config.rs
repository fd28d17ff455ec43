//! [`Proxy`]: the proxy servers for `ws://` and `wss://`, and the hosts that bypass them.

use std::fmt;

use base64::Engine as _;
use http::{HeaderValue, Uri};

use super::no_proxy::NoProxy;
use crate::Error;

/// An HTTP proxy server: where to connect, and the `Proxy-Authorization` to send.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ProxyServer {
    /// A host name or an IP address (IPv6 without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic …`, from the URL's user and password.
    pub(crate) authorization: Option<HeaderValue>,
}

impl fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ProxyServer {
    /// Parses `http://[user[:password]@]host[:port][/]`; the scheme may be left out, as in
    /// `http_proxy=proxy.local:3128`. The port defaults to 80 (the scheme's). The user and
    /// password are percent-decoded. Returns why it failed, without repeating the input
    /// (it may hold a password).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let uri = Uri::try_from(with_scheme).map_err(|err| format!("not a URL ({err})"))?;
        match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => {}
            _ => return Err("only http:// proxies are supported".to_owned()),
        }
        let authority = uri.authority().ok_or("no host")?;
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err("no host".to_owned());
        }
        let authorization = match authority.as_str().rsplit_once('@') {
            Some((userinfo, _)) => Some(basic_authorization(userinfo)?),
            None => None,
        };
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(80),
            authorization,
        })
    }

    /// `host:port` as written in a request line (IPv6 in brackets).
    pub(crate) fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `Basic base64(user:password)` from a URL's percent-encoded userinfo (RFC 7617).
fn basic_authorization(userinfo: &str) -> Result<HeaderValue, String> {
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let credentials = [
        percent_decode(user)?,
        b":".to_vec(),
        percent_decode(password)?,
    ]
    .concat();
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut value = HeaderValue::try_from(format!("Basic {encoded}"))
        .map_err(|_| "credentials do not fit in a header".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}

/// Decodes `%XX` escapes.
fn percent_decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok())
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or("bad percent escape in the user or password")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Which HTTP proxy the native client tunnels through (`CONNECT host:port`), for
/// [`ConnectOptions::proxy`](crate::ConnectOptions::proxy).
///
/// - [`Proxy::http`]: one proxy for every `ws://` and `wss://` connection;
/// - [`Proxy::from_env`]: the proxies of `http_proxy`, `https_proxy`, `all_proxy` and
///   `no_proxy` (and their upper-case forms), read when it is called. The environment is
///   never read unless asked: `ConnectOptions::new()` connects directly.
///
/// Both kinds take [`no_proxy`](Self::no_proxy) exceptions. Only `http://` proxies are
/// supported (the tunnel itself is plain TCP; `wss://` runs TLS inside it, end to end with
/// the server). A user and password in the proxy URL are sent as
/// `Proxy-Authorization: Basic …` in the `CONNECT` request, and only there; `Debug` hides them.
///
/// ```
/// use squall::{ConnectOptions, Proxy};
///
/// let proxy = Proxy::http("http://user:secret@proxy.internal:3128")?.no_proxy("localhost, .corp");
/// assert_eq!(
///     proxy.proxy_for("wss://example.com/feed")?.as_deref(),
///     Some("proxy.internal:3128")
/// );
/// assert_eq!(proxy.proxy_for("ws://build.corp:8080/")?, None);
/// let options = ConnectOptions::new().proxy(proxy);
/// # Ok::<(), squall::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxy {
    /// For `ws://`; `None`: connect directly.
    pub(super) plain: Option<ProxyServer>,
    /// For `wss://`.
    pub(super) secure: Option<ProxyServer>,
    pub(super) no_proxy: NoProxy,
}

impl Proxy {
    /// One HTTP proxy for every connection: `http://[user[:password]@]host[:port]` (the
    /// scheme may be left out; the port defaults to 80). The user and password are
    /// percent-decoded and sent as `Proxy-Authorization: Basic …`.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for a URL that does not parse, has no host, or has a scheme
    /// other than `http` (`https://` and `socks5://` proxies are not supported). The message
    /// does not repeat the URL, which may hold a password.
    pub fn http(url: &str) -> Result<Self, Error> {
        let server = ProxyServer::parse(url)
            .map_err(|why| Error::InvalidUrl(format!("proxy URL: {why}")))?;
        Ok(Self {
            plain: Some(server.clone()),
            secure: Some(server),
            no_proxy: NoProxy::default(),
        })
    }

    /// The proxies named by the environment, read now, with curl's rules:
    ///
    /// - `ws://` uses `http_proxy`, else `HTTP_PROXY` (ignored when `REQUEST_METHOD` is set,
    ///   as in a CGI script, where a client's `Proxy:` header would set it: "httpoxy"),
    ///   else `all_proxy` / `ALL_PROXY`;
    /// - `wss://` uses `https_proxy` / `HTTPS_PROXY`, else `all_proxy` / `ALL_PROXY`;
    /// - `no_proxy` / `NO_PROXY` lists the hosts reached directly (see
    ///   [`no_proxy`](Self::no_proxy) for its syntax).
    ///
    /// Lower case wins over upper case, and empty variables count as unset. With none set,
    /// every connection is direct.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`], naming the variable, when a proxy variable does not hold an
    /// `http://` proxy URL (see [`Proxy::http`]).
    ///
    /// ```no_run
    /// use squall::{websocket_connect, ConnectOptions, Proxy};
    ///
    /// # async fn run() -> Result<(), squall::Error> {
    /// let options = ConnectOptions::new().proxy(Proxy::from_env()?);
    /// let conn = websocket_connect("wss://example.com/feed", options).await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_vars(
            super::env::VARIABLES
                .iter()
                .filter_map(|&name| std::env::var(name).ok().map(|value| (name, value))),
        )
    }

    /// As [`from_env`](Self::from_env), from the given `(name, value)` pairs instead of the
    /// process environment (for tests, or configuration read from elsewhere). Names other
    /// than the proxy variables are ignored.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    ///
    /// ```
    /// use squall::Proxy;
    ///
    /// let proxy = Proxy::from_env_vars([
    ///     ("https_proxy", "http://secure-proxy:3128"),
    ///     ("all_proxy", "other-proxy:8080"),
    ///     ("no_proxy", "localhost,127.0.0.1,.internal"),
    /// ])?;
    /// assert_eq!(proxy.proxy_for("wss://example.com/")?.as_deref(), Some("secure-proxy:3128"));
    /// assert_eq!(proxy.proxy_for("ws://example.com/")?.as_deref(), Some("other-proxy:8080"));
    /// assert_eq!(proxy.proxy_for("wss://db.internal/")?, None);
    /// assert_eq!(proxy.proxy_for("ws://127.0.0.1:9000/")?, None);
    /// # Ok::<(), squall::Error>(())
    /// ```
    pub fn from_env_vars<I, K, V>(vars: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        super::env::from_vars(vars)
    }

    /// Adds hosts to reach directly, in curl's `no_proxy` syntax: a list separated by commas
    /// (or spaces) of
    ///
    /// - `*`: every host;
    /// - a domain, `example.com` or `.example.com`: that host and every name under it
    ///   (case-insensitive; a leading `*.` or `.` and a trailing `.` are ignored);
    /// - an IP address, `10.1.2.3` or `::1` (or `[::1]`), or a CIDR range, `10.0.0.0/8`,
    ///   `fd00::/8`: hosts given as such addresses (no name is resolved to match);
    /// - any of these with `:port` (`example.com:8443`, `[::1]:9000`): only that port.
    ///
    /// Entries that cannot be read are skipped.
    pub fn no_proxy(mut self, list: &str) -> Self {
        self.no_proxy.extend(NoProxy::parse(list));
        self
    }

    /// The proxy (`host:port`) a connection to `url` would go through; `None` when it
    /// would be direct.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] when `url` is not a `ws://` or `wss://` URL with a host.
    pub fn proxy_for(&self, url: &str) -> Result<Option<String>, Error> {
        let invalid = |why: &str| Error::InvalidUrl(format!("{url}: {why}"));
        let uri = Uri::try_from(url).map_err(|err| invalid(&err.to_string()))?;
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(invalid("the scheme must be ws or wss")),
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        let port = authority
            .port_u16()
            .unwrap_or(if secure { 443 } else { 80 });
        Ok(self
            .select(secure, authority.host(), port)
            .map(ProxyServer::authority))
    }

    /// The proxy for a connection to `host` (a name, or an IP address with or without
    /// brackets) and `port`, over TLS when `secure`; `None`: connect directly.
    pub(crate) fn select(&self, secure: bool, host: &str, port: u16) -> Option<&ProxyServer> {
        let server = if secure { &self.secure } else { &self.plain };
        let server = server.as_ref()?;
        (!self.no_proxy.matches(host, port)).then_some(server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str) -> ProxyServer {
        ProxyServer::parse(url).unwrap()
    }

    #[test]
    fn parses_host_port_and_defaults() {
        let s = server("http://Proxy.Example:3128");
        assert_eq!((s.host.as_str(), s.port), ("proxy.example", 3128));
        assert_eq!(s.authorization, None);
        assert_eq!(server("proxy:8080/").authority(), "proxy:8080");
        assert_eq!(server("http://proxy").port, 80);
        assert_eq!(server("  HTTP://10.0.0.1:1/ ").authority(), "10.0.0.1:1");
        let v6 = server("http://[::1]:3128");
        assert_eq!(v6.host, "::1");
        assert_eq!(v6.authority(), "[::1]:3128");
    }

    #[test]
    fn credentials_become_basic_authorization() {
        // RFC 7617 §2's example: Aladdin / open sesame.
        let s = server("http://Aladdin:open%20sesame@proxy:1");
        assert_eq!(
            s.authorization.unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let user_only = server("http://user@proxy:1").authorization.unwrap();
        assert_eq!(user_only, "Basic dXNlcjo="); // "user:"
        assert!(user_only.is_sensitive());
        // A '@' in the password, escaped.
        let s = server("http://u:p%40ss@proxy:1");
        assert_eq!(s.authorization.unwrap(), "Basic dTpwQHNz"); // "u:p@ss"
    }

    #[test]
    fn refuses_other_schemes_and_bad_urls_without_echoing_them() {
        for url in [
            "https://proxy:443",
            "socks5://proxy:1080",
            "http://",
            "http://u:%zz@proxy",
            "not a url at all",
        ] {
            let why = ProxyServer::parse(url).unwrap_err();
            assert!(!why.contains("proxy:"), "{why}");
        }
        match Proxy::http("socks5://user:hunter2@proxy") {
            Err(Error::InvalidUrl(why)) => assert!(!why.contains("hunter2"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_hides_the_credentials() {
        let proxy = Proxy::http("http://user:hunter2@proxy:1").unwrap();
        let shown = format!("{proxy:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("Basic"),
            "{shown}"
        );
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn one_proxy_for_both_schemes_with_exceptions() {
        let proxy = Proxy::http("proxy:3128").unwrap().no_proxy("localhost");
        assert_eq!(
            proxy.proxy_for("ws://example.com/").unwrap().as_deref(),
            Some("proxy:3128")
        );
        assert_eq!(
            proxy
                .proxy_for("wss://example.com:8443/")
                .unwrap()
                .as_deref(),
            Some("proxy:3128")
        );
        assert_eq!(proxy.proxy_for("ws://localhost:9000/").unwrap(), None);
        assert!(proxy.proxy_for("http://example.com/").is_err());
        assert_eq!(
            Proxy::default().proxy_for("ws://example.com/").unwrap(),
            None
        );
    }

    #[test]
    fn select_takes_bracketed_and_bare_ipv6() {
        let proxy = Proxy::http("proxy:1").unwrap().no_proxy("::1");
        assert!(proxy.select(false, "[::1]", 80).is_none());
        assert!(proxy.select(false, "::1", 80).is_none());
        assert!(proxy.select(true, "::2", 443).is_some());
    }
}
