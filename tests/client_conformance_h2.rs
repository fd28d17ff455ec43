//! The client conformance suite (`tests/client_conformance/mod.rs`) over HTTP/2 (RFC 8441):
//! every case connects with `HttpVersion::Http2` to in-process servers serving h2c.
#![cfg(all(
    not(target_arch = "wasm32"),
    feature = "client",
    feature = "server",
    feature = "json",
    feature = "http2"
))]

mod client_conformance;

use client_conformance::{Env, SMALL_LIMIT};
use squall::{Application, HttpVersion, Message, Server, Settings, WebSocket, WebSocketHandler};
use tokio::net::TcpListener;

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

async fn echo_server(max_message_size: usize) -> Server {
    let settings = Settings::new().max_message_size(Some(max_message_size));
    Application::new()
        .route("/.*", || Echo)
        .settings(settings)
        .h2c(true)
        .listen("127.0.0.1:0")
        .await
        .expect("listen")
}

/// The servers of [`Env`], h2c; they stop when the returned handles are dropped.
async fn env() -> (Env, Vec<Server>) {
    let echo = echo_server(16 << 20).await;
    let small = echo_server(SMALL_LIMIT).await;
    let refused = Application::new()
        .route("/only-this", || Echo)
        .h2c(true)
        .listen("127.0.0.1:0")
        .await
        .expect("listen");
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
        http_version: HttpVersion::Http2,
    };
    (env, vec![echo, small, refused])
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $case() {
            let (env, _servers) = env().await;
            client_conformance::$case(&env).await;
        }
    )*};
}

conformance!(
    text_and_binary_keep_their_kind,
    close_from_client_with_code_and_reason,
    close_without_code_and_reason_alone,
    close_from_server_with_code_and_reason,
    unsendable_close_codes_and_long_reasons_are_refused,
    one_mib_binary_round_trip,
    burst_of_1000_messages_in_order,
    connect_timeout_against_a_silent_server,
    refused_handshake_is_a_connect_error,
    max_message_size_closes_and_reports,
    subprotocol_is_negotiated,
    callback_style,
    json_and_stream,
    split_and_drop_the_writer,
    sink_sends_flushes_and_closes,
    is_closing_from_the_close_frame_sent,
    is_closing_from_the_close_frame_received,
    sink_is_not_ready_after_close,
    sink_flush_hands_over_every_message,
    reconnecting_client_comes_back_after_the_server_closes,
    reconnecting_client_gives_up_after_max_attempts,
);
