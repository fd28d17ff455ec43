//! The client over HTTP/2 (RFC 8441): a WebSocket as an extended CONNECT on a new HTTP/2
//! connection, on a stream already connected (and secured, with ALPN `h2`).

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderName};
use http::{HeaderValue, Method, Request, Response};

use h2::client::SendRequest;

use super::body::BODY_TIMEOUT;
use super::handshake::{extension_offer, upgraded, Offer, Upgraded};
use super::pool::Origin;
use super::request::Target;
use crate::native::http2::{io_error, H2Stream};
use crate::native::transport::AnyStream;
use crate::protocol::handshake::{check_connect_response, MAX_BODY};
use crate::{Error, Http2Pool};

/// Each stream's receive window, as the server's default (`Settings::http2_stream_window`).
const STREAM_WINDOW: u32 = 1024 * 1024;
/// The connection's receive window, shared by the pooled WebSockets, as the server's.
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// How an HTTP/2 connection ended up.
#[allow(
    clippy::large_enum_variant,
    reason = "returned once per connection attempt, never stored"
)]
pub(super) enum Opened {
    /// The WebSocket is open on a stream.
    WebSocket(AnyStream, Upgraded),
    /// The server speaks HTTP/2 but does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL.
    NoExtendedConnect,
}

/// Request headers HTTP/2 forbids (RFC 9113 §8.2.2) or carries as pseudo-headers.
const NOT_IN_HTTP2: [HeaderName; 6] = [
    header::CONNECTION,
    header::UPGRADE,
    header::TRANSFER_ENCODING,
    header::TE,
    header::HOST,
    HeaderName::from_static("keep-alive"),
];

fn h2_error(error: h2::Error) -> Error {
    Error::Io(io_error(error))
}

/// Starts HTTP/2 on `io`, waits for the server's SETTINGS and, when they allow it, opens
/// the WebSocket with an extended CONNECT for `target`. With a `pool`, the connection
/// joins it, for the next clients to the same origin.
pub(super) async fn open(
    io: AnyStream,
    target: &Target,
    offer: &Offer<'_>,
    pool: Option<&Http2Pool>,
) -> Result<Opened, Error> {
    let mut builder = h2::client::Builder::new();
    builder
        .enable_push(false)
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW);
    let (send, mut connection) = builder.handshake::<_, Bytes>(io).await.map_err(h2_error)?;
    let mut ping = connection.ping_pong();
    // The connection's frames are read and written by its own task; it ends once the
    // WebSocket's stream and this side's handles are gone.
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "HTTP/2 connection ended");
        }
    });
    // The server sends its SETTINGS before it answers anything: once a PING came back,
    // they have arrived.
    if let Some(ping) = ping.as_mut() {
        ping.ping(h2::Ping::opaque()).await.map_err(|error| {
            let why = format!("the server does not answer in HTTP/2 ({error})");
            Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, why))
        })?;
    }
    let send = send.ready().await.map_err(h2_error)?;
    if !send.is_extended_connect_protocol_enabled() {
        return Ok(Opened::NoExtendedConnect);
    }
    if let Some(pool) = pool {
        pool.connections.put(Origin::of(target), send.clone());
    }
    request_websocket(send, target, offer).await
}

/// Opens the WebSocket on the pool's connection to `target`'s origin, if it has a live
/// one; `None` when it has none (a connection that ended is forgotten).
pub(super) async fn open_pooled(
    pool: &Http2Pool,
    target: &Target,
    offer: &Offer<'_>,
) -> Result<Option<Opened>, Error> {
    let origin = Origin::of(target);
    let Some(send) = pool.connections.get(&origin) else {
        return Ok(None);
    };
    match send.ready().await {
        Ok(send) => request_websocket(send, target, offer).await.map(Some),
        Err(error) => {
            tracing::debug!(%error, "the pool's HTTP/2 connection ended; opening another");
            pool.connections.forget(&origin);
            Ok(None)
        }
    }
}

/// The extended CONNECT on a connection ready for it, and the server's answer.
async fn request_websocket(
    mut send: SendRequest<Bytes>,
    target: &Target,
    offer: &Offer<'_>,
) -> Result<Opened, Error> {
    let (extensions, offered_extensions) = extension_offer(offer.compression);
    let request = connect_request(target, offer, extensions.as_deref())?;
    let (response, stream) = send.send_request(request, false).map_err(h2_error)?;
    let (parts, mut recv) = response.await.map_err(h2_error)?.into_parts();
    let head = Response::from_parts(parts, ());
    let body = if head.status().is_success() {
        Bytes::new()
    } else {
        let mut body = BytesMut::new();
        let _ = tokio::time::timeout(BODY_TIMEOUT, async {
            while let Some(Ok(data)) = recv.data().await {
                let _ = recv.flow_control().release_capacity(data.len());
                let room = MAX_BODY - body.len();
                body.extend_from_slice(&data[..data.len().min(room)]);
                if body.len() == MAX_BODY {
                    break;
                }
            }
        })
        .await;
        body.freeze()
    };
    let accepted = check_connect_response(&head, offer.subprotocols, &offered_extensions, body)?;
    let upgraded = upgraded(accepted, Vec::new(), offer)?;
    Ok(Opened::WebSocket(
        AnyStream::new(H2Stream::new(stream, recv)),
        upgraded,
    ))
}

/// The extended CONNECT: `:protocol websocket`, the target as `:scheme`, `:authority`
/// and `:path`, `sec-websocket-version: 13`, the offers and the caller's headers.
fn connect_request(
    target: &Target,
    offer: &Offer<'_>,
    extensions: Option<&str>,
) -> Result<Request<()>, Error> {
    let scheme = if target.secure { "https" } else { "http" };
    let authority = if target.default_port {
        target.host_header.clone()
    } else {
        format!("{}:{}", target.host_header, target.port)
    };
    let uri = format!("{scheme}://{authority}{}", target.path_and_query);
    let mut request = Request::builder()
        .method(Method::CONNECT)
        .uri(uri)
        .extension(h2::ext::Protocol::from("websocket"))
        .body(())
        .map_err(|error| Error::InvalidUrl(error.to_string()))?;
    let headers = request.headers_mut();
    for (name, value) in offer.headers {
        if !NOT_IN_HTTP2.contains(name) {
            headers.append(name, value.clone());
        }
    }
    headers.insert(
        header::SEC_WEBSOCKET_VERSION,
        HeaderValue::from_static("13"),
    );
    let invalid = |what: &str| Error::InvalidUrl(format!("invalid {what}"));
    if !offer.subprotocols.is_empty() {
        let value = HeaderValue::try_from(offer.subprotocols.join(", "))
            .map_err(|_| invalid("subprotocol"))?;
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value);
    }
    if let Some(extensions) = extensions {
        let value = HeaderValue::try_from(extensions).map_err(|_| invalid("extension offer"))?;
        headers.insert(header::SEC_WEBSOCKET_EXTENSIONS, value);
    }
    Ok(request)
}
