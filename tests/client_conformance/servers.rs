//! The in-process servers of [`Env`] for the native runs, over HTTP/1.1 or, for
//! [`HttpVersion::Http2`], h2c.

use squall::{Application, HttpVersion, Message, Server, Settings, WebSocket, WebSocketHandler};
use tokio::net::TcpListener;

use super::{Env, SMALL_LIMIT};

/// What `examples/echo_server` does: echo everything, pick the first subprotocol.
struct Echo;

impl WebSocketHandler for Echo {
    fn select_subprotocol(&mut self, offered: &[String]) -> Option<String> {
        offered.first().cloned()
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

/// `app` listening on 127.0.0.1, with h2c beside HTTP/1.1 when `version` is HTTP/2.
async fn listen(app: Application, version: HttpVersion) -> Server {
    #[cfg(feature = "http2")]
    let app = app.h2c(version == HttpVersion::Http2);
    #[cfg(not(feature = "http2"))]
    assert_eq!(
        version,
        HttpVersion::Http1,
        "HTTP/2 needs the `http2` feature"
    );
    app.listen("127.0.0.1:0").await.expect("listen")
}

async fn echo_server(max_message_size: usize, version: HttpVersion) -> Server {
    let settings = Settings::new().max_message_size(Some(max_message_size));
    listen(
        Application::new().route("/.*", || Echo).settings(settings),
        version,
    )
    .await
}

/// Starts the servers of [`Env`] on the current runtime, for clients using `version`; they
/// stop when the returned handles are dropped.
pub async fn env(version: HttpVersion) -> (Env, Vec<Server>) {
    let echo = echo_server(16 << 20, version).await;
    let small = echo_server(SMALL_LIMIT, version).await;
    // The echo server's routes all start with `/`, so this upgrade gets a 404.
    let refused = listen(Application::new().route("/only-this", || Echo), version).await;
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_url = format!("ws://{}/", silent.local_addr().expect("address"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let env = Env {
        echo: format!("ws://{}", echo.local_addr()),
        small: format!("ws://{}", small.local_addr()),
        refused: format!("ws://{}/refused", refused.local_addr()),
        silent: silent_url,
        http_version: version,
    };
    (env, vec![echo, small, refused])
}
