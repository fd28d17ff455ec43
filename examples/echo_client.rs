//! Sends each line of stdin as a text message and prints every message received.
//!
//! ```text
//! cargo run --release --example echo_client -- URL [--subprotocol NAME]... [--header 'Name: value']...
//! ```
//!
//! At the end of stdin it waits for the echoes still in flight (at most 5 s), closes with
//! 1000 and exits 0 after a clean close; on failure it prints the reason on stderr and
//! exits 1.

use std::process::ExitCode;
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use squall::{websocket_connect, CloseCode, ConnectOptions, Error, Message};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::watch;

/// How long to wait at the end of stdin for echoes of messages already sent.
const ECHO_WAIT: Duration = Duration::from_secs(5);

const USAGE: &str = "usage: echo_client URL [--subprotocol NAME]... [--header 'Name: value']...";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("echo_client: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<(String, ConnectOptions), String> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut options = ConnectOptions::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--subprotocol" => {
                let name = args.next().ok_or("--subprotocol needs a NAME")?;
                options = options.subprotocol(name);
            }
            "--header" => {
                let line = args.next().ok_or("--header needs 'Name: value'")?;
                let (name, value) = line
                    .split_once(':')
                    .ok_or_else(|| format!("header {line:?} is not 'Name: value'"))?;
                let name = HeaderName::try_from(name.trim())
                    .map_err(|err| format!("header name {name:?}: {err}"))?;
                let value = HeaderValue::try_from(value.trim())
                    .map_err(|err| format!("header value {value:?}: {err}"))?;
                options.headers.append(name, value);
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with("--") => {
                return Err(format!("unknown option {other}\n{USAGE}"))
            }
            other if url.is_none() => url = Some(other.to_owned()),
            other => return Err(format!("unexpected argument {other}\n{USAGE}")),
        }
    }
    Ok((url.ok_or(USAGE)?, options))
}

async fn run() -> Result<(), String> {
    let (url, options) = parse_args()?;
    let conn = websocket_connect(url.as_str(), options)
        .await
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    let (mut reader, writer) = conn.split();

    let (received_tx, mut received) = watch::channel(0usize);
    let printer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(message) = reader.read_message().await {
            let mut line = match message {
                Message::Text(text) => text.into_string(),
                Message::Binary(data) => String::from_utf8_lossy(&data).into_owned(),
            };
            line.push('\n');
            if stdout.write_all(line.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
            received_tx.send_modify(|count| *count += 1);
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut sent = 0usize;
    loop {
        let line = lines
            .next_line()
            .await
            .map_err(|err| format!("reading stdin: {err}"))?;
        let Some(line) = line else { break };
        match writer.write_message(line).await {
            Ok(()) => sent += 1,
            // The server closed first: report how below.
            Err(Error::Closed(_)) => break,
            Err(err) => return Err(format!("sending: {err}")),
        }
    }

    if writer.closed().is_none() {
        // Wait for the echoes in flight; give up early if the server closes.
        let _ = tokio::time::timeout(ECHO_WAIT, received.wait_for(|count| *count >= sent)).await;
        match writer.close(CloseCode::NORMAL, None).await {
            Ok(()) | Err(Error::Closed(_)) => {}
            Err(err) => return Err(format!("closing: {err}")),
        }
    }
    let _ = printer.await;

    match writer.closed() {
        Some(closed) if closed.clean => Ok(()),
        Some(closed) => Err(format!(
            "connection closed abnormally: code {}{}{}",
            closed.code,
            if closed.reason.is_empty() { "" } else { ", " },
            closed.reason
        )),
        None => Err("connection still open after close".to_owned()),
    }
}
