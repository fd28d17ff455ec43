//! sockudo-ws 3.1 echo server on a current-thread runtime.
//!
//! Without `--deflate`, as that crate's README and `simple_echo` example: the crate's
//! HTTP/1.1 handshake (`handshake::server_handshake`, what its `WebSocketServer::<Http1>`
//! runs, with `TCP_NODELAY` on as that server sets it), then `WebSocketStream`'s `next` /
//! `send`. With `--deflate`, as its Axum integration does for
//! `Compression::Dedicated` (its `axum_deflate` example; a per-connection compressor, 15-bit
//! windows, context takeover, level 6): the offer is negotiated with
//! `negotiate_server_deflate`, the response built with `build_response`, and messages echoed
//! through a `CompressedWebSocketStream`. Both accept 64 MiB messages and frames.
//!
//! `echo_sockudo --port PORT [--deflate]`; prints `listening on 127.0.0.1:PORT`.

use bytes::BytesMut;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use sockudo_ws::deflate::negotiate_server_deflate;
use sockudo_ws::handshake::{build_response, generate_accept_key, parse_request, server_handshake};
use sockudo_ws::{CompressedWebSocketStream, Compression, Config, Message, Role, WebSocketStream};
use squall_bench::cli;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest upgrade request read before giving up on a connection.
const MAX_REQUEST: usize = 16 * 1024;

fn config(deflate: bool) -> Config {
    let compression = if deflate {
        Compression::Dedicated
    } else {
        Compression::Disabled
    };
    Config::builder()
        .max_message_size(cli::MAX_MESSAGE_SIZE)
        .max_frame_size(cli::MAX_MESSAGE_SIZE)
        .compression(compression)
        .build()
}

/// Echoes text and binary messages until the peer closes or fails.
async fn echo<W>(mut ws: W)
where
    W: Stream<Item = sockudo_ws::Result<Message>> + Sink<Message> + Unpin,
{
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(_) | Message::Binary(_) => {
                if ws.send(message).await.is_err() {
                    return;
                }
            }
            Message::Close(_) => return,
            // Pongs are answered by the stream.
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

/// The crate's own upgrade, without extensions.
async fn serve(mut stream: TcpStream, config: Config) -> sockudo_ws::Result<()> {
    let handshake = server_handshake(&mut stream).await?;
    echo(WebSocketStream::from_raw_with_leftover(
        stream,
        Role::Server,
        config,
        handshake.leftover,
    ))
    .await;
    Ok(())
}

/// The upgrade with permessage-deflate negotiated against `Compression::Dedicated`.
async fn serve_deflate(mut stream: TcpStream, config: Config) -> sockudo_ws::Result<()> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if stream.read_buf(&mut buf).await? == 0 || buf.len() > MAX_REQUEST {
            return Ok(());
        }
        let Some((request, consumed)) = parse_request(&buf)? else {
            continue;
        };
        let accept_key = generate_accept_key(request.key);
        let policy = config.compression.to_deflate_config();
        let negotiated = request
            .extensions
            .zip(policy)
            .and_then(|(offers, policy)| negotiate_server_deflate(offers, &policy));
        let extensions = negotiated.as_ref().map(|n| n.to_response_header());
        stream
            .write_all(&build_response(&accept_key, None, extensions.as_deref()))
            .await?;
        let leftover = buf.split_off(consumed).freeze();
        let leftover = (!leftover.is_empty()).then_some(leftover);
        match negotiated {
            Some(negotiated) => {
                echo(CompressedWebSocketStream::server_with_leftover(
                    stream,
                    config,
                    negotiated.config,
                    leftover,
                ))
                .await
            }
            None => {
                echo(WebSocketStream::from_raw_with_leftover(
                    stream,
                    Role::Server,
                    config,
                    leftover,
                ))
                .await
            }
        }
        return Ok(());
    }
}

fn main() {
    let (port, deflate) = cli::server_port_and_deflate();
    cli::runtime().block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        let config = config(deflate);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let config = config.clone();
            tokio::spawn(async move {
                if deflate {
                    let _ = serve_deflate(stream, config).await;
                } else {
                    let _ = serve(stream, config).await;
                }
            });
        }
    });
}
