//! Connects to a URL, prints every message and every change of state, and reconnects with
//! exponential backoff when the connection ends; lines of stdin are sent while connected
//! (and wait while it is not).
//!
//! ```text
//! cargo run --example reconnecting_client -- URL [--max-attempts N] [--max-delay SECONDS]
//!     [--ca ROOT.pem] [--proxy-from-env]
//! ```
//!
//! Stop the server it talks to and start it again: the client reports the close, waits
//! (0.5 s, 1 s, 2 s, ... up to `--max-delay`, with jitter) and comes back. At the end of
//! stdin it closes with 1000 and exits 0; it exits 1 when it gives up.

use std::process::ExitCode;
use std::time::Duration;

use squall::reconnect::{Backoff, Event, ReconnectingClient};
use squall::{CloseCode, ConnectOptions, Proxy};
use tokio::io::{AsyncBufReadExt, BufReader};

const USAGE: &str = "usage: reconnecting_client URL [--max-attempts N] [--max-delay SECONDS] \
[--ca ROOT.pem] [--proxy-from-env]";

struct Args {
    url: String,
    backoff: Backoff,
    /// PEM roots to trust for wss:// (for example tls_echo_server's certificate).
    ca: Option<Vec<u8>>,
    proxy_from_env: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut backoff = Backoff::new();
    let mut ca = None;
    let mut proxy_from_env = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--max-attempts" => {
                let n = value("--max-attempts")?;
                let n = n.parse().map_err(|e| format!("--max-attempts: {e}"))?;
                backoff = backoff.max_attempts(Some(n));
            }
            "--max-delay" => {
                let secs = value("--max-delay")?;
                let secs: f64 = secs.parse().map_err(|e| format!("--max-delay: {e}"))?;
                let delay =
                    Duration::try_from_secs_f64(secs).map_err(|e| format!("--max-delay: {e}"))?;
                backoff = backoff.max_delay(delay);
            }
            "--ca" => {
                let path = value("--ca")?;
                ca = Some(std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?);
            }
            "--proxy-from-env" => proxy_from_env = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with("--") => {
                return Err(format!("unknown option {other}\n{USAGE}"))
            }
            other if url.is_none() => url = Some(other.to_owned()),
            other => return Err(format!("unexpected argument {other}\n{USAGE}")),
        }
    }
    Ok(Args {
        url: url.ok_or_else(|| USAGE.to_owned())?,
        backoff,
        ca,
        proxy_from_env,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("reconnecting_client: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let tls = match &args.ca {
        Some(pem) => Some(squall::tls::client_config_with_roots(pem).map_err(|e| e.to_string())?),
        None => None,
    };
    let proxy = if args.proxy_from_env {
        Some(Proxy::from_env().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let mut client = ReconnectingClient::new(args.url.as_str(), args.backoff)
        .map_err(|e| e.to_string())?
        .options(move || {
            let mut options = ConnectOptions::new().connect_timeout(Duration::from_secs(10));
            if let Some(tls) = &tls {
                options = options.tls(std::sync::Arc::clone(tls));
            }
            if let Some(proxy) = &proxy {
                options = options.proxy(proxy.clone());
            }
            options
        });
    let handle = client.handle();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            // Cancel-safe: an event is never lost when the other branch wins.
            event = client.next_event() => match event {
                Some(Event::Connected { attempt }) => eprintln!("* connected (attempt {attempt})"),
                Some(Event::Message(message)) => match message.as_text() {
                    Some(text) => println!("{text}"),
                    None => println!("<{} bytes>", message.len()),
                },
                Some(Event::Disconnected(closed)) => {
                    eprintln!("* disconnected: {} {:?}", closed.code, closed.reason);
                }
                Some(Event::ConnectFailed { attempt, error }) => {
                    eprintln!("* attempt {attempt} failed: {error}");
                }
                Some(Event::Reconnecting { attempt, delay }) => {
                    eprintln!("* attempt {attempt} in {delay:.1?}");
                }
                Some(Event::GaveUp { attempts }) => {
                    eprintln!("* gave up after {attempts} attempts");
                    return Ok(ExitCode::FAILURE);
                }
                Some(_) => {}
                None => return Ok(ExitCode::SUCCESS),
            },
            // Lines wait while disconnected (nothing is queued for the next connection).
            line = lines.next_line(), if stdin_open && handle.is_connected() => match line {
                Ok(Some(line)) => {
                    if let Err(err) = handle.write_message(line).await {
                        eprintln!("* not sent: {err}");
                    }
                }
                Ok(None) | Err(_) => {
                    stdin_open = false;
                    // Closed on the side, so events keep being read meanwhile; the client
                    // reports the close, then ends.
                    let handle = handle.clone();
                    tokio::spawn(async move { handle.close(CloseCode::NORMAL, None).await });
                }
            },
        }
    }
}
