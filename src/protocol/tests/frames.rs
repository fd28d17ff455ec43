//! RFC 6455 §5.7 examples, fragmentation and reassembly.

use bytes::Bytes;
use hex_literal::hex;

use super::*;

#[test]
fn rfc_unmasked_hello_reaches_the_client() {
    let (mut c, now) = client();
    c.receive(&hex!("81 05 48 65 6c 6c 6f"), now);
    assert_eq!(events(&mut c), [text("Hello")]);
}

#[test]
fn rfc_masked_hello_reaches_the_server() {
    let (mut s, now) = server();
    s.receive(&hex!("81 85 37 fa 21 3d 7f 9f 4d 51 58"), now);
    assert_eq!(events(&mut s), [text("Hello")]);
    assert_eq!(drain(&mut s), (vec![], false));
}

#[test]
fn rfc_fragmented_hello() {
    let (mut c, now) = client();
    c.receive(&hex!("01 03 48 65 6c"), now);
    assert_eq!(events(&mut c), []);
    c.receive(&hex!("80 02 6c 6f"), now);
    assert_eq!(events(&mut c), [text("Hello")]);
}

#[test]
fn rfc_ping_is_answered_with_the_same_payload() {
    let (mut c, now) = client();
    c.receive(&hex!("89 05 48 65 6c 6c 6f"), now);
    assert_eq!(events(&mut c), [Event::Ping(Bytes::from_static(b"Hello"))]);
    let (out, _) = drain(&mut c);
    // The client's pong is masked: opcode A, mask bit, length 5.
    assert_eq!(&out[..2], &hex!("8a 85"));
    let mut payload = out[6..].to_vec();
    apply_mask(&mut payload, [out[2], out[3], out[4], out[5]], 0);
    assert_eq!(payload, b"Hello");
}

#[test]
fn rfc_binary_lengths_256_and_64k() {
    let (mut c, now) = client();
    let mut bytes = hex!("82 7E 01 00").to_vec();
    bytes.extend(std::iter::repeat_n(0xAB, 256));
    c.receive(&bytes, now);
    let mut bytes = hex!("82 7F 00 00 00 00 00 01 00 00").to_vec();
    bytes.extend(std::iter::repeat_n(0xCD, 65536));
    c.receive(&bytes, now);
    let got = events(&mut c);
    assert_eq!(
        got[0],
        Event::Message(Message::Binary(vec![0xAB; 256].into()))
    );
    assert_eq!(
        got[1],
        Event::Message(Message::Binary(vec![0xCD; 65536].into()))
    );
}

#[test]
fn server_sends_unmasked_shortest_frames() {
    let (mut s, _) = server();
    s.send(&Message::from("Hello")).unwrap();
    s.send(&Message::Binary(vec![1; 256].into())).unwrap();
    let (out, eof) = drain(&mut s);
    assert!(!eof);
    assert_eq!(&out[..7], &hex!("81 05 48 65 6c 6c 6f"));
    assert_eq!(&out[7..11], &hex!("82 7E 01 00"));
    assert_eq!(out.len(), 11 + 256);
}

#[test]
fn client_masks_with_the_seeded_generator() {
    let (mut a, _) = client();
    let (mut b, _) = client();
    a.send(&Message::from("Hello")).unwrap();
    b.send(&Message::from("Hello")).unwrap();
    let (out_a, _) = drain(&mut a);
    let (out_b, _) = drain(&mut b);
    assert_eq!(out_a, out_b, "same seed, same bytes");
    assert_eq!(&out_a[..2], &hex!("81 85"));
    let mask = [out_a[2], out_a[3], out_a[4], out_a[5]];
    let mut payload = out_a[6..].to_vec();
    apply_mask(&mut payload, mask, 0);
    assert_eq!(payload, b"Hello");
    // The server decodes exactly what the client encoded.
    let (mut s, now) = server();
    s.receive(&out_a, now);
    assert_eq!(events(&mut s), [text("Hello")]);
}

#[test]
fn control_frames_may_come_between_fragments() {
    let (mut s, now) = server();
    s.receive(&from_client(false, 0x1, b"He"), now);
    s.receive(&from_client(true, 0x9, b"p"), now);
    s.receive(&from_client(false, 0x0, b"l"), now);
    s.receive(&from_client(true, 0xA, b"q"), now);
    s.receive(&from_client(true, 0x0, b"lo"), now);
    let got = events(&mut s);
    assert_eq!(got[0], Event::Ping(Bytes::from_static(b"p")));
    assert!(matches!(
        &got[1],
        Event::Pong {
            acknowledged: None,
            ..
        }
    ));
    assert_eq!(got[2], text("Hello"));
    assert_eq!(server_frames(&drain(&mut s).0), [(0xA, b"p".to_vec())]);
}

#[test]
fn empty_fragments_and_empty_messages() {
    let (mut s, now) = server();
    s.receive(&from_client(true, 0x1, b""), now);
    s.receive(&from_client(false, 0x2, b""), now);
    s.receive(&from_client(false, 0x0, b""), now);
    s.receive(&from_client(true, 0x0, b""), now);
    assert_eq!(
        events(&mut s),
        [text(""), Event::Message(Message::Binary(Bytes::new()))]
    );
}

#[test]
fn utf8_character_split_across_fragments() {
    let euro = "€".as_bytes();
    let (mut s, now) = server();
    s.receive(&from_client(false, 0x1, &euro[..1]), now);
    s.receive(&from_client(false, 0x0, &euro[1..2]), now);
    s.receive(&from_client(true, 0x0, &euro[2..]), now);
    assert_eq!(events(&mut s), [text("€")]);
}

#[test]
fn many_frames_in_one_read_and_one_frame_per_byte() {
    let mut bytes = Vec::new();
    for i in 0..20 {
        bytes.extend(from_client(true, 0x1, format!("m{i}").as_bytes()));
    }
    let expected: Vec<Event> = (0..20).map(|i| text(&format!("m{i}"))).collect();
    let (mut whole, now) = server();
    whole.receive(&bytes, now);
    assert_eq!(events(&mut whole), expected);
    let (mut bytewise, now) = server();
    for b in &bytes {
        bytewise.receive(std::slice::from_ref(b), now);
    }
    assert_eq!(events(&mut bytewise), expected);
}

#[test]
fn a_masked_frame_arriving_in_pieces_is_unmasked_piece_by_piece_to_the_same_bytes() {
    // Bytes that differ at every offset, so a piece unmasked with the key at the wrong
    // phase, twice or not at all shows.
    let payload: Vec<u8> = (0..70_001u32).map(|i| (i * 31 % 251) as u8).collect();
    let text_payload: String = (0..70_001u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    for (opcode, payload, expected) in [
        (
            0x2,
            payload.as_slice(),
            Message::Binary(payload.clone().into()),
        ),
        (
            0x1,
            text_payload.as_bytes(),
            Message::from(text_payload.as_str()),
        ),
    ] {
        let wire = from_client(true, opcode, payload);
        for piece in [1, 3, 5, 4096, 65_537] {
            let (mut s, now) = server();
            for read in wire.chunks(piece) {
                s.receive(read, now);
            }
            assert_eq!(
                s.poll_event(),
                Some(Event::Message(expected.clone())),
                "opcode {opcode}, pieces of {piece}"
            );
        }
    }
}
