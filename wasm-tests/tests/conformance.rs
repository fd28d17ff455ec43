//! The client conformance suite (`tests/client_conformance/mod.rs` at the repository root)
//! in headless Chromium, against `examples/echo_server` processes started by
//! `scripts/test-wasm.sh`. The native backend runs the same cases from
//! `tests/client_conformance_native.rs`.
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "../../tests/client_conformance/mod.rs"]
mod client_conformance;

use client_conformance::Env;

fn env() -> Env {
    Env {
        echo: squall_wasm_tests::echo(),
        small: squall_wasm_tests::small(),
        refused: squall_wasm_tests::refused(),
        silent: squall_wasm_tests::silent(),
        http_version: squall::HttpVersion::Http1,
    }
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {$(
        #[wasm_bindgen_test]
        async fn $case() {
            client_conformance::$case(&env()).await;
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
