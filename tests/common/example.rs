//! The examples as child processes, for the tests of their command lines: each is built
//! (with the features asked for) when missing or older than the sources, started like a
//! user would, and killed when dropped, so a failing test leaves no process behind. Plain
//! `std::process` children: the tests' tokio has no `process` feature.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// Example `name` next to this test's binary (`target/<profile>/examples/`), built with
/// `features` first if it is missing or older than the sources.
pub fn example_binary(name: &str, features: &[&str]) -> PathBuf {
    // One build at a time, and each example checked once per test process.
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(binary) = built.get(name) {
        return binary.clone();
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test>-HASH
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = ["src", "examples", "Cargo.toml"].map(|p| manifest_dir.join(p));
    let newest_source = sources.iter().filter_map(|p| newest_mtime(p)).max();
    let modified = std::fs::metadata(&binary).and_then(|m| m.modified()).ok();
    if modified.is_none() || modified < newest_source {
        let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cargo
            .current_dir(manifest_dir)
            .args(["build", "--example", name]);
        if !features.is_empty() {
            cargo.args(["--features", &features.join(",")]);
        }
        if let Some(target_dir) = profile_dir.parent() {
            cargo.arg("--target-dir").arg(target_dir);
        }
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                cargo.arg("--release");
            }
            Some(profile) => {
                cargo.args(["--profile", profile]);
            }
        }
        let status = cargo.status();
        assert!(
            matches!(status, Ok(s) if s.success()) && binary.exists(),
            "could not build {} ({status:?}); run `cargo build --examples --all-features` first",
            binary.display()
        );
    }
    built.insert(name.to_owned(), binary.clone());
    binary
}

/// The latest modification time of a file or of any file under a directory.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest_mtime(&entry.path()))
        .max()
}

/// Lines a child wrote, shared with the thread that reads them.
type Lines = Arc<Mutex<Vec<String>>>;

fn lines(lines: &Lines) -> Vec<String> {
    lines.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Reads `pipe` line by line into `lines` until it closes.
fn collect_lines(pipe: impl std::io::Read + Send + 'static, lines: Lines) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    });
}

/// A running example, killed when dropped.
pub struct Example {
    child: Child,
    stdout: Lines,
    stderr: Lines,
}

impl Example {
    /// Runs `binary` with `args`.
    pub fn spawn(binary: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("run {}: {error}", binary.display()));
        let (stdout, stderr) = (Lines::default(), Lines::default());
        collect_lines(child.stdout.take().unwrap(), Arc::clone(&stdout));
        collect_lines(child.stderr.take().unwrap(), Arc::clone(&stderr));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// Runs `binary` with `args` and waits up to 10 s until it prints
    /// `listening on 127.0.0.1:PORT`; the process and that address.
    pub async fn listening(binary: &Path, args: &[&str]) -> (Self, SocketAddr) {
        let mut example = Self::spawn(binary, args);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let addr = lines(&example.stdout).iter().find_map(|line| {
                line.strip_prefix("listening on ")
                    .and_then(|addr| addr.trim().parse::<SocketAddr>().ok())
            });
            if let Some(addr) = addr {
                return (example, addr);
            }
            let exited = example.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() >= deadline {
                panic!(
                    "{} {args:?} printed no `listening on 127.0.0.1:PORT` within 10 s ({exited:?}); \
                     stdout:\n{}\nstderr:\n{}",
                    binary.display(),
                    example.stdout(),
                    example.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits up to `limit` for the process to exit; its status if it did.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything it wrote to stdout so far.
    pub fn stdout(&self) -> String {
        lines(&self.stdout).join("\n")
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        lines(&self.stderr).join("\n")
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
