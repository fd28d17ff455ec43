//! The server's answer to a valid upgrade request: what it agreed to, and the 101 saying so.

use http::header::{
    CONNECTION, CONTENT_LENGTH, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS,
    SEC_WEBSOCKET_PROTOCOL, TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderMap, HeaderName, StatusCode};

use super::head::{clean_value, push_header, push_headers};
use super::key::{accept_key, ACCEPT_KEY_LEN};
use super::server::{push_status_line, UpgradeRequest};
use crate::CompressionOptions;

/// What a server agreed to for one upgrade request, from [`UpgradeRequest::accept`]: the
/// negotiated subprotocol and extensions, and the `101 Switching Protocols` answer, as
/// bytes ([`response`](Self::response)) or as headers ([`headers`](Self::headers)) for a
/// server that writes the response itself.
///
/// ```
/// use squall::protocol::handshake::{parse_request, validate_request, HeadLimits};
///
/// let request = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///     Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
/// let (request, _) = parse_request(request, &HeadLimits::default())?.expect("complete head");
/// let upgrade = validate_request(&request).expect("valid upgrade");
///
/// let agreement = upgrade.accept(Some("chat".to_owned()), None);
/// assert_eq!(agreement.subprotocol.as_deref(), Some("chat"));
/// let response = agreement.response(&http::HeaderMap::new());
/// assert_eq!(
///     response,
///     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///     Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
/// );
/// assert_eq!(agreement.headers()["sec-websocket-protocol"], "chat");
/// # Ok::<(), squall::HandshakeError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Agreement {
    /// The subprotocol selected: the application's choice when the client offered it,
    /// `None` otherwise.
    pub subprotocol: Option<String>,
    /// The `Sec-WebSocket-Extensions` response value, when an extension was agreed.
    pub extensions: Option<String>,
    /// permessage-deflate as agreed: the parameters in force and the server's options,
    /// which the connection's [`Config::deflate`](crate::protocol::Config::deflate) takes.
    #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
    pub deflate: Option<(crate::protocol::deflate::DeflateParams, CompressionOptions)>,
    /// The `Sec-WebSocket-Accept` value (base64, ASCII).
    accept_key: [u8; ACCEPT_KEY_LEN],
}

impl UpgradeRequest {
    /// Agrees to this upgrade request with the application's choices: `subprotocol`, kept
    /// only if the client offered it (as Tornado's `select_subprotocol`), and `compression`,
    /// which turns permessage-deflate on when the client offered something these options
    /// accept (the first such offer, RFC 7692 §5; see
    /// [`server_negotiate`](crate::protocol::deflate::server_negotiate)).
    ///
    /// Write [`Agreement::response`] next; bytes read after the request head belong to the
    /// WebSocket stream. Without the `deflate` feature, `compression` is ignored.
    #[must_use]
    pub fn accept(
        &self,
        subprotocol: Option<String>,
        compression: Option<CompressionOptions>,
    ) -> Agreement {
        let subprotocol = subprotocol.filter(|chosen| self.subprotocols.contains(chosen));
        #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
        let (deflate, extensions) = {
            let agreed = compression.and_then(|options| {
                let offers = self.extensions.iter().map(String::as_str);
                crate::protocol::deflate::server_negotiate(offers, &options)
                    .map(|(params, header)| ((params, options), header))
            });
            match agreed {
                Some((deflate, header)) => (Some(deflate), Some(header)),
                None => (None, None),
            }
        };
        #[cfg(not(all(feature = "deflate", not(target_arch = "wasm32"))))]
        let extensions = {
            let _ = compression;
            None
        };
        Agreement {
            subprotocol,
            extensions,
            #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
            deflate,
            accept_key: accept_key(self.key.as_bytes()),
        }
    }
}

impl Agreement {
    /// The `101 Switching Protocols` response, as [`accept_response`] writes it: the
    /// handshake headers, then the `extra` headers (for example `Set-Cookie`).
    #[must_use]
    pub fn response(&self, extra: &HeaderMap) -> Vec<u8> {
        write_101(
            &self.accept_key,
            self.subprotocol.as_deref(),
            self.extensions.as_deref(),
            extra,
        )
    }

