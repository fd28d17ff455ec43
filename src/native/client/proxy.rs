//! The tunnel through an HTTP proxy: `CONNECT host:port` (RFC 9110 §9.3.6), then the
//! plain TCP stream, on which TLS and the WebSocket handshake run as if connected directly.

use http::{Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::request::Target;
use crate::protocol::handshake::{parse_response, HandshakeError, HeadLimits};
use crate::proxy::ProxyServer;
use crate::{Error, ProxyError};

/// Connects to `proxy` and asks it for a tunnel to `target`; the stream returned reaches
/// the target.
///
/// # Errors
/// [`Error::Io`] when the proxy cannot be reached or the socket fails; [`Error::Proxy`]
/// when it refuses (any status but 2xx), answers something that is not HTTP, or closes.
pub(super) async fn tunnel(proxy: &ProxyServer, target: &Target) -> Result<TcpStream, Error> {
    let mut tcp = TcpStream::connect((proxy.host.as_str(), proxy.port)).await?;
    tcp.write_all(&connect_request(proxy, target)).await?;
    tcp.flush().await?;
    let mut buf = Vec::with_capacity(1024);
    loop {
        if let Some((response, head_len)) = parse_answer(&buf)? {
            check_answer(&response, &buf[head_len..])?;
            tracing::debug!(proxy = %proxy.authority(), "tunnel open");
            return Ok(tcp);
        }
        // One head at most: nothing may follow a 2xx before the client speaks.
        buf.reserve(1024);
        if tcp.read_buf(&mut buf).await? == 0 {
            return Err(ProxyError::UnexpectedEof.into());
        }
    }
}

/// `CONNECT host:port HTTP/1.1` with `Host` and, when the proxy URL has a user,
/// `Proxy-Authorization`.
fn connect_request(proxy: &ProxyServer, target: &Target) -> Vec<u8> {
    let authority = format!("{}:{}", target.host_header, target.port);
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n").into_bytes();
    if let Some(credentials) = &proxy.authorization {
        request.extend_from_slice(b"Proxy-Authorization: ");
        request.extend_from_slice(credentials.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    request
}

/// The proxy's answer head, once complete.
fn parse_answer(buf: &[u8]) -> Result<Option<(Response<()>, usize)>, ProxyError> {
    parse_response(buf, &HeadLimits::DEFAULT).map_err(|err| match err {
        HandshakeError::Malformed(why) => ProxyError::Malformed(why),
        other => ProxyError::Malformed(other.to_string()),
    })
}

/// Any 2xx opens the tunnel (RFC 9110 §9.3.6); bytes after it are refused, as the target
/// cannot have spoken yet.
fn check_answer(response: &Response<()>, rest: &[u8]) -> Result<(), ProxyError> {
    let status: StatusCode = response.status();
    if !status.is_success() {
        return Err(ProxyError::Refused {
            status,
            headers: Box::new(response.headers().clone()),
        });
    }
    if !rest.is_empty() {
        return Err(ProxyError::Malformed(format!(
            "{} bytes followed the {status} answer to CONNECT",
            rest.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IntoClientRequest;

    fn target(url: &str) -> Target {
        Target::parse(url.into_client_request().unwrap().uri()).unwrap()
    }

    fn answer(bytes: &[u8]) -> Result<(), ProxyError> {
        let (response, len) = parse_answer(bytes)?.expect("a complete head");
        check_answer(&response, &bytes[len..])
    }

    #[test]
    fn connect_request_names_the_target_and_sends_credentials() {
        let proxy = ProxyServer::parse("http://u:pw@proxy:3128").unwrap();
        let request = connect_request(&proxy, &target("wss://Example.com/chat?x=1"));
        assert_eq!(
            String::from_utf8(request).unwrap(),
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\
             Proxy-Authorization: Basic dTpwdw==\r\n\r\n"
        );
        let proxy = ProxyServer::parse("proxy:3128").unwrap();
        let request = connect_request(&proxy, &target("ws://[::1]:9001/"));
        assert_eq!(
            String::from_utf8(request).unwrap(),
            "CONNECT [::1]:9001 HTTP/1.1\r\nHost: [::1]:9001\r\n\r\n"
        );
    }

    #[test]
    fn any_2xx_opens_the_tunnel() {
        answer(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
        answer(b"HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\n").unwrap();
        answer(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
    }

    #[test]
    fn other_statuses_are_refusals_with_their_headers() {
        let err = answer(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: Basic realm=\"p\"\r\n\r\n",
        )
        .unwrap_err();
        let ProxyError::Refused { status, headers } = err else {
            panic!("{err:?}")
        };
        assert_eq!(status, 407);
        assert_eq!(headers["proxy-authenticate"], "Basic realm=\"p\"");
        for refused in [
            &b"HTTP/1.1 403 Forbidden\r\n\r\n"[..],
            b"HTTP/1.1 101 x\r\n\r\n",
        ] {
            assert!(matches!(answer(refused), Err(ProxyError::Refused { .. })));
        }
    }

    #[test]
    fn garbage_or_extra_bytes_are_malformed() {
        assert!(matches!(
            parse_answer(b"SSH-2.0-OpenSSH\r\n\r\n"),
            Err(ProxyError::Malformed(_))
        ));
        assert!(matches!(
            answer(b"HTTP/1.1 200 OK\r\n\r\nsurprise"),
            Err(ProxyError::Malformed(_))
        ));
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\n").unwrap().is_none());
    }
}
