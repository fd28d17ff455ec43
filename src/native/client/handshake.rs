//! The client's opening handshake on a stream: write the request, read and check the answer.

use http::StatusCode;
use rand_core::{OsRng, RngCore};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::body::{read_body, BODY_TIMEOUT};
use super::request::Target;
use crate::protocol::handshake::{
    check_response, generate_key, parse_response, AcceptedResponse, BodyDecoder, ClientRequest,
    HandshakeError, HeadLimits,
};
use crate::{CompressionOptions, Error};

/// What the upgrade request offers beyond the URL.
#[derive(Debug)]
pub(super) struct Offer<'a> {
    pub(super) subprotocols: &'a [String],
    pub(super) headers: &'a http::HeaderMap,
    pub(super) compression: Option<&'a CompressionOptions>,
}

/// permessage-deflate as agreed: the parameters in force and this side's options.
#[cfg(feature = "deflate")]
pub(super) type Deflate = (crate::protocol::deflate::DeflateParams, CompressionOptions);

/// A completed handshake: what the server agreed to, and the bytes that followed its head.
#[derive(Debug)]
pub(super) struct Upgraded {
    pub(super) accepted: AcceptedResponse,
    pub(super) leftover: Vec<u8>,
    /// permessage-deflate, when offered and accepted.
    #[cfg(feature = "deflate")]
    pub(super) deflate: Option<Deflate>,
}

/// The `Sec-WebSocket-Extensions` offer for `compression`, and the extension names it
/// offers (for [`check_response`]).
pub(super) fn extension_offer(
    compression: Option<&CompressionOptions>,
) -> (Option<String>, Vec<&'static str>) {
    #[cfg(feature = "deflate")]
    if let Some(options) = compression {
        use crate::protocol::deflate::{client_offer, EXTENSION_NAME};
        return (Some(client_offer(options)), vec![EXTENSION_NAME]);
    }
    #[cfg(not(feature = "deflate"))]
    if compression.is_some() {
        tracing::debug!("compression_options ignored: built without the `deflate` feature");
    }
    (None, Vec::new())
}

/// Sends the upgrade request for `target` and waits for a 101 answer that passes the
/// checks of RFC 6455 §4.1.
///
/// # Errors
/// [`Error::Io`] when the stream fails; [`Error::Handshake`] with
/// [`HandshakeError::UnexpectedEof`] when the server closes before a complete head, the
/// parse errors of [`parse_response`], the errors of [`check_response`] (a non-101
/// answer comes with up to 64 KiB of its body), or [`HandshakeError::Malformed`] for a
/// permessage-deflate answer RFC 7692 does not allow.
pub(super) async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    target: &Target,
    offer: &Offer<'_>,
) -> Result<Upgraded, Error> {
    let mut nonce = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|err| std::io::Error::other(err.to_string()))?;
    let key = generate_key(nonce);
    let (extensions, offered_extensions) = extension_offer(offer.compression);
    let request = ClientRequest {
        host: &target.host_header,
        port: target.port,
        default_port: target.default_port,
        path_and_query: &target.path_and_query,
        key: &key,
        subprotocols: offer.subprotocols,
        extensions: extensions.as_deref(),
        headers: offer.headers,
    };
    stream.write_all(&request.to_bytes()).await?;
    stream.flush().await?;

    let mut buf = Vec::with_capacity(1024);
    let (response, head_len) = loop {
        if let Some(parsed) = parse_response(&buf, &HeadLimits::DEFAULT)? {
            break parsed;
        }
        buf.reserve(4096);
        if stream.read_buf(&mut buf).await? == 0 {
            return Err(HandshakeError::UnexpectedEof.into());
        }
    };
    let rest = buf.split_off(head_len);
    let (body, leftover) = if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        (bytes::Bytes::new(), rest)
    } else {
        let decoder = BodyDecoder::new(response.status(), response.headers());
        let body = read_body(stream, decoder, rest, BODY_TIMEOUT);
        (body.await, Vec::new())
    };
    let accepted = check_response(
        &response,
        &key,
        &request.offered_subprotocols(),
        &offered_extensions,
        body,
    )?;
    upgraded(accepted, leftover, offer)
}

/// The completed handshake, with permessage-deflate as the server agreed to it.
pub(super) fn upgraded(
    accepted: AcceptedResponse,
    leftover: Vec<u8>,
    offer: &Offer<'_>,
) -> Result<Upgraded, Error> {
    #[cfg(feature = "deflate")]
    let deflate = match offer.compression {
        Some(options) => {
            let values = accepted.extensions.iter().map(String::as_str);
            crate::protocol::deflate::client_negotiate(values, options)?
                .map(|params| (params, options.clone()))
        }
        None => None,
    };
    #[cfg(not(feature = "deflate"))]
    let _ = offer;
    Ok(Upgraded {
        #[cfg(feature = "deflate")]
        deflate,
        accepted,
        leftover,
    })
}
