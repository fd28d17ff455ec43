//! Echoes every text and binary message, on any path.
//!
//! ```text
//! cargo run --release --example echo_server -- --port PORT [--deflate] [--max-message-size BYTES]
//!     [--allow-origin ORIGIN]... [--threads N] [--cert CERT.pem --key KEY.pem] [--h2c]
//! ```
//!
//! With `--cert` and `--key` it serves TLS on its port, HTTP/2 (RFC 8441 WebSockets) or
//! HTTP/1.1 as the client's ALPN chooses; with `--h2c`, cleartext HTTP/2 with prior
//! knowledge beside HTTP/1.1.

use std::sync::Arc;

use squall::{
    Application, CompressionOptions, Message, Request, Settings, WebSocket, WebSocketHandler,
};

const USAGE: &str = "usage: echo_server --port PORT [--deflate] [--max-message-size BYTES] \
[--allow-origin ORIGIN]... [--threads N] [--cert CERT.pem --key KEY.pem] [--h2c]

Listens on 127.0.0.1:PORT and echoes every message on any path. Selects the first
subprotocol the client offers. Without --allow-origin, only same-host origins are accepted
(requests without an Origin header always are). --deflate enables permessage-deflate.
--threads 1 runs a current-thread runtime (default: one worker per core).
--cert/--key serve TLS with that certificate chain and key, offering HTTP/2 and HTTP/1.1
(ALPN h2, http/1.1); --h2c also serves cleartext HTTP/2 with prior knowledge.";

struct Options {
    port: u16,
    deflate: bool,
    max_message_size: Option<usize>,
    allowed_origins: Vec<String>,
    threads: Option<usize>,
    cert: Option<String>,
    key: Option<String>,
    h2c: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        port: 0,
        deflate: false,
        max_message_size: None,
        allowed_origins: Vec::new(),
        threads: None,
        cert: None,
        key: None,
        h2c: false,
    };
    let mut port = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                port = Some(
                    value("--port")?
                        .parse()
                        .map_err(|e| format!("--port: {e}"))?,
                )
            }
            "--deflate" => options.deflate = true,
            "--max-message-size" => {
                let size = value("--max-message-size")?;
                options.max_message_size = Some(
                    size.parse()
                        .map_err(|e| format!("--max-message-size: {e}"))?,
                );
            }
            "--allow-origin" => options.allowed_origins.push(value("--allow-origin")?),
            "--threads" => {
                options.threads = Some(
                    value("--threads")?
                        .parse()
                        .map_err(|e| format!("--threads: {e}"))?,
                )
            }
            "--cert" => options.cert = Some(value("--cert")?),
            "--key" => options.key = Some(value("--key")?),
            "--h2c" => options.h2c = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    options.port = port.ok_or("--port is required")?;
    if options.cert.is_some() != options.key.is_some() {
        return Err("--cert and --key go together".to_owned());
    }
    Ok(options)
}

struct Echo {
    allowed_origins: Arc<Vec<String>>,
    deflate: bool,
}

impl WebSocketHandler for Echo {
    fn check_origin(&self, origin: &str, request: &Request) -> bool {
        if self.allowed_origins.is_empty() {
            // `header`, not `headers()`: one header without parsing them all.
            let host = request.header("host");
            return host.is_some_and(|host| {
                squall::protocol::handshake::origin_matches_host(origin, &host)
            });
        }
        self.allowed_origins.iter().any(|allowed| allowed == origin)
    }

    fn select_subprotocol(&mut self, offered: &[String]) -> Option<String> {
        offered.first().cloned()
    }

    fn get_compression_options(&self) -> Option<CompressionOptions> {
        self.deflate.then(CompressionOptions::default)
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

/// TLS (`--cert`/`--key`) and h2c (`--h2c`), when asked for and built in.
fn with_transport(app: Application, options: &Options) -> Result<Application, String> {
    let mut app = app;
    if let (Some(cert), Some(key)) = (&options.cert, &options.key) {
        #[cfg(feature = "tls")]
        {
            let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
            // Offers ALPN h2 (with the http2 feature) and http/1.1.
            let config = squall::tls::server_config_from_pem(&read(cert)?, &read(key)?)
                .map_err(|e| e.to_string())?;
            app = app.tls(config);
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = (cert, key);
            return Err("--cert needs the tls feature".to_owned());
        }
    }
    if options.h2c {
        #[cfg(feature = "http2")]
        {
            app = app.h2c(true);
        }
        #[cfg(not(feature = "http2"))]
        return Err("--h2c needs the http2 feature".to_owned());
    }
    Ok(app)
}

fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(error) => {
            if !error.is_empty() {
                eprintln!("echo_server: {error}");
            }
            eprintln!("{USAGE}");
            std::process::exit(if error.is_empty() { 0 } else { 2 });
        }
    };
    let runtime = match options.threads {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_io()
            .enable_time()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_io()
            .enable_time()
            .build(),
    };
    let runtime = runtime.unwrap_or_else(|e| {
        eprintln!("echo_server: cannot start the runtime: {e}");
        std::process::exit(1);
    });
    runtime.block_on(async {
        let mut settings = Settings::new();
        if let Some(size) = options.max_message_size {
            settings = settings.max_message_size(Some(size));
        }
        let allowed_origins = Arc::new(options.allowed_origins.clone());
        let deflate = options.deflate;
        let app = Application::new()
            .route(".*", move || Echo {
                allowed_origins: Arc::clone(&allowed_origins),
                deflate,
            })
            .settings(settings);
        let app = match with_transport(app, &options) {
            Ok(app) => app,
            Err(e) => {
                eprintln!("echo_server: {e}");
                std::process::exit(1);
            }
        };
        let server = match app.listen(("127.0.0.1", options.port)).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!(
                    "echo_server: cannot listen on 127.0.0.1:{}: {e}",
                    options.port
                );
                std::process::exit(1);
            }
        };
        println!("listening on {}", server.local_addr());
        server.wait().await;
    });
}
