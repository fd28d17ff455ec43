//! Plain-HTTP file serving beside the WebSocket routes, for a browser page and its wasm.

use std::path::{Component, Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::native::transport::AnyStream;

/// Answers a GET for `path` from `root`: `/` is `index.html`, `..` is refused, and only
/// regular files are served. Returns whether a file was found (404 is the caller's).
pub(crate) async fn serve_file(stream: &mut AnyStream, root: &Path, path: &str) -> bool {
    let Some((body, content_type)) = read_file(root, path).await else {
        return false;
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        content_type,
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
    true
}

/// The file a GET for `path` gets from `root`, and its content type.
pub(crate) async fn read_file(root: &Path, path: &str) -> Option<(Vec<u8>, &'static str)> {
    let file = resolve(root, path)?;
    let body = tokio::fs::read(&file).await.ok()?;
    Some((body, content_type(&file)))
}

fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let relative = Path::new(relative);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = root.join(relative);
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        // Browsers compile wasm while downloading only with this type.
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(resolve(root, "/Cargo.toml"), Some(root.join("Cargo.toml")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/src/../Cargo.toml"), None);
        assert_eq!(resolve(root, "/src"), None, "directories are not served");
        assert_eq!(content_type(Path::new("a.wasm")), "application/wasm");
    }
}
