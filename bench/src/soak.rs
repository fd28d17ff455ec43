//! Pieces the `scale` and `shutdown_load` bins share: the open-file limit, and a parser for
//! the small unmasked frames a server sends.

use std::process::Command;

/// Soft and hard `Max open files` of this process, from `/proc/self/limits`.
fn nofile_limits() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut values = line["Max open files".len()..]
        .split_whitespace()
        .map(|v| match v {
            "unlimited" => Some(u64::MAX),
            v => v.parse().ok(),
        });
    Some((values.next()??, values.next()??))
}

/// Raises this process's `RLIMIT_NOFILE` (children inherit it) without `libc`: through
/// `prlimit --pid SELF`, to 65536 (or `wanted`) where permitted, else the soft limit to the
/// hard one. Returns the soft limit now in force (0 when unknown).
pub fn raise_nofile(wanted: u64) -> u64 {
    let Some((soft, hard)) = nofile_limits() else {
        return 0;
    };
    if soft >= wanted {
        return soft;
    }
    let pid = std::process::id().to_string();
    let target = wanted.max(65536);
    let prlimit = |spec: String| {
        Command::new("prlimit")
            .args(["--pid", &pid, &format!("--nofile={spec}")])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !prlimit(format!("{target}:{target}")) && hard > soft {
        prlimit(format!("{hard}:"));
    }
    nofile_limits().map_or(0, |(soft, _)| soft)
}

/// Takes every complete server frame off the front of `buf`, calling `each(opcode, payload)`;
/// an incomplete frame stays in `buf` for the next read.
///
/// # Errors
/// A masked or fragmented frame (squall sends neither for small messages), or what `each`
/// returns.
pub fn take_frames(
    buf: &mut Vec<u8>,
    mut each: impl FnMut(u8, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        if rest.len() < 2 {
            break;
        }
        if rest[1] & 0x80 != 0 {
            return Err("masked server frame".to_owned());
        }
        let (header, len) = match rest[1] & 0x7F {
            126 if rest.len() >= 4 => (4, u64::from(u16::from_be_bytes([rest[2], rest[3]]))),
            127 if rest.len() >= 10 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&rest[2..10]);
                (10, u64::from_be_bytes(b))
            }
            126 | 127 => break,
            short => (2, u64::from(short)),
        };
        let Ok(len) = usize::try_from(len) else {
            return Err("frame too long".to_owned());
        };
        if rest.len() < header + len {
            break;
        }
        if rest[0] & 0x80 == 0 {
            return Err(format!("fragmented frame (first byte {:#04x})", rest[0]));
        }
        each(rest[0] & 0x0F, &rest[header..header + len])?;
        at += header + len;
    }
    buf.drain(..at);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_frames_split_anywhere() {
        let mut stream = Vec::new();
        for text in ["0", "1", &"x".repeat(300)] {
            stream.push(0x81);
            if text.len() < 126 {
                stream.push(text.len() as u8);
            } else {
                stream.push(126);
                stream.extend_from_slice(&(text.len() as u16).to_be_bytes());
            }
            stream.extend_from_slice(text.as_bytes());
        }
        stream.extend_from_slice(&[0x88, 0x02, 0x03, 0xE9]);
        for chunk in [1, 2, 3, 5, stream.len()] {
            let mut buf = Vec::new();
            let mut seen = Vec::new();
            for c in stream.chunks(chunk) {
                buf.extend_from_slice(c);
                take_frames(&mut buf, |op, p| {
                    seen.push((op, p.len()));
                    Ok(())
                })
                .unwrap();
            }
            assert!(buf.is_empty());
            assert_eq!(seen, [(1, 1), (1, 1), (1, 300), (8, 2)], "chunk {chunk}");
        }
    }
}
