//! Tiny argument helpers shared by the binaries (no argument-parsing dependency).

use std::str::FromStr;

/// Arguments as `--name value` pairs and bare `--flag`s.
#[derive(Debug, Default)]
pub struct Args {
    pairs: Vec<(String, Option<String>)>,
}

impl Args {
    /// Reads `std::env::args()`; a `--name` followed by a value not starting with `--` takes it.
    pub fn from_env() -> Self {
        let mut pairs = Vec::new();
        let mut args = std::env::args().skip(1).peekable();
        while let Some(arg) = args.next() {
            let value = match args.peek() {
                Some(next) if !next.starts_with("--") => args.next(),
                _ => None,
            };
            pairs.push((arg, value));
        }
        Self { pairs }
    }

    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// The value of `--name`, parsed; exits with a message when it does not parse.
    pub fn get<T: FromStr>(&self, name: &str) -> Option<T> {
        let (_, value) = self.pairs.iter().rev().find(|(n, _)| n == name)?;
        let Some(value) = value else {
            fail(&format!("{name} needs a value"));
        };
        match value.parse() {
            Ok(v) => Some(v),
            Err(_) => fail(&format!("{name}: cannot parse {value:?}")),
        }
    }

    /// Every value given for `--name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.clone())
            .collect()
    }

    /// Names given that are not in `known`.
    pub fn unknown(&self, known: &[&str]) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(n, _)| !known.contains(&n.as_str()))
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// Prints `message` and exits with status 2.
pub fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}

/// The `--port` of a reference server; exits when missing or invalid.
pub fn server_port() -> u16 {
    let args = Args::from_env();
    if let Some(unknown) = args.unknown(&["--port"]).first() {
        fail(&format!("unknown argument {unknown}; usage: --port PORT"));
    }
    args.get("--port")
        .unwrap_or_else(|| fail("usage: --port PORT"))
}

/// The `--port` of a reference server with permessage-deflate, and whether `--deflate`
/// turns it on; exits when the port is missing or invalid.
pub fn server_port_and_deflate() -> (u16, bool) {
    let args = Args::from_env();
    if let Some(unknown) = args.unknown(&["--port", "--deflate"]).first() {
        fail(&format!(
            "unknown argument {unknown}; usage: --port PORT [--deflate]"
        ));
    }
    let port = args
        .get("--port")
        .unwrap_or_else(|| fail("usage: --port PORT [--deflate]"));
    (port, args.flag("--deflate"))
}

/// A current-thread tokio runtime, as every server and the generator use.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start the runtime: {e}")))
}

/// Largest message every reference server accepts (as squall's `--max-message-size`).
pub const MAX_MESSAGE_SIZE: usize = 64 << 20;
