//! Helpers for the client tests: independent servers (tokio-tungstenite, raw TCP scripts),
//! certificates, and a timeout around every await.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use squall::protocol::handshake::derive_accept_key;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message as TMessage;

/// Awaits `future`, failing the test after 10 s.
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out after 10 s")
}

/// A tokio-tungstenite server that echoes text and binary messages on every connection.
pub async fn tungstenite_echo_server() -> SocketAddr {
    serve_tcp(|stream| async move {
        if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
            echo(ws).await;
        }
    })
    .await
}

/// Echoes data messages until the peer closes.
pub async fn echo<S: AsyncRead + AsyncWrite + Unpin>(
    mut ws: tokio_tungstenite::WebSocketStream<S>,
) {
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            break;
        }
    }
}

/// Accepts connections on 127.0.0.1 and runs `serve` on each, in its own task.
pub async fn serve_tcp<F, Fut>(serve: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    addr
}

/// Reads an HTTP request head (up to the empty line) from a raw stream.
pub async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The value of header `name` (case-insensitive) in a raw head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A correct 101 answer to `head`, with `extra` header lines (each ending in `\r\n`).
pub fn switching_protocols(head: &str, extra: &str) -> String {
    let key = header(head, "sec-websocket-key").expect("a Sec-WebSocket-Key");
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        derive_accept_key(key.as_bytes())
    )
}

/// A raw server that reads each request head and writes `answer(head)` verbatim (a
/// `String` or raw bytes), then keeps the connection open for `linger`.
pub async fn answering_server<F, A>(answer: F, linger: Duration) -> SocketAddr
where
    F: Fn(&str) -> A + Send + Sync + Clone + 'static,
    A: AsRef<[u8]> + Send,
{
    serve_tcp(move |mut stream| {
        let answer = answer.clone();
        async move {
            let head = read_head(&mut stream).await;
            let _ = stream.write_all(answer(&head).as_ref()).await;
            tokio::time::sleep(linger).await;
        }
    })
    .await
}

/// Certificates made for one test: a root CA, and a leaf for `localhost` and 127.0.0.1
/// signed by it.
pub struct TestCerts {
    pub root_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn test_certs() -> TestCerts {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "squall test root");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    TestCerts {
        root_pem: ca.pem(),
        cert_pem: leaf.pem(),
        key_pem: leaf_key.serialize_pem(),
    }
}

/// Text message helper for tokio-tungstenite.
pub fn ttext(text: &str) -> TMessage {
    TMessage::text(text)
}
