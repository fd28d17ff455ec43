use super::*;
use crate::protocol::extensions::parse_extensions;

fn offers(header: &str) -> Vec<ExtensionOffer> {
    parse_extensions([header]).unwrap()
}

fn accept(header: &str, opts: &CompressionOptions) -> Option<(DeflateParams, String)> {
    server_accept(&offers(header), opts)
}

fn dp(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: sbits,
        client_max_window_bits: cbits,
    }
}

// ---- client_offer ----

#[test]
fn default_offer_is_tornados_and_chromiums() {
    assert_eq!(
        client_offer(&CompressionOptions::default()),
        "permessage-deflate; client_max_window_bits"
    );
}

#[test]
fn offer_lists_every_policy() {
    let opts = CompressionOptions::default()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(Some(9))
        .client_max_window_bits(Some(11));
    assert_eq!(
        client_offer(&opts),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=9; client_max_window_bits=11"
    );
}

#[test]
fn offer_of_client_window_8_says_9() {
    let opts = CompressionOptions::default().client_max_window_bits(Some(8));
    assert_eq!(
        client_offer(&opts),
        "permessage-deflate; client_max_window_bits=9"
    );
}

#[test]
fn every_offer_parses_and_a_default_server_accepts_it() {
    for snct in [false, true] {
        for cnct in [false, true] {
            for sbits in [None, Some(9), Some(15)] {
                for cbits in [None, Some(8), Some(12)] {
                    let opts = CompressionOptions::default()
                        .server_no_context_takeover(snct)
                        .client_no_context_takeover(cnct)
                        .server_max_window_bits(sbits)
                        .client_max_window_bits(cbits);
                    let offer = client_offer(&opts);
                    let (server_params, response) =
                        accept(&offer, &CompressionOptions::default()).unwrap();
                    let client_params = client_accept(&offers(&response), &opts).unwrap().unwrap();
                    assert_eq!(server_params, client_params, "{offer}");
                    assert_eq!(server_params.server_no_context_takeover, snct);
                    assert_eq!(server_params.client_no_context_takeover, cnct);
                    assert_eq!(server_params.server_max_window_bits, sbits.unwrap_or(15));
                    // A bare offer gets the default policy's 12 bits, unless the client
                    // resets after every message.
                    let bare = if cnct { 15 } else { 12 };
                    assert_eq!(
                        server_params.client_max_window_bits,
                        cbits.map_or(bare, |bits| bits.max(9))
                    );
                }
            }
        }
    }
}

// ---- server_accept ----

#[test]
fn chromium_offer_gets_the_preferred_client_window() {
    let chromium = "permessage-deflate; client_max_window_bits";
    let (params, response) = accept(chromium, &CompressionOptions::default()).unwrap();
    assert_eq!(params, dp(false, false, 15, 12));
    assert_eq!(response, "permessage-deflate; client_max_window_bits=12");

    // Without a preference the client keeps its 15 bits.
    let opts = CompressionOptions::default().preferred_client_max_window_bits(None);
    let (params, response) = accept(chromium, &opts).unwrap();
    assert_eq!(params, DeflateParams::default());
    assert_eq!(response, "permessage-deflate");
}

#[test]
fn preferred_client_window_never_raises_the_clients_value_or_insists() {
    let opts = CompressionOptions::default().preferred_client_max_window_bits(Some(11));
    let (params, response) =
        accept("permessage-deflate; client_max_window_bits=10", &opts).unwrap();
    assert_eq!(params.client_max_window_bits, 10);
    assert_eq!(response, "permessage-deflate; client_max_window_bits=10");
    let (params, response) =
        accept("permessage-deflate; client_max_window_bits=14", &opts).unwrap();
    assert_eq!(params.client_max_window_bits, 11);
    assert_eq!(response, "permessage-deflate; client_max_window_bits=11");
    // A client that cannot honour a limit is still accepted, with its 15 bits.
    let (params, response) = accept("permessage-deflate", &opts).unwrap();
    assert_eq!(params, DeflateParams::default());
    assert_eq!(response, "permessage-deflate");
    // A client that resets per message keeps its window: no memory to save.
    let (params, response) = accept(
        "permessage-deflate; client_no_context_takeover; client_max_window_bits",
        &opts,
    )
    .unwrap();
    assert_eq!(params, dp(false, true, 15, 15));
    assert_eq!(response, "permessage-deflate; client_no_context_takeover");
}

