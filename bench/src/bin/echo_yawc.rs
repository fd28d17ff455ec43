//! yawc 0.5 echo server with the hyper 1 upgrade, as that crate's `echo_server` example
//! (compression off, UTF-8 validation at its default), on a current-thread runtime. With
//! `--deflate`, permessage-deflate at the crate's balanced preset
//! (`Options::with_balanced_compression`: level 6, context takeover both ways, 15-bit windows).
//!
//! `echo_yawc --port PORT [--deflate]`; prints `listening on 127.0.0.1:PORT`.

use futures_util::{SinkExt, StreamExt};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use squall_bench::cli;
use tokio::net::TcpListener;
use yawc::{CompressionLevel, OpCode, Options, WebSocket};

async fn handle_client(fut: yawc::UpgradeFut) -> yawc::Result<()> {
    let mut ws = fut.await?;
    while let Some(frame) = ws.next().await {
        if matches!(frame.opcode(), OpCode::Text | OpCode::Binary) {
            ws.send(frame).await?;
        }
    }
    Ok(())
}

async fn server_upgrade(
    mut req: Request<Incoming>,
    deflate: bool,
) -> yawc::Result<Response<Empty<Bytes>>> {
    let options = Options::default()
        .with_max_payload_read(cli::MAX_MESSAGE_SIZE)
        .with_max_read_buffer(2 * cli::MAX_MESSAGE_SIZE);
    let options = if deflate {
        options.with_balanced_compression()
    } else {
        options.with_compression_level(CompressionLevel::none())
    };
    let (response, fut) = WebSocket::upgrade_with_options(&mut req, options)?;
    tokio::spawn(async move {
        let _ = tokio::task::unconstrained(handle_client(fut)).await;
    });
    Ok(response)
}

fn main() {
    let (port, deflate) = cli::server_port_and_deflate();
    cli::runtime().block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = http1::Builder::new()
                    .serve_connection(io, service_fn(|req| server_upgrade(req, deflate)))
                    .with_upgrades()
                    .await;
            });
        }
    });
}
