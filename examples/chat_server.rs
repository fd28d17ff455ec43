//! A chat server: rooms at `/chat/ROOM`, every text message delivered to everyone in the
//! room, and the browser demo (`www/`) served at `/`, with permessage-deflate on.
//!
//! ```text
//! cargo run --release --example chat_server -- [--port PORT] [--www DIR] [--cert CERT.pem --key KEY.pem] [--verbose]
//! cargo run --release --example chat_server --features redis -- --redis redis://127.0.0.1:6379 [--node NAME]
//! ```
//!
//! With `--cert` and `--key` it serves HTTPS and `wss://` on its port, over HTTP/2 (the
//! page and its WebSockets on one connection, RFC 8441) or HTTP/1.1 as the browser's ALPN
//! chooses. The page shows which one its WebSocket used (`#http`): the server tells it, in a
//! first `* connected over HTTP/2` line. With `--verbose` it prints a line per WebSocket on
//! stderr: `chat: 127.0.0.1:50312 joined room lobby over HTTP/2`.
//!
//! With `--redis`, every chat_server on that Redis serves the same rooms (`squall::rooms`).
//! On SIGTERM or Ctrl-C it closes its clients with 1001 (going away) and exits.

use std::time::Duration;

use squall::Application;

#[path = "common/chat.rs"]
mod chat;

use chat::{Args, Chat};

/// How long clients get to answer the 1001 close when the server stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// TLS with this certificate chain and key (ALPN `h2` and `http/1.1`).
#[cfg(feature = "tls")]
fn with_tls(
    app: Application,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Application, String> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let config = squall::tls::server_config_from_pem(&read(cert)?, &read(key)?)
        .map_err(|e| e.to_string())?;
    Ok(app.tls(config))
}

#[cfg(not(feature = "tls"))]
fn with_tls(
    _: Application,
    _: &std::path::Path,
    _: &std::path::Path,
) -> Result<Application, String> {
    Err("--cert needs the tls feature".to_owned())
}

#[tokio::main]
async fn main() {
    let args = Args::parse("chat_server");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .unwrap_or_else(|error| {
            eprintln!(
                "chat_server: cannot listen on 127.0.0.1:{}: {error}",
                args.port
            );
            std::process::exit(1);
        });
    let port = listener.local_addr().map_or(args.port, |addr| addr.port());
    let hub = args.hub("chat_server", port);
    let verbose = args.verbose;
    let app = Application::new()
        .route(r"/chat/(\w+)", move || {
            Chat::new(hub.clone()).verbose(verbose)
        })
        .static_files(&args.www);
    let scheme = if args.tls.is_some() { "https" } else { "http" };
    let app = match &args.tls {
        Some((cert, key)) => with_tls(app, cert, key).unwrap_or_else(|error| {
            eprintln!("chat_server: {error}");
            std::process::exit(1);
        }),
        None => app,
    };
    let server = app.serve(listener).unwrap_or_else(|error| {
        eprintln!("chat_server: {error}");
        std::process::exit(1);
    });
    println!("listening on {}", server.local_addr());
    println!(
        "open {scheme}://{}/ in two browser tabs",
        server.local_addr()
    );
    let stop = async {
        chat::stop_signal().await;
        eprintln!("chat_server: stopping");
    };
    server.shutdown_on(stop, SHUTDOWN_GRACE).await;
}
