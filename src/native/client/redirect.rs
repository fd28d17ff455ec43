//! Following redirects: where a refused upgrade points to, and which headers may go there.

use http::header::{AUTHORIZATION, COOKIE, LOCATION, PROXY_AUTHORIZATION};
use http::HeaderMap;
use url::Url;

use crate::protocol::handshake::HandshakeError;
use crate::Error;

/// The statuses followed: moved permanently, found, see other, temporary and permanent
/// redirects.
const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];

/// The headers that never leave the first URL's origin.
const CREDENTIALS: [http::HeaderName; 3] = [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION];

/// Where `err` (the answer to an upgrade sent to `current`) redirects to: `None` unless it
/// is a redirect status with a `Location`. A relative location is resolved against
/// `current`; `http` becomes `ws` and `https` becomes `wss`; the fragment is dropped.
///
/// # Errors
/// [`Error::InvalidUrl`] for a location that does not parse or whose scheme is not one of
/// `ws`, `wss`, `http`, `https`.
pub(super) fn location(current: &Url, err: &HandshakeError) -> Result<Option<Url>, Error> {
    let HandshakeError::UnexpectedStatus {
        status, headers, ..
    } = err
    else {
        return Ok(None);
    };
    if !REDIRECTS.contains(&status.as_u16()) {
        return Ok(None);
    }
    let Some(value) = headers.get(LOCATION) else {
        return Ok(None);
    };
    let invalid = |why: String| Error::InvalidUrl(format!("redirect from {current}: {why}"));
    let text = value
        .to_str()
        .map_err(|_| invalid("the Location is not ASCII".to_owned()))?;
    let mut next = current
        .join(text.trim())
        .map_err(|err| invalid(format!("Location {text:?}: {err}")))?;
    let scheme = match next.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(invalid(format!(
                "Location {text:?}: the scheme {other} is not ws, wss, http or https"
            )))
        }
    };
    next.set_scheme(scheme)
        .map_err(|()| invalid(format!("Location {text:?}: cannot become {scheme}://")))?;
    next.set_fragment(None);
    Ok(Some(next))
}

/// Whether two URLs share scheme, host and port.
pub(super) fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// Removes `Authorization`, `Cookie` and `Proxy-Authorization`, for a request to another
/// origin.
pub(super) fn strip_credentials(headers: &mut HeaderMap) {
    for name in CREDENTIALS {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::StatusCode;

    fn answer(status: u16, location: Option<&str>) -> HandshakeError {
        let mut headers = HeaderMap::new();
        if let Some(location) = location {
            headers.insert(LOCATION, location.parse().unwrap());
        }
        HandshakeError::UnexpectedStatus {
            status: StatusCode::from_u16(status).unwrap(),
            headers: Box::new(headers),
            body: Bytes::new(),
        }
    }

    fn follow(from: &str, status: u16, location: &str) -> Result<Option<String>, Error> {
        let current = Url::parse(from).unwrap();
        location_of(&current, &answer(status, Some(location)))
    }

    fn location_of(current: &Url, err: &HandshakeError) -> Result<Option<String>, Error> {
        Ok(location(current, err)?.map(String::from))
    }

    #[test]
    fn every_redirect_status_is_followed() {
        for status in REDIRECTS {
            assert_eq!(
                follow("ws://a/x", status, "ws://b/y").unwrap().as_deref(),
                Some("ws://b/y")
            );
        }
    }

    #[test]
    fn other_answers_and_missing_locations_are_not_redirects() {
        let current = Url::parse("ws://a/").unwrap();
        for status in [200, 300, 304, 305, 403, 404] {
            assert_eq!(follow("ws://a/", status, "ws://b/").unwrap(), None);
        }
        assert_eq!(location_of(&current, &answer(302, None)).unwrap(), None);
        assert_eq!(
            location_of(&current, &HandshakeError::InvalidAccept).unwrap(),
            None
        );
    }

    #[test]
    fn relative_locations_resolve_against_the_current_url() {
        let cases = [
            ("ws://a:8080/room/1?q", "/lobby", "ws://a:8080/lobby"),
            ("ws://a/room/1", "2?x=y", "ws://a/room/2?x=y"),
            ("wss://a/room/1", "../up", "wss://a/up"),
            ("ws://a/x", "//b:9/y", "ws://b:9/y"),
            ("ws://a/x", "ws://b/y#frag", "ws://b/y"),
        ];
        for (from, location, expected) in cases {
            assert_eq!(
                follow(from, 302, location).unwrap().as_deref(),
                Some(expected),
                "{from} + {location}"
            );
        }
    }

    #[test]
    fn http_schemes_map_to_websocket_schemes() {
        assert_eq!(
            follow("ws://a/", 301, "http://b/c").unwrap().as_deref(),
            Some("ws://b/c")
        );
        assert_eq!(
            follow("ws://a/", 308, "https://b:8443/c")
                .unwrap()
                .as_deref(),
            Some("wss://b:8443/c")
        );
        assert_eq!(
            follow("ws://a/", 307, "HTTPS://b:443/c")
                .unwrap()
                .as_deref(),
            Some("wss://b/c")
        );
    }

    #[test]
    fn other_schemes_and_bad_locations_are_invalid_urls() {
        for location in ["ftp://b/", "mailto:x@y", "http://[bad/"] {
            assert!(
                matches!(follow("ws://a/", 302, location), Err(Error::InvalidUrl(_))),
                "{location}"
            );
        }
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(&url("ws://a/x"), &url("ws://a:80/y?z")));
        assert!(!same_origin(&url("ws://a/"), &url("wss://a/")));
        assert!(!same_origin(&url("ws://a/"), &url("ws://a:81/")));
        assert!(!same_origin(&url("ws://a/"), &url("ws://b.a/")));
    }

    #[test]
    fn credentials_are_stripped_and_the_rest_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Bearer x".parse().unwrap());
        headers.append(COOKIE, "a=1".parse().unwrap());
        headers.append(COOKIE, "b=2".parse().unwrap());
        headers.insert(PROXY_AUTHORIZATION, "Basic y".parse().unwrap());
        headers.insert("x-trace", "1".parse().unwrap());
        strip_credentials(&mut headers);
        assert_eq!(headers.len(), 1);
        assert_eq!(headers["x-trace"], "1");
    }
}
