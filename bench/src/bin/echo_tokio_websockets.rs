//! tokio-websockets 0.13 echo server, as that crate's `echo_server` example (`ServerBuilder`
//! accept, whole messages echoed with `send`, each connection's task unconstrained, outgoing
//! messages in one frame), on a current-thread runtime. The crate has no permessage-deflate.
//!
//! `echo_tokio_websockets --port PORT`; prints `listening on 127.0.0.1:PORT`.

use futures_util::{SinkExt, StreamExt};
use squall_bench::cli;
use tokio::net::{TcpListener, TcpStream};
use tokio_websockets::{Config, Limits, ServerBuilder};

async fn serve(stream: TcpStream) {
    let Ok((_request, mut ws)) = ServerBuilder::new()
        .config(Config::default().frame_size(usize::MAX))
        .limits(Limits::default().max_payload_len(Some(cli::MAX_MESSAGE_SIZE)))
        .accept(stream)
        .await
    else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            return;
        }
    }
}

fn main() {
    let port = cli::server_port();
    cli::runtime().block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(tokio::task::unconstrained(serve(stream)));
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    });
}
