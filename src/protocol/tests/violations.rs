//! Every protocol violation and the close code it earns.

use hex_literal::hex;

use std::time::Instant;

use super::*;

fn server_fails_on(bytes: &[u8], code: u16, error: ProtocolError) {
    let (mut s, now) = server();
    s.receive(bytes, now);
    assert_failed(&mut s, code, error);
    // Input after the failure is ignored (RFC 6455 §7.1.7).
    s.receive(&from_client(true, 0x1, b"late"), now);
    assert_eq!(events(&mut s), []);
}

#[test]
fn unmasked_client_frame_is_1002() {
    server_fails_on(
        &hex!("81 05 48 65 6c 6c 6f"),
        1002,
        ProtocolError::UnmaskedClientFrame,
    );
}

#[test]
fn masked_server_frame_is_1002_at_the_client() {
    let (mut c, now) = client();
    c.receive(&hex!("81 85 37 fa 21 3d 7f 9f 4d 51 58"), now);
    let closed = events(&mut c);
    assert!(
        matches!(&closed[..], [Event::Closed(c)] if c.code == CloseCode::PROTOCOL_ERROR
        && c.error == Some(ProtocolError::MaskedServerFrame.into()))
    );
    // The client sends its (masked) close frame and waits for the server to close TCP.
    let (out, eof) = drain(&mut c);
    assert_eq!(out[0], 0x88);
    assert!(!eof);
}

#[test]
fn reserved_bits_without_extension_are_1002() {
    for rsv in [4, 2, 1] {
        server_fails_on(
            &frame(true, rsv, 0x1, b"x", true),
            1002,
            ProtocolError::ReservedBits,
        );
    }
}

#[test]
fn reserved_opcodes_are_1002() {
    for op in [3, 7, 0xB, 0xF] {
        server_fails_on(
            &frame(true, 0, op, b"", true),
            1002,
            ProtocolError::ReservedOpcode(op),
        );
    }
}

#[test]
fn fragmented_control_frame_is_1002() {
    server_fails_on(
        &from_client(false, 0x9, b""),
        1002,
        ProtocolError::FragmentedControlFrame,
    );
}

#[test]
fn control_frame_over_125_bytes_is_1002() {
    server_fails_on(
        &from_client(true, 0x9, &[0; 126]),
        1002,
        ProtocolError::ControlFrameTooLong,
    );
}

#[test]
fn continuation_without_start_is_1002() {
    server_fails_on(
        &from_client(true, 0x0, b"x"),
        1002,
        ProtocolError::UnexpectedContinuation,
    );
}

#[test]
fn new_message_inside_fragmented_one_is_1002() {
    let mut bytes = from_client(false, 0x1, b"a");
    bytes.extend(from_client(true, 0x2, b"b"));
    server_fails_on(&bytes, 1002, ProtocolError::ExpectedContinuation);
}

#[test]
fn invalid_utf8_is_1007() {
    server_fails_on(
        &from_client(true, 0x1, &[0xce, 0xba, 0xff]),
        1007,
        ProtocolError::InvalidUtf8,
    );
}

#[test]
fn invalid_utf8_fails_fast_before_the_last_fragment() {
    let (mut s, now) = server();
    s.receive(&from_client(false, 0x1, b"ok"), now);
    assert_eq!(events(&mut s), []);
    s.receive(&from_client(false, 0x0, &[0xed, 0xa0, 0x80]), now);
    assert_failed(&mut s, 1007, ProtocolError::InvalidUtf8);
}

#[test]
fn truncated_utf8_at_the_end_is_1007() {
    let mut bytes = from_client(false, 0x1, b"a");
    bytes.extend(from_client(true, 0x0, &[0xe2, 0x82]));
    server_fails_on(&bytes, 1007, ProtocolError::InvalidUtf8);
}

#[test]
fn close_reason_with_invalid_utf8_is_1007() {
    server_fails_on(
        &from_client(true, 0x8, &[0x03, 0xe8, 0xff]),
        1007,
        ProtocolError::InvalidUtf8,
    );
}

#[test]
fn one_byte_close_payload_is_1002() {
    server_fails_on(
        &from_client(true, 0x8, &[0x03]),
        1002,
        ProtocolError::InvalidClosePayload,
    );
}

#[test]
fn close_codes_never_valid_on_the_wire_are_1002() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let bytes = from_client(true, 0x8, &code.to_be_bytes());
        server_fails_on(&bytes, 1002, ProtocolError::InvalidCloseCode(code));
    }
}

#[test]
fn length_with_top_bit_set_is_1002() {
    server_fails_on(
        &hex!("82 FF 80 00 00 00 00 00 00 00 01 02 03 04"),
        1002,
        ProtocolError::InvalidPayloadLength,
    );
}

#[test]
fn huge_announced_length_is_1009_before_any_payload() {
    let limit = super::super::DEFAULT_MAX_MESSAGE_SIZE;
    server_fails_on(
        &hex!("82 FF 7F FF FF FF FF FF FF FF 01 02 03 04"),
        1009,
        ProtocolError::MessageTooBig { limit },
    );
}

#[test]
fn huge_announced_length_without_limits_allocates_nothing_up_front() {
    // Found by fuzzing (receive_server): with no size limit, the 2^62-byte length of this
    // header was reserved at once, and the allocation failure aborted the process.
    let now = Instant::now();
    let config = Config {
        max_message_size: None,
        ..config()
    };
    let mut s = Connection::new(Role::Server, config, now);
    s.receive(&hex!("82 FF 40 00 00 00 00 00 00 00 01 02 03 04"), now);
    s.receive(&[0; 100], now);
    assert!(s.inbuf.capacity() <= 256 * 1024, "{}", s.inbuf.capacity());
    assert_eq!(events(&mut s), []);
    assert_eq!(s.state(), super::super::State::Open);
    s.receive_eof();
    assert_eq!(s.closed().map(|c| c.code), Some(CloseCode::ABNORMAL));
}

#[test]
fn message_over_the_limit_across_fragments_is_1009() {
    let (mut s, now) = {
        let now = Instant::now();
        let config = Config {
            max_message_size: Some(10),
            ..config()
        };
        (Connection::new(Role::Server, config, now), now)
    };
    s.receive(&from_client(false, 0x2, &[0; 6]), now);
    s.receive(&from_client(true, 0x0, &[0; 5]), now);
    assert_failed(&mut s, 1009, ProtocolError::MessageTooBig { limit: 10 });
}

#[test]
fn frame_over_the_frame_limit_is_1009() {
    let now = Instant::now();
    let config = Config {
        max_frame_size: Some(4),
        ..config()
    };
    let mut s = Connection::new(Role::Server, config, now);
    s.receive(&from_client(false, 0x2, &[0; 4]), now);
    s.receive(&from_client(true, 0x0, &[0; 5]), now);
    assert_failed(
        &mut s,
        1009,
        ProtocolError::FrameTooBig { size: 5, limit: 4 },
    );
}

#[test]
fn message_at_the_limit_is_accepted() {
    let now = Instant::now();
    let config = Config {
        max_message_size: Some(10),
        ..config()
    };
    let mut s = Connection::new(Role::Server, config, now);
    s.receive(&from_client(false, 0x2, &[1; 5]), now);
    s.receive(&from_client(true, 0x0, &[2; 5]), now);
    assert_eq!(events(&mut s).len(), 1);
}
