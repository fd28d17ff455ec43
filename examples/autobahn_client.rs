//! The client side of the Autobahn|Testsuite (`wstest -m fuzzingserver`): echoes every
//! message of every case back to the server.
//!
//! ```text
//! cargo run --release --example autobahn_client -- [--url URL] [--agent NAME] [--deflate]
//! ```
//!
//! Defaults come from `AUTOBAHN_URL` and `AUTOBAHN_AGENT` (set by
//! `shared/autobahn/test-client.sh`), else `ws://127.0.0.1:9001` and `squall`.

use std::process::ExitCode;

use squall::{websocket_connect, CompressionOptions, ConnectOptions, WebSocketClientConnection};

/// Autobahn sends messages of up to 16 MiB.
const MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

struct Args {
    url: String,
    agent: String,
    deflate: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut parsed = Args {
        url: std::env::var("AUTOBAHN_URL").unwrap_or_else(|_| "ws://127.0.0.1:9001".to_owned()),
        agent: std::env::var("AUTOBAHN_AGENT").unwrap_or_else(|_| "squall".to_owned()),
        deflate: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => parsed.url = args.next().ok_or("--url needs a URL")?,
            "--agent" => parsed.agent = args.next().ok_or("--agent needs a NAME")?,
            "--deflate" => parsed.deflate = true,
            other => {
                return Err(format!(
                    "unknown argument {other}\nusage: autobahn_client [--url URL] [--agent NAME] [--deflate]"
                ))
            }
        }
    }
    parsed.url = parsed.url.trim_end_matches('/').to_owned();
    Ok(parsed)
}

fn options(args: &Args) -> ConnectOptions {
    let mut options = ConnectOptions::new().max_message_size(Some(MAX_MESSAGE_SIZE));
    if args.deflate {
        // Offers permessage-deflate (Tornado's default offer); without it cases 12.* and
        // 13.* report UNIMPLEMENTED.
        options = options.compression_options(CompressionOptions::default());
    }
    options
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn connect(args: &Args, path: &str) -> Result<WebSocketClientConnection, String> {
    let url = format!("{}{path}", args.url);
    websocket_connect(url.as_str(), options(args))
        .await
        .map_err(|err| format!("{url}: {err}"))
}

async fn case_count(args: &Args) -> Result<u32, String> {
    let mut conn = connect(args, "/getCaseCount").await?;
    let message = conn
        .read_message()
        .await
        .ok_or("getCaseCount: closed without a count")?;
    let count = message
        .as_text()
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| format!("getCaseCount: not a number: {message:?}"))?;
    while conn.read_message().await.is_some() {}
    Ok(count)
}

/// Echoes until the server closes; errors while echoing are expected (invalid input).
async fn run_case(args: &Args, case: u32) -> Result<(), String> {
    let path = format!("/runCase?case={case}&agent={}", encode(&args.agent));
    let mut conn = connect(args, &path).await?;
    while let Some(message) = conn.read_message().await {
        if conn.write_message(message).await.is_err() {
            break;
        }
    }
    while conn.read_message().await.is_some() {}
    Ok(())
}

async fn update_reports(args: &Args) -> Result<(), String> {
    let path = format!("/updateReports?agent={}", encode(&args.agent));
    let mut conn = connect(args, &path).await?;
    while conn.read_message().await.is_some() {}
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("autobahn_client: {message}");
            return ExitCode::FAILURE;
        }
    };
    let count = match case_count(&args).await {
        Ok(count) => count,
        Err(message) => {
            eprintln!("autobahn_client: {message}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("autobahn_client: running {count} cases as {}", args.agent);
    for case in 1..=count {
        if let Err(message) = run_case(&args, case).await {
            eprintln!("autobahn_client: case {case}: {message}");
        }
    }
    if let Err(message) = update_reports(&args).await {
        eprintln!("autobahn_client: {message}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
