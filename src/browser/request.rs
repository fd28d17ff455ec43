//! The URL a browser opens for a client request.

use http::Request;

use crate::Error;

/// Checks the request for what a browser can send, and returns the URL to open: an
/// absolute `ws://` or `wss://` URL with a host, no credentials and no headers.
pub(super) fn browser_url(request: &Request<()>) -> Result<String, Error> {
    if !request.headers().is_empty() {
        return Err(Error::Unsupported(
            "custom headers: a browser sends only the URL, its cookies and the subprotocols".into(),
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