#[test]
fn lean_policy_turns_context_takeover_off_both_ways() {
    let (params, response) = accept(
        "permessage-deflate; client_max_window_bits",
        &CompressionOptions::lean(),
    )
    .unwrap();
    assert_eq!(params, dp(true, true, 15, 15));
    assert_eq!(
        response,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
    assert_eq!(
        client_offer(&CompressionOptions::lean()),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         client_max_window_bits"
    );
}

#[test]
fn bare_offer_accepted_as_is() {
    let (params, response) = accept("permessage-deflate", &CompressionOptions::default()).unwrap();
    assert_eq!(params, DeflateParams::default());
    assert_eq!(response, "permessage-deflate");
}

#[test]
fn firefox_offer_with_both_flags() {
    let (params, response) = accept(
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
        &CompressionOptions::default(),
    )
    .unwrap();
    assert_eq!(params, dp(true, true, 15, 15));
    assert_eq!(
        response,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
}

#[test]
fn requested_server_window_is_honoured() {
    for bits in 9..=15 {
        let (params, response) = accept(
            &format!("permessage-deflate; server_max_window_bits={bits}"),
            &CompressionOptions::default(),
        )
        .unwrap();
        assert_eq!(params.server_max_window_bits, bits);
        assert_eq!(
            response,
            format!("permessage-deflate; server_max_window_bits={bits}")
        );
    }
}

#[test]
fn requested_server_window_of_8_is_declined() {
    assert_eq!(
        accept(
            "permessage-deflate; server_max_window_bits=8",
            &CompressionOptions::default()
        ),
        None
    );
    // Even when the server's own policy is larger: the client's request caps it.
    let opts = CompressionOptions::default().server_max_window_bits(Some(12));
    assert_eq!(
        accept("permessage-deflate; server_max_window_bits=8", &opts),
        None
    );
}

#[test]
fn client_window_of_8_is_fine_for_the_server() {
    let (params, response) = accept(
        "permessage-deflate; client_max_window_bits=8",
        &CompressionOptions::default(),
    )
    .unwrap();
    assert_eq!(params.client_max_window_bits, 8);
    assert_eq!(response, "permessage-deflate; client_max_window_bits=8");
}

#[test]
fn autobahn_13_7_takes_the_first_acceptable_offer() {
    // Autobahn 13.7.x: [(True, 8), (True, 0), (False, 0)].
    let header = "permessage-deflate; server_no_context_takeover; server_max_window_bits=8; \
                  client_max_window_bits, \
                  permessage-deflate; server_no_context_takeover; client_max_window_bits, \
                  permessage-deflate; client_max_window_bits";
    let (params, response) = accept(header, &CompressionOptions::default()).unwrap();
    assert_eq!(params, dp(true, false, 15, 12));
    assert_eq!(
        response,
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=12"
    );
}

#[test]
fn first_acceptable_offer_wins_even_if_a_later_one_is_fine_too() {
    let (params, _) = accept(
        "permessage-deflate; server_max_window_bits=10, permessage-deflate",
        &CompressionOptions::default(),
    )
    .unwrap();
    assert_eq!(params.server_max_window_bits, 10);
}

#[test]
fn other_extensions_are_skipped() {
    let (params, response) = accept(
        "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits, foo",
        &CompressionOptions::default(),
    )
    .unwrap();
    assert_eq!(params, dp(false, false, 15, 12));
    assert_eq!(response, "permessage-deflate; client_max_window_bits=12");
    assert_eq!(
        accept("x-webkit-deflate-frame", &CompressionOptions::default()),
        None
    );
    assert_eq!(server_accept(&[], &CompressionOptions::default()), None);
}

#[test]
fn malformed_offers_are_declined_one_by_one() {
    for bad in [
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=true",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=+9",
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=09",
        "permessage-deflate; mystery",
        "permessage-deflate; Server_No_Context_Takeover",
    ] {
        assert_eq!(
            accept(bad, &CompressionOptions::default()),
            None,
            "{bad} accepted"
        );
        // The next offer in the same header is still considered.
        let (params, _) = accept(
            &format!("{bad}, permessage-deflate; client_no_context_takeover"),
            &CompressionOptions::default(),
        )
        .unwrap_or_else(|| panic!("{bad} declined the whole header"));
        assert_eq!(params, dp(false, true, 15, 15));
    }
}

#[test]
fn quoted_values_count_as_values() {
    let (params, response) = accept(
        "permessage-deflate; server_max_window_bits=\"10\"",
        &CompressionOptions::default(),
    )
    .unwrap();
    assert_eq!(params.server_max_window_bits, 10);
    assert_eq!(response, "permessage-deflate; server_max_window_bits=10");
}

#[test]
fn server_policy_flags_are_always_in_the_response() {
    let opts = CompressionOptions::default()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true);
    let (params, response) = accept("permessage-deflate", &opts).unwrap();
    assert_eq!(params, dp(true, true, 15, 15));
    assert_eq!(
        response,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
}

#[test]
fn server_policy_window_is_announced_and_capped_by_the_request() {
    let opts = CompressionOptions::default().server_max_window_bits(Some(12));
    let (params, response) = accept("permessage-deflate", &opts).unwrap();
    assert_eq!(params.server_max_window_bits, 12);
    assert_eq!(response, "permessage-deflate; server_max_window_bits=12");

    let (params, response) =
        accept("permessage-deflate; server_max_window_bits=10", &opts).unwrap();
    assert_eq!(params.server_max_window_bits, 10);
    assert_eq!(response, "permessage-deflate; server_max_window_bits=10");

    let (params, response) =
        accept("permessage-deflate; server_max_window_bits=14", &opts).unwrap();
    assert_eq!(params.server_max_window_bits, 12);
    assert_eq!(response, "permessage-deflate; server_max_window_bits=12");
}

#[test]
fn server_policy_client_window_needs_the_clients_consent() {
    let opts = CompressionOptions::default().client_max_window_bits(Some(10));
    // A bare client_max_window_bits lets the server pick.
    let (params, response) = accept("permessage-deflate; client_max_window_bits", &opts).unwrap();
    assert_eq!(params.client_max_window_bits, 10);
    assert_eq!(response, "permessage-deflate; client_max_window_bits=10");
    // The client's smaller hint wins.
    let (params, response) = accept("permessage-deflate; client_max_window_bits=9", &opts).unwrap();
    assert_eq!(params.client_max_window_bits, 9);
    assert_eq!(response, "permessage-deflate; client_max_window_bits=9");
    // A larger hint is lowered to the policy.
    let (params, _) = accept("permessage-deflate; client_max_window_bits=14", &opts).unwrap();
    assert_eq!(params.client_max_window_bits, 10);
    // Without client_max_window_bits the client cannot honour a limit: declined.
    assert_eq!(accept("permessage-deflate", &opts), None);
    let (params, _) = accept(
        "permessage-deflate, permessage-deflate; client_max_window_bits",
        &opts,
    )
    .unwrap();
    assert_eq!(params.client_max_window_bits, 10);
}

#[test]
fn client_hint_without_policy_is_echoed() {
    let (params, response) = accept(
        "permessage-deflate; client_max_window_bits=11",
        &CompressionOptions::default(),
    )
    .unwrap();
    assert_eq!(params.client_max_window_bits, 11);
    assert_eq!(response, "permessage-deflate; client_max_window_bits=11");
}

#[test]
fn server_never_sends_client_max_window_bits_unoffered() {
    for opts in [
        CompressionOptions::default(),
        CompressionOptions::default().server_max_window_bits(Some(9)),
        CompressionOptions::default().server_no_context_takeover(true),
    ] {
        let (_, response) = accept("permessage-deflate; server_max_window_bits=12", &opts).unwrap();
        assert!(!response.contains("client_max_window_bits"), "{response}");
    }
}

#[test]
fn response_is_a_valid_header_the_client_accepts() {
    let opts = CompressionOptions::default()
        .server_no_context_takeover(true)
        .server_max_window_bits(Some(11))
        .client_max_window_bits(Some(12));
    let (params, response) = accept(
        "permessage-deflate; client_no_context_takeover; client_max_window_bits=13",
        &opts,
    )
    .unwrap();
    assert_eq!(params, dp(true, true, 11, 12));
    assert_eq!(
        response,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=11; client_max_window_bits=12"
    );
    let client_opts = CompressionOptions::default().client_max_window_bits(Some(13));
    assert_eq!(
        client_accept(&offers(&response), &client_opts),
        Ok(Some(params))
    );
}

// ---- client_accept ----

fn check(
    response: &str,
    opts: &CompressionOptions,
) -> Result<Option<DeflateParams>, DeflateNegotiationError> {
    client_accept(&offers(response), opts)
}

#[test]
fn client_accepts_plain_and_empty_responses() {
    let opts = CompressionOptions::default();
    assert_eq!(
        check("permessage-deflate", &opts),
        Ok(Some(DeflateParams::default()))
    );
    assert_eq!(client_accept(&[], &opts), Ok(None));
}

#[test]
fn client_accepts_every_valid_parameter() {
    let opts = CompressionOptions::default();
    assert_eq!(
        check(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=8; client_max_window_bits=9",
            &opts
        ),
        Ok(Some(dp(true, true, 8, 9)))
    );
}

#[test]
fn client_accepts_unrequested_limits_from_the_server() {
    // A server may limit its own window and ask for no context takeover unasked.
    let opts = CompressionOptions::default();
    assert_eq!(
        check(
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
            &opts
        ),
        Ok(Some(dp(true, false, 10, 15)))
    );
}

#[test]
fn client_own_policy_applies_whatever_the_answer() {
    let opts = CompressionOptions::default()
        .client_no_context_takeover(true)
        .client_max_window_bits(Some(11));
    assert_eq!(
        check("permessage-deflate", &opts),
        Ok(Some(dp(false, true, 15, 11)))
    );
    assert_eq!(
        check("permessage-deflate; client_max_window_bits=10", &opts),
        Ok(Some(dp(false, true, 15, 10)))
    );
}

#[test]
fn client_accepts_an_8_bit_window_for_itself() {
    // zlib cannot compress with it: the codec then sends uncompressed messages.
    assert_eq!(
        check(
            "permessage-deflate; client_max_window_bits=8",
            &CompressionOptions::default()
        ),
        Ok(Some(dp(false, false, 15, 8)))
    );
}

#[test]
fn client_rejects_other_or_repeated_extensions() {
    let opts = CompressionOptions::default();
    assert_eq!(
        check("x-webkit-deflate-frame", &opts),
        Err(DeflateNegotiationError::UnsupportedExtension(
            "x-webkit-deflate-frame".into()
        ))
    );
    assert_eq!(
        check("permessage-deflate, foo", &opts),
        Err(DeflateNegotiationError::UnsupportedExtension("foo".into()))
    );
    assert_eq!(
        check("permessage-deflate, permessage-deflate", &opts),
        Err(DeflateNegotiationError::DuplicateExtension)
    );
}

#[test]
fn client_rejects_bad_parameters() {
    let opts = CompressionOptions::default();
    assert_eq!(
        check("permessage-deflate; x", &opts),
        Err(DeflateNegotiationError::UnknownParameter("x".into()))
    );
    assert_eq!(
        check(
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            &opts
        ),
        Err(DeflateNegotiationError::DuplicateParameter(
            "client_no_context_takeover".into()
        ))
    );
    for bad in [
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=08",
    ] {
        assert!(
            matches!(
                check(bad, &opts),
                Err(DeflateNegotiationError::InvalidValue { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn client_rejects_missing_requested_parameters() {
    let opts = CompressionOptions::default().server_no_context_takeover(true);
    assert_eq!(
        check("permessage-deflate", &opts),
        Err(DeflateNegotiationError::MissingParameter(
            "server_no_context_takeover"
        ))
    );
    let opts = CompressionOptions::default().server_max_window_bits(Some(10));
    assert_eq!(
        check("permessage-deflate", &opts),
        Err(DeflateNegotiationError::MissingParameter(
            "server_max_window_bits"
        ))
    );
}

#[test]
fn client_rejects_windows_larger_than_asked() {
    let opts = CompressionOptions::default().server_max_window_bits(Some(10));
    assert_eq!(
        check("permessage-deflate; server_max_window_bits=11", &opts),
        Err(DeflateNegotiationError::ServerWindowTooLarge {
            requested: 10,
            received: 11
        })
    );
    assert_eq!(
        check("permessage-deflate; server_max_window_bits=9", &opts),
        Ok(Some(dp(false, false, 9, 15)))
    );
    let opts = CompressionOptions::default().client_max_window_bits(Some(10));
    assert_eq!(
        check("permessage-deflate; client_max_window_bits=12", &opts),
        Err(DeflateNegotiationError::ClientWindowTooLarge {
            offered: 10,
            received: 12
        })
    );
}

#[test]
fn errors_display() {
    let err = DeflateNegotiationError::ServerWindowTooLarge {
        requested: 10,
        received: 11,
    };
    assert_eq!(
        err.to_string(),
        "server_max_window_bits=11 exceeds the 10 requested"
    );
}

// ---- DeflateParams ----

#[test]
fn params_summary_lists_non_defaults() {
    assert_eq!(
        DeflateParams::default().to_header_value(),
        "permessage-deflate"
    );
    assert_eq!(
        dp(true, true, 9, 8).to_header_value(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=9; client_max_window_bits=8"
    );
    // The summary parses back to the same parameters.
    let summary = dp(false, true, 12, 15).to_header_value();
    assert_eq!(
        client_accept(&offers(&summary), &CompressionOptions::default()),
        Ok(Some(dp(false, true, 12, 15)))
    );
}

#[test]
fn negotiation_from_raw_header_values() {
    let opts = CompressionOptions::default();
    let (params, response) = server_negotiate(
        ["x-foo", "permessage-deflate; server_no_context_takeover"],
        &opts,
    )
    .unwrap();
    assert!(params.server_no_context_takeover);
    assert_eq!(
        client_negotiate([response.as_str()], &opts).unwrap(),
        Some(params)
    );
    // A request whose header does not parse gets no compression.
    assert_eq!(server_negotiate(["permessage-deflate;"], &opts), None);
    assert_eq!(server_negotiate([], &opts), None);

    assert_eq!(client_negotiate([], &opts).unwrap(), None);
    let error = |values: &[&str]| client_negotiate(values.iter().copied(), &opts).unwrap_err();
    assert!(matches!(
        error(&["x-foo"]),
        HandshakeError::UnofferedExtension(name) if name == "x-foo"
    ));
    for malformed in [
        &["permessage-deflate;"][..],
        &["permessage-deflate; server_max_window_bits=16"],
        &["permessage-deflate", "permessage-deflate"],
    ] {
        let error = error(malformed);
        assert!(
            matches!(&error, HandshakeError::Malformed(text) if text.starts_with("Sec-WebSocket-Extensions: ")),
            "{malformed:?}: {error:?}"
        );
    }
}