    /// The headers of [`response`](Self::response) without extras, for HTTP servers that
    /// write the response themselves (hyper, axum): `Upgrade`, `Connection`,
    /// `Sec-WebSocket-Accept`, and `Sec-WebSocket-Protocol`/`Sec-WebSocket-Extensions` when
    /// agreed, with the same control characters dropped.
    #[must_use]
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(5);
        for_each_field(
            &self.accept_key,
            self.subprotocol.as_deref(),
            self.extensions.as_deref(),
            |name, _, value| {
                headers.insert(name, clean_value(value));
            },
        );
        headers
    }
}

impl Agreement {
    /// The headers of the `200` that accepts an extended CONNECT over HTTP/2 (RFC 8441
    /// §5): `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` when agreed, with the
    /// same control characters dropped as in [`headers`](Self::headers); no `Upgrade`,
    /// `Connection` or `Sec-WebSocket-Accept`.
    ///
    /// ```
    /// use squall::protocol::handshake::validate_connect_request;
    ///
    /// let request = http::Request::connect("https://example.com/chat")
    ///     .header("sec-websocket-version", "13")
    ///     .header("sec-websocket-protocol", "chat")
    ///     .body(())
    ///     .unwrap();
    /// let offer = validate_connect_request(&request, Some("websocket")).expect("valid");
    /// let headers = offer.accept(Some("chat".to_owned()), None).connect_headers();
    /// assert_eq!(headers.len(), 1);
    /// assert_eq!(headers["sec-websocket-protocol"], "chat");
    /// ```
    #[must_use]
    pub fn connect_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(2);
        let agreed = [
            (SEC_WEBSOCKET_PROTOCOL, &self.subprotocol),
            (SEC_WEBSOCKET_EXTENSIONS, &self.extensions),
        ];
        for (name, value) in agreed {
            if let Some(value) = value {
                headers.insert(name, clean_value(value.as_bytes()));
            }
        }
        headers
    }
}

/// The header names [`accept_response`] writes itself, or that a 101 must not carry.
fn is_reserved_in_101(name: &HeaderName) -> bool {
    [
        UPGRADE,
        CONNECTION,
        SEC_WEBSOCKET_ACCEPT,
        SEC_WEBSOCKET_PROTOCOL,
        SEC_WEBSOCKET_EXTENSIONS,
        CONTENT_LENGTH,
        TRANSFER_ENCODING,
    ]
    .contains(name)
}

/// The `101 Switching Protocols` response that accepts an upgrade request.
///
/// It holds `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept` (derived
/// from `key`, the request's [`UpgradeRequest::key`]), `Sec-WebSocket-Protocol` when
/// `subprotocol` is `Some` (it must be one the client offered), `Sec-WebSocket-Extensions`
/// when `extensions` is `Some` (the negotiated response value), and then the `extra`
/// headers (for example `Set-Cookie`), with names in Title-Case.
///
/// `extra` cannot override the handshake: its `Upgrade`, `Connection`,
/// `Sec-WebSocket-Accept`, `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` headers
/// are skipped, and so are `Content-Length` and `Transfer-Encoding`, which a 101 may not
/// carry. Control characters in `subprotocol` and `extensions` are dropped, so they cannot
/// inject header lines.
///
/// [`UpgradeRequest::accept`] does the negotiation as well and gives the same bytes from
/// [`Agreement::response`].
#[must_use]
pub fn accept_response(
    key: &str,
    subprotocol: Option<&str>,
    extensions: Option<&str>,
    extra: &HeaderMap,
) -> Vec<u8> {
    write_101(&accept_key(key.as_bytes()), subprotocol, extensions, extra)
}

fn write_101(
    accept_key: &[u8],
    subprotocol: Option<&str>,
    extensions: Option<&str>,
    extra: &HeaderMap,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    push_status_line(&mut out, StatusCode::SWITCHING_PROTOCOLS);
    for_each_field(accept_key, subprotocol, extensions, |_, spelled, value| {
        push_header(&mut out, spelled, value);
    });
    push_headers(&mut out, extra, is_reserved_in_101);
    out.extend_from_slice(b"\r\n");
    out
}

