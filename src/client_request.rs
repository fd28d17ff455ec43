//! What `websocket_connect` accepts as its first argument, on both backends.

use http::{Request, Uri};
use url::Url;

use crate::Error;

/// Anything [`websocket_connect`](crate::websocket_connect) can connect to: a `ws://` or
/// `wss://` URL as `&str`, `String`, [`url::Url`] or [`http::Uri`], or a whole
/// [`http::Request`] carrying headers (cookies, authorization), as Tornado's `HTTPRequest`.
///
/// The request's method, version and extensions are ignored (the upgrade is always
/// `GET ... HTTP/1.1`); its URI must be absolute. Natively its headers are sent, merged with
/// [`ConnectOptions::headers`](crate::ConnectOptions::headers). A browser sends only the URL
/// (with the page's cookies and `Origin`) and the subprotocols, so there a request carrying
/// headers makes `websocket_connect` fail with [`Error::Unsupported`]`("custom headers …")`
/// rather than drop them silently.
///
/// ```
/// use squall::IntoClientRequest;
///
/// let request = "ws://example.com/chat?room=1".into_client_request()?;
/// assert_eq!(request.uri(), "ws://example.com/chat?room=1");
///
/// let mut request = http::Request::new(());
/// *request.uri_mut() = "wss://example.com/feed".parse().unwrap();
/// request.headers_mut().insert("cookie", "session=abc".parse().unwrap());
/// let request = request.into_client_request()?;
/// assert_eq!(request.headers()["cookie"], "session=abc");
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
    /// Natively the text is parsed as a [`Url`] (normalised, IDNA host names). In a browser
    /// it is parsed as an [`http::Uri`]: the browser parses the URL again, and `Url::parse`
    /// would link IDNA's Unicode tables into every page (~150 KB of wasm).
    fn into_client_request(self) -> Result<Request<()>, Error> {
        let invalid = |err: &dyn std::fmt::Display| Error::InvalidUrl(format!("{self}: {err}"));
        #[cfg(not(target_arch = "wasm32"))]
        return Url::parse(self)
            .map_err(|err| invalid(&err))?
            .into_client_request();
        #[cfg(target_arch = "wasm32")]
        {
            // A fragment is never sent (RFC 6455 §3).
            let without_fragment = self.split('#').next().unwrap_or_default();
            Uri::try_from(without_fragment)
                .map_err(|err| invalid(&err))?
                .into_client_request()
        }
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
