//! Reading the start of the body of a response that refused the upgrade: the I/O around
//! the sans-I/O [`BodyDecoder`].

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::protocol::handshake::BodyDecoder;

/// How long to wait for the rest of the body once the head arrived.
pub(super) const BODY_TIMEOUT: Duration = Duration::from_secs(2);

/// Reads the body `decoder` decodes; `raw` holds the bytes that followed the head. Stops
/// when the decoder has had enough, at EOF, on a read error or after `timeout` (normally
/// [`BODY_TIMEOUT`]), and returns what arrived by then.
pub(super) async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    mut decoder: BodyDecoder,
    mut raw: Vec<u8>,
    timeout: Duration,
) -> Bytes {
    decoder.receive(&raw);
    // The buffer that held those bytes takes the next ones.
    raw.clear();
    raw.resize(4096, 0);
    let _ = tokio::time::timeout(timeout, async {
        while decoder.wants_read() {
            match stream.read(&mut raw).await {
                Ok(0) | Err(_) => break,
                Ok(n) => decoder.receive(&raw[..n]),
            }
        }
    })
    .await;
    decoder.finish()
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, StatusCode};
    use tokio::io::AsyncWriteExt;

    use super::*;
    use crate::protocol::handshake::MAX_BODY;

    fn length(length: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-length", length.parse().unwrap());
        headers
    }

    #[tokio::test]
    async fn reads_by_length_and_keeps_the_connection_bytes_apart() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"lo world and more").await.unwrap();
        let decoder = BodyDecoder::new(StatusCode::FORBIDDEN, &length("11"));
        let body = read_body(&mut client, decoder, b"hel".to_vec(), BODY_TIMEOUT).await;
        assert_eq!(body, "hello world");
    }

    #[tokio::test]
    async fn reads_until_eof_within_the_cap() {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        server.write_all(&vec![b'x'; MAX_BODY * 2]).await.unwrap();
        drop(server);
        let decoder = BodyDecoder::new(StatusCode::OK, &HeaderMap::new());
        let body = read_body(&mut client, decoder, Vec::new(), BODY_TIMEOUT).await;
        assert_eq!(body.len(), MAX_BODY);
    }

    #[tokio::test]
    async fn a_server_that_stops_sending_does_not_hang_the_read() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"partial").await.unwrap();
        let decoder = BodyDecoder::new(StatusCode::FORBIDDEN, &length("100"));
        let short = Duration::from_millis(50);
        let body = read_body(&mut client, decoder, Vec::new(), short).await;
        assert_eq!(body, "partial");
        drop(server);
    }
}