/// Calls `field` with each handshake header of a 101 (name, its spelling on the wire as RFC
/// 6455 writes it, value), in order: the one list both
/// [`Agreement::response`] and [`Agreement::headers`] write.
fn for_each_field(
    accept_key: &[u8],
    subprotocol: Option<&str>,
    extensions: Option<&str>,
    mut field: impl FnMut(HeaderName, &'static str, &[u8]),
) {
    field(UPGRADE, "Upgrade", b"websocket");
    field(CONNECTION, "Connection", b"Upgrade");
    field(SEC_WEBSOCKET_ACCEPT, "Sec-WebSocket-Accept", accept_key);
    if let Some(subprotocol) = subprotocol {
        field(
            SEC_WEBSOCKET_PROTOCOL,
            "Sec-WebSocket-Protocol",
            subprotocol.as_bytes(),
        );
    }
    if let Some(extensions) = extensions {
        field(
            SEC_WEBSOCKET_EXTENSIONS,
            "Sec-WebSocket-Extensions",
            extensions.as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::super::head::{parse_response, HeadLimits};
    use super::*;

    fn upgrade(subprotocols: &[&str], extensions: &[&str]) -> UpgradeRequest {
        UpgradeRequest {
            key: "dGhlIHNhbXBsZSBub25jZQ==".to_owned(),
            subprotocols: subprotocols.iter().map(|&s| s.to_owned()).collect(),
            extensions: extensions.iter().map(|&s| s.to_owned()).collect(),
            origin: None,
        }
    }

    #[test]
    fn headers_are_those_of_the_response() {
        let offer = upgrade(&["chat"], &["permessage-deflate"]);
        for (subprotocol, compression) in [
            (None, None),
            (Some("chat"), Some(CompressionOptions::default())),
            (Some("other"), None),
        ] {
            let agreement = offer.accept(subprotocol.map(str::to_owned), compression);
            let raw = agreement.response(&HeaderMap::new());
            let (response, n) = parse_response(&raw, &HeadLimits::default())
                .unwrap()
                .unwrap();
            assert_eq!(n, raw.len());
            assert_eq!(response.headers(), &agreement.headers());
        }
    }

    #[test]
    fn the_subprotocol_must_have_been_offered() {
        let offer = upgrade(&["chat"], &[]);
        assert_eq!(
            offer
                .accept(Some("chat".into()), None)
                .subprotocol
                .as_deref(),
            Some("chat")
        );
        assert_eq!(offer.accept(Some("other".into()), None).subprotocol, None);
        assert_eq!(
            upgrade(&[], &[])
                .accept(Some("chat".into()), None)
                .subprotocol,
            None
        );
    }

    #[test]
    fn control_characters_are_dropped_in_both_forms() {
        let offer = upgrade(&["a\r\nX-Injected: 1"], &[]);
        let agreement = offer.accept(Some("a\r\nX-Injected: 1".into()), None);
        let raw = String::from_utf8(agreement.response(&HeaderMap::new())).unwrap();
        assert!(raw.contains("Sec-WebSocket-Protocol: aX-Injected: 1\r\n"));
        assert_eq!(
            agreement.headers()[SEC_WEBSOCKET_PROTOCOL],
            "aX-Injected: 1"
        );
    }

    #[test]
    fn accept_response_is_the_agreement_s_response() {
        let offer = upgrade(&["chat"], &[]);
        let mut extra = HeaderMap::new();
        extra.insert("set-cookie", HeaderValue::from_static("a=b"));
        assert_eq!(
            offer.accept(Some("chat".into()), None).response(&extra),
            accept_response(&offer.key, Some("chat"), None, &extra)
        );
    }

    #[cfg(all(feature = "deflate", not(target_arch = "wasm32")))]
    #[test]
    fn compression_is_negotiated_from_the_offers() {
        let options = CompressionOptions::default();
        let offer = upgrade(&[], &["x-foo, permessage-deflate; client_max_window_bits"]);
        let agreement = offer.accept(None, Some(options.clone()));
        let (params, agreed) = agreement.deflate.clone().unwrap();
        assert_eq!(agreed, options);
        assert_eq!(params.client_max_window_bits, 12);
        assert_eq!(
            agreement.extensions.as_deref(),
            Some("permessage-deflate; client_max_window_bits=12")
        );

        // Declined: no options, no offer, or an offer that does not parse.
        for (extensions, options) in [
            (&["permessage-deflate"][..], None),
            (&[][..], Some(options.clone())),
            (&["permessage-deflate;"][..], Some(options)),
        ] {
            let agreement = upgrade(&[], extensions).accept(None, options);
            assert!(agreement.deflate.is_none());
            assert!(agreement.extensions.is_none());
        }
    }
}
