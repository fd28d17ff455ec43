//! Echoes every text and binary message over TLS (`wss://`), on any path.
//!
//! ```text
//! cargo run --example tls_echo_server -- [--port PORT] [--cert CERT.pem --key KEY.pem]
//! ```
//!
//! It serves HTTP/2 (RFC 8441 WebSockets) and HTTP/1.1 on its port, as the client's ALPN
//! chooses (with the default `http2` feature).
//!
//! With `--cert` and `--key` it serves that certificate chain (leaf first) and private key.
//! Without them it makes a self-signed certificate for `localhost` and `127.0.0.1` and
//! prints it (PEM) on stdout before the `listening on` line, for clients to trust:
//!
//! ```text
//! cargo run --example tls_echo_server -- --port 8443 > cert.pem &
//! cargo run --example reconnecting_client -- wss://localhost:8443/ --ca cert.pem
//! ```

use std::process::ExitCode;

use squall::{Application, Message, WebSocket, WebSocketHandler};

const USAGE: &str = "usage: tls_echo_server [--port PORT] [--cert CERT.pem --key KEY.pem]

Listens on 127.0.0.1:PORT (default 8443; 0 for any free port) and echoes every message
over TLS. Without --cert/--key, a self-signed certificate for localhost and 127.0.0.1 is
made and printed (PEM) on stdout.";

struct Options {
    port: u16,
    cert: Option<String>,
    key: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        port: 8443,
        cert: None,
        key: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                options.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?;
            }
            "--cert" => options.cert = Some(value("--cert")?),
            "--key" => options.key = Some(value("--key")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.cert.is_some() != options.key.is_some() {
        return Err("--cert and --key go together".to_owned());
    }
    Ok(options)
}

/// The certificate chain and key in PEM: read from the files, or made and printed.
fn certificate(options: &Options) -> Result<(Vec<u8>, Vec<u8>), String> {
    if let (Some(cert), Some(key)) = (&options.cert, &options.key) {
        let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
        return Ok((read(cert)?, read(key)?));
    }
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    let cert = made.cert.pem();
    print!("{cert}");
    Ok((
        cert.into_bytes(),
        made.signing_key.serialize_pem().into_bytes(),
    ))
}

struct Echo;

impl WebSocketHandler for Echo {
    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(error) => {
            if !error.is_empty() {
                eprintln!("tls_echo_server: {error}");
            }
            eprintln!("{USAGE}");
            return if error.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match run(&options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tls_echo_server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options) -> Result<(), String> {
    let (cert, key) = certificate(options)?;
    let config = squall::tls::server_config_from_pem(&cert, &key).map_err(|e| e.to_string())?;
    let server = Application::new()
        .route(".*", || Echo)
        .tls(config)
        .listen(("127.0.0.1", options.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    println!("listening on {}", server.local_addr());
    server.wait().await;
    Ok(())
}
