//! What `websocket_connect` accepts as its first argument, and the URL it names.

use http::{Request, Uri};
use url::Url;

use crate::Error;

/// Anything [`websocket_connect`](crate::websocket_connect) can connect to: a `ws://` or
/// `wss://` URL as `&str`, `String`, [`url::Url`] or [`http::Uri`], or a whole
/// [`http::Request`], as on the native backend.
///
/// A browser sends only the URL (with the page's cookies and `Origin`) and the subprotocols,
/// so a request carrying headers makes `websocket_connect` fail with
/// [`Error::Unsupported`]`("custom headers …")` rather than drop them silently.
///
/// ```
/// use squall::IntoClientRequest;
///
/// let request = "ws://example.com/chat?room=1".into_client_request()?;
/// assert_eq!(request.uri(), "ws://example.com/chat?room=1");
/// # Ok::<(), squall::Error>(())
/// ```
pub trait IntoClientRequest {
    /// The upgrade request: its URI is the absolute `ws://` or `wss://` URL.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] when the URL does not parse. The scheme, host and credentials
    /// are checked when connecting, with the same error.
    fn into_client_request(self) -> Result<Request<()>, Error>;
}

impl IntoClientRequest for &str {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        // Parsed as an `http::Uri`, not a `url::Url`: the browser parses the URL again, and
        // `Url::parse` would link IDNA's Unicode tables into every page (~150 KB of wasm).
        // A fragment is never sent (RFC 6455 §3).
        let without_fragment = self.split('#').next().unwrap_or_default();
        Uri::try_from(without_fragment)
            .map_err(|err| Error::InvalidUrl(format!("{self}: {err}")))?
            .into_client_request()
    }
}

impl IntoClientRequest for String {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for &String {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for Url {
    fn into_client_request(mut self) -> Result<Request<()>, Error> {
        // A fragment is never sent (RFC 6455 §3), and `Uri` cannot hold one.
        self.set_fragment(None);
        let uri = Uri::try_from(self.as_str())
            .map_err(|err| Error::InvalidUrl(format!("{self}: {err}")))?;
        uri.into_client_request()
    }
}

impl IntoClientRequest for &Url {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.clone().into_client_request()
    }
}

impl IntoClientRequest for Uri {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        let mut request = Request::new(());
        *request.uri_mut() = self;
        Ok(request)
    }
}

impl IntoClientRequest for Request<()> {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        Ok(self)
    }
}

/// Checks the request for what a browser can send, and returns the URL to open: an
/// absolute `ws://` or `wss://` URL with a host, no credentials and no headers.
pub(super) fn browser_url(request: &Request<()>) -> Result<String, Error> {
    if !request.headers().is_empty() {
        return Err(Error::Unsupported(
            "custom headers: a browser sends only the URL, its cookies and the subprotocols",
        ));
    }
    let uri = request.uri();
    let invalid = |why: &str| Error::InvalidUrl(format!("{uri}: {why}"));
    if !matches!(uri.scheme_str(), Some("ws" | "wss")) {
        return Err(invalid("the scheme must be ws or wss"));
    }
    let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("credentials in the URL are not sent"));
    }
    if authority.host().is_empty() {
        return Err(invalid("no host"));
    }
    Ok(uri.to_string())
}
