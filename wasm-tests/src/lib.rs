//! Helpers for squall's browser tests (`tests/`): the URLs of the servers that
//! `scripts/test-wasm.sh` starts, baked in at compile time.

/// A server URL from a `SQUALL_WASM_*` variable set at compile time.
///
/// # Panics
/// When the variable was not set: run the tests through `scripts/test-wasm.sh`.
pub fn server_url(value: Option<&'static str>, variable: &str) -> String {
    match value {
        Some(url) => url.to_owned(),
        None => panic!("{variable} is not set: run the browser tests with scripts/test-wasm.sh"),
    }
}

/// The echo server (`examples/echo_server --deflate`), as `ws://127.0.0.1:PORT`.
pub fn echo() -> String {
    server_url(option_env!("SQUALL_WASM_ECHO"), "SQUALL_WASM_ECHO")
}

/// The echo server with `--max-message-size 1024`.
pub fn small() -> String {
    server_url(option_env!("SQUALL_WASM_SMALL"), "SQUALL_WASM_SMALL")
}

/// A WebSocket URL whose server refuses the test page's origin (403).
pub fn refused() -> String {
    server_url(option_env!("SQUALL_WASM_REFUSED"), "SQUALL_WASM_REFUSED")
}

/// A TCP listener that accepts and never answers.
pub fn silent() -> String {
    server_url(option_env!("SQUALL_WASM_SILENT"), "SQUALL_WASM_SILENT")
}
