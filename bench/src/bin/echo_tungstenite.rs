//! tokio-tungstenite 0.30 echo server, as that crate's `echo-server` example (split + forward,
//! which batches writes while more messages are ready), on a current-thread runtime.
//!
//! `echo_tungstenite --port PORT`; prints `listening on 127.0.0.1:PORT`.

use futures_util::{future, StreamExt, TryStreamExt};
use squall_bench::cli;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

async fn serve(stream: TcpStream) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(cli::MAX_MESSAGE_SIZE))
        .max_frame_size(Some(cli::MAX_MESSAGE_SIZE));
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (write, read) = ws.split();
    let _ = read
        .try_filter(|msg| future::ready(msg.is_text() || msg.is_binary()))
        .forward(write)
        .await;
}

fn main() {
    let port = cli::server_port();
    cli::runtime().block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream));
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    });
}
