//! The Python peer of the interoperability tests, run with plain `std::process` and read
//! through tokio's pipes (the tests' tokio has no `process` feature: it would add a process
//! and a signal driver to every runtime, the echo server's benchmarked one included).
#![allow(dead_code, unreachable_pub)]

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};

use tokio::io::{BufReader, Lines};
use tokio::net::unix::pipe;

/// The interpreter: `SQUALL_PYTHON`, else the venv scripts/setup.sh makes, else `python3`.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("SQUALL_PYTHON") {
        return python.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// A running `tests/interop/deflate_peer.py`, killed when dropped.
pub struct PythonPeer {
    /// `None` once waited for.
    child: Option<Child>,
    /// What it prints, line by line.
    pub lines: Lines<BufReader<pipe::Receiver>>,
    /// Its standard input.
    pub stdin: pipe::Sender,
}

impl PythonPeer {
    /// Starts the peer script with `args`.
    pub fn spawn(args: &[&str]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/deflate_peer.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with the websockets package (run scripts/setup.sh)");
        let stdout = OwnedFd::from(child.stdout.take().unwrap());
        let stdin = OwnedFd::from(child.stdin.take().unwrap());
        Self {
            child: Some(child),
            lines: BufReader::new(pipe::Receiver::from_owned_fd(stdout).unwrap()).lines(),
            stdin: pipe::Sender::from_owned_fd(stdin).unwrap(),
        }
    }

    /// Waits for the peer to exit (call once its output has ended).
    pub async fn wait(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap()
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
