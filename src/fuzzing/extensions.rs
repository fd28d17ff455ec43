//! `extensions`: the `Sec-WebSocket-Extensions` parser and the permessage-deflate
//! negotiation that reads its output.

use super::handshake::check_client_params;
use crate::protocol::deflate::{client_accept, server_accept, EXTENSION_NAME};
use crate::protocol::extensions::{parse_extensions, ExtensionOffer};
use crate::CompressionOptions;

/// Parses arbitrary header values, then negotiates permessage-deflate on them as a server
/// (they are a client's offers) and as a client (they are a server's response).
///
/// Input layout: `[options, values..]`: the values are separated by `\n` (bytes that are
/// not UTF-8 become U+FFFD). `options` sets both sides' [`CompressionOptions`]: bit 0
/// `server_no_context_takeover`, bit 1 `client_no_context_takeover`, bits 2-4
/// `server_max_window_bits` (none, or 9 to 15), bits 5-7 `client_max_window_bits` (none,
/// or 8 to 14); 0 is the defaults.
///
/// Invariants:
/// - parsed names, parameter names and values are tokens, and the offers written back
///   with `Display` parse to the same offers; an error points inside the input;
/// - `server_accept` takes the first permessage-deflate offer it can take on its own; the
///   parameters honour that offer (a requested server window or no context takeover, no
///   client window limit the client did not offer) and the server's policy; the response
///   header parses, and a client with default options that reads it with `client_accept`
///   arrives at the same parameters;
/// - `client_accept` on the values as a response returns parameters in range that
///   honour every limit the client's options request, `None` only for no extension, and
///   refuses anything but one permessage-deflate.
pub fn extensions(data: &[u8]) {
    let (selector, text) = match data {
        [selector, text @ ..] => (*selector, text),
        [] => (0, data),
    };
    let text = String::from_utf8_lossy(text);
    let values: Vec<&str> = text.split('\n').collect();
    let offers = match parse_extensions(values.iter().copied()) {
        Ok(offers) => offers,
        Err(error) => {
            let value = values.get(error.value_index()).unwrap_or_else(|| {
                panic!("error in value {} of {}", error.value_index(), values.len())
            });
            assert!(error.offset() <= value.len(), "{error} in {value:?}");
            assert!(!error.reason().is_empty());
            return;
        }
    };
    for offer in &offers {
        assert!(is_token(&offer.name), "name {:?}", offer.name);
        for (name, value) in &offer.params {
            assert!(is_token(name), "parameter {name:?}");
            assert!(value.as_deref().is_none_or(is_token), "value {value:?}");
        }
        let written = offer.to_string();
        assert_eq!(
            parse_extensions([written.as_str()]).as_deref(),
            Ok(std::slice::from_ref(offer)),
            "{offer:?} written as {written:?}"
        );
    }
    let joined = offers.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        parse_extensions([joined.join(", ").as_str()]),
        Ok(offers.clone())
    );

    let opts = options(selector);
    as_server(&offers, &opts);
    as_client(&offers, &opts);
}

fn as_server(offers: &[ExtensionOffer], opts: &CompressionOptions) {
    let chosen = offers
        .iter()
        .filter(|offer| offer.name == EXTENSION_NAME)
        .find_map(|offer| server_accept(std::slice::from_ref(offer), opts).map(|r| (offer, r)));
    let accepted = server_accept(offers, opts);
    assert_eq!(
        accepted,
        chosen.as_ref().map(|(_, accepted)| accepted.clone()),
        "did not take the first acceptable offer"
    );
    let Some((offer, (params, header))) = chosen else {
        return;
    };
    let has = |name: &str| offer.params.iter().find(|(param, _)| param == name);
    let bits = |name: &str| has(name).and_then(|(_, value)| value.as_deref()?.parse::<u8>().ok());
    assert!(
        (9..=15).contains(&params.server_max_window_bits),
        "{params:?}"
    );
    assert!(
        (8..=15).contains(&params.client_max_window_bits),
        "{params:?}"
    );
    if has("server_no_context_takeover").is_some() || opts.server_no_context_takeover {
        assert!(params.server_no_context_takeover, "{params:?} for {offer}");
    }
    if has("client_no_context_takeover").is_some() || opts.client_no_context_takeover {
        assert!(params.client_no_context_takeover, "{params:?} for {offer}");
    }
    for limit in [bits("server_max_window_bits"), opts.server_max_window_bits]
        .into_iter()
        .flatten()
    {
        assert!(
            params.server_max_window_bits <= limit,
            "{params:?} for {offer}"
        );
    }
    if has("client_max_window_bits").is_none() {
        assert_eq!(
            params.client_max_window_bits, 15,
            "limited the client's window"
        );
    }
    for limit in [bits("client_max_window_bits"), opts.client_max_window_bits]
        .into_iter()
        .flatten()
    {
        assert!(
            params.client_max_window_bits <= limit,
            "{params:?} for {offer}"
        );
    }

    let Ok(response) = parse_extensions([header.as_str()]) else {
        panic!("our response {header:?} does not parse");
    };
    assert_eq!(
        client_accept(&response, &CompressionOptions::default()),
        Ok(Some(params)),
        "the client reads {header:?} otherwise"
    );
}

fn as_client(response: &[ExtensionOffer], opts: &CompressionOptions) {
    match client_accept(response, opts) {
        Ok(Some(params)) => {
            assert!(
                matches!(response, [only] if only.name == EXTENSION_NAME),
                "took {response:?}"
            );
            check_client_params(&params, opts);
        }
        Ok(None) => assert!(response.is_empty(), "ignored {response:?}"),
        Err(_) => {}
    }
}

fn options(selector: u8) -> CompressionOptions {
    let server_bits = selector >> 2 & 7;
    let client_bits = selector >> 5;
    CompressionOptions::default()
        .server_no_context_takeover(selector & 1 != 0)
        .client_no_context_takeover(selector & 2 != 0)
        .server_max_window_bits((server_bits != 0).then_some(8 + server_bits))
        .client_max_window_bits((client_bits != 0).then_some(7 + client_bits))
}

/// RFC 9110 token: one or more tchars.
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}
