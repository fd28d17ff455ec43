//! permessage-deflate in the core: RFC 7692 §7.2.3 bytes, limits and violations.

use hex_literal::hex;

use super::*;
use crate::protocol::deflate::DeflateParams;
use crate::CompressionOptions;

fn deflate_config(params: DeflateParams) -> Config {
    Config {
        deflate: Some((params, CompressionOptions::new().threshold(0))),
        ..config()
    }
}

fn with_deflate(role: Role, params: DeflateParams) -> (Connection, Instant) {
    let now = Instant::now();
    (Connection::new(role, deflate_config(params), now), now)
}

#[test]
fn rfc_compressed_hello_reaches_the_client() {
    let (mut c, now) = with_deflate(Role::Client, DeflateParams::default());
    c.receive(&hex!("c1 07 f2 48 cd c9 c9 07 00"), now);
    assert_eq!(events(&mut c), [text("Hello")]);
}

#[test]
fn rfc_fragmented_compressed_hello() {
    // RFC 7692 §7.2.3.1 split across two frames: RSV1 only on the first.
    let (mut c, now) = with_deflate(Role::Client, DeflateParams::default());
    c.receive(&hex!("41 03 f2 48 cd"), now);
    c.receive(&hex!("80 04 c9 c9 07 00"), now);
    assert_eq!(events(&mut c), [text("Hello")]);
}

#[test]
fn rfc_server_sends_hello_twice_with_context_takeover() {
    let (mut s, _) = with_deflate(Role::Server, DeflateParams::default());
    s.send(&Message::from("Hello")).unwrap();
    s.send(&Message::from("Hello")).unwrap();
    // §7.2.3.2: the second message refers back to the first.
    assert_eq!(
        drain(&mut s).0,
        hex!("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00")
    );
}

#[test]
fn rfc_server_without_context_takeover_compresses_each_message_alone() {
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let (mut s, _) = with_deflate(Role::Server, params);
    s.send(&Message::from("Hello")).unwrap();
    s.send(&Message::from("Hello")).unwrap();
    assert_eq!(
        drain(&mut s).0,
        hex!("c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00")
    );
}

#[test]
fn rfc_empty_message_is_one_zero_byte() {
    let (mut s, now) = with_deflate(Role::Server, DeflateParams::default());
    s.send(&Message::from("")).unwrap();
    assert_eq!(drain(&mut s).0, hex!("c1 01 00"));
    let (mut c, _) = with_deflate(Role::Client, DeflateParams::default());
    c.receive(&hex!("c1 01 00"), now);
    assert_eq!(events(&mut c), [text("")]);
}

#[test]
fn per_message_opt_out_and_threshold_send_plain_frames() {
    let (mut s, _) = with_deflate(Role::Server, DeflateParams::default());
    s.send_with(&Message::from("Hello"), false).unwrap();
    assert_eq!(drain(&mut s).0, hex!("81 05 48 65 6c 6c 6f"));
    let now = Instant::now();
    let config = Config {
        deflate: Some((
            DeflateParams::default(),
            CompressionOptions::new().threshold(6),
        )),
        ..config()
    };
    let mut s = Connection::new(Role::Server, config, now);
    s.send(&Message::from("Hello")).unwrap();
    assert_eq!(
        drain(&mut s).0,
        hex!("81 05 48 65 6c 6c 6f"),
        "5 bytes is under the threshold"
    );
}

#[test]
fn uncompressed_messages_still_arrive_with_deflate_on() {
    let (mut c, now) = with_deflate(Role::Client, DeflateParams::default());
    c.receive(&hex!("81 05 48 65 6c 6c 6f"), now);
    assert_eq!(events(&mut c), [text("Hello")]);
}

fn server_fails_with_deflate(bytes: &[u8], code: u16, error: ProtocolError) {
    let (mut s, now) = with_deflate(Role::Server, DeflateParams::default());
    s.receive(bytes, now);
    assert_failed(&mut s, code, error);
}

#[test]
fn rsv1_on_a_continuation_is_1002() {
    let mut bytes = frame(false, 4, 0x1, &hex!("f2 48 cd"), true);
    bytes.extend(frame(true, 4, 0x0, &hex!("c9 c9 07 00"), true));
    server_fails_with_deflate(&bytes, 1002, ProtocolError::CompressedContinuationOrControl);
}

