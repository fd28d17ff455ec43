//! The client conformance suite (`tests/client_conformance/mod.rs`) on the native backend,
//! against in-process servers on 127.0.0.1. The browser runs the same suite from
//! `wasm-tests/tests/conformance.rs`.
#![cfg(all(
    not(target_arch = "wasm32"),
    feature = "client",
    feature = "server",
    feature = "json"
))]

mod client_conformance;

use squall::HttpVersion;

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $case() {
            let (env, _servers) = client_conformance::servers::env(HttpVersion::Http1).await;
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
