//! CPU time and resident memory of a process, from `/proc`.

use std::io;
use std::process::Command;
use std::sync::OnceLock;

/// Clock ticks per second for `/proc/PID/stat` times (`getconf CLK_TCK`, else 100).
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// User plus system CPU time of `pid` (`None`: this process), in seconds.
///
/// # Errors
/// When `/proc/PID/stat` cannot be read or parsed.
pub fn cpu_seconds(pid: Option<u32>) -> io::Result<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path)?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::other("malformed stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime is field 14 and stime field 15.
    let field = |n: usize| -> io::Result<f64> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .map(|t| t as f64)
            .ok_or_else(|| io::Error::other("malformed stat"))
    };
    Ok((field(14)? + field(15)?) / ticks_per_second())
}

/// Resident set size of `pid` in KiB (`VmRSS` in `/proc/PID/status`).
///
/// # Errors
/// When the file cannot be read or has no `VmRSS` line.
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::other("no VmRSS"))
}

/// CPU time of this process and of the server, taken together.
#[derive(Clone, Copy, Debug)]
pub struct CpuSnapshot {
    /// This process (the load generator), seconds.
    pub generator: f64,
    /// The server, seconds (0 without a pid).
    pub server: f64,
}

impl CpuSnapshot {
    /// Reads both clocks now.
    pub fn take(server: Option<u32>) -> Self {
        Self {
            generator: cpu_seconds(None).unwrap_or(0.0),
            server: server
                .and_then(|pid| cpu_seconds(Some(pid)).ok())
                .unwrap_or(0.0),
        }
    }
}