#[test]
fn rsv1_on_a_control_frame_is_1002() {
    server_fails_with_deflate(
        &frame(true, 4, 0x9, b"", true),
        1002,
        ProtocolError::CompressedContinuationOrControl,
    );
}

#[test]
fn corrupt_compressed_data_is_1002() {
    server_fails_with_deflate(
        &frame(true, 4, 0x1, &[0xff, 0xff, 0xff, 0xff], true),
        1002,
        ProtocolError::CorruptCompressedData,
    );
}

#[test]
fn invalid_utf8_after_inflating_is_1007() {
    // 0xff compressed as a fixed-Huffman block: compress it with the codec itself.
    let (mut c, _) = with_deflate(Role::Client, DeflateParams::default());
    c.send(&Message::Binary(vec![0xff, 0xfe].into())).unwrap();
    let (bytes, _) = drain(&mut c);
    let mut text = bytes;
    text[0] = (text[0] & 0xF0) | 0x1; // claim it is text
    server_fails_with_deflate(&text, 1007, ProtocolError::InvalidUtf8);
}

#[test]
fn inflated_size_is_capped_while_inflating_1009() {
    // 1 MiB of zeros compresses to about a kilobyte; the limit is 10 KiB.
    let (mut c, _) = with_deflate(Role::Client, DeflateParams::default());
    c.send(&Message::Binary(vec![0u8; 1 << 20].into())).unwrap();
    let (bytes, _) = drain(&mut c);
    assert!(bytes.len() < 4096, "compressed to {} bytes", bytes.len());
    let now = Instant::now();
    let config = Config {
        max_message_size: Some(10 * 1024),
        ..deflate_config(DeflateParams::default())
    };
    let mut s = Connection::new(Role::Server, config, now);
    s.receive(&bytes, now);
    assert_failed(
        &mut s,
        1009,
        ProtocolError::MessageTooBig { limit: 10 * 1024 },
    );
}

#[test]
fn incompressible_message_at_the_limit_is_accepted_at_every_memory_level() {
    // Found by the inflate fuzz target: at mem_level 1, zlib stores incompressible input
    // in 127-byte blocks (4% longer), but the wire-size check made before inflating allowed
    // only 5 bytes per 65,535, so a 3000-byte message under a 3000-byte limit got 1009.
    let mut state = 6455u32;
    let noise: Vec<u8> = (0..3000)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    for mem_level in 1..=9 {
        let opts = CompressionOptions::new().threshold(0).mem_level(mem_level);
        let client_config = Config {
            deflate: Some((DeflateParams::default(), opts)),
            ..config()
        };
        let server_config = Config {
            max_message_size: Some(noise.len()),
            ..client_config.clone()
        };
        let now = Instant::now();
        let mut c = Connection::new(Role::Client, client_config, now);
        let mut s = Connection::new(Role::Server, server_config, now);
        let message = Message::Binary(noise.clone().into());
        c.send(&message).unwrap();
        let (bytes, _) = drain(&mut c);
        s.receive(&bytes, now);
        assert_eq!(
            events(&mut s),
            [Event::Message(message)],
            "mem_level {mem_level}: {} bytes on the wire",
            bytes.len()
        );
    }
}

#[test]
fn every_window_and_takeover_combination_round_trips() {
    for bits in 9..=15u8 {
        for no_takeover in [false, true] {
            let params = DeflateParams {
                server_no_context_takeover: no_takeover,
                client_no_context_takeover: no_takeover,
                server_max_window_bits: bits,
                client_max_window_bits: bits,
            };
            let (mut c, now) = with_deflate(Role::Client, params);
            let (mut s, _) = with_deflate(Role::Server, params);
            let messages: Vec<Message> = (0..5)
                .map(|i| Message::from(format!("message {i} ").repeat(200 * i + 1)))
                .collect();
            for m in &messages {
                c.send(m).unwrap();
                s.send(m).unwrap();
            }
            let (to_server, _) = drain(&mut c);
            let (to_client, _) = drain(&mut s);
            // Byte by byte, to exercise inflating across reads.
            for b in &to_server {
                s.receive(std::slice::from_ref(b), now);
            }
            c.receive(&to_client, now);
            let expected: Vec<Event> = messages.into_iter().map(Event::Message).collect();
            assert_eq!(
                events(&mut s),
                expected,
                "bits {bits} no_takeover {no_takeover}"
            );
            assert_eq!(events(&mut c), expected);
        }
    }
}
