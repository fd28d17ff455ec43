use hex_literal::hex;

use super::*;

/// Default options except that every message is compressed and the compressor may use
/// the whole negotiated window.
fn opts() -> CompressionOptions {
    CompressionOptions::default()
        .threshold(0)
        .compressor_window_bits(15)
}

fn codec(role: Role, params: DeflateParams) -> PerMessageDeflate {
    PerMessageDeflate::new(role, &params, &opts())
}

fn server() -> PerMessageDeflate {
    codec(Role::Server, DeflateParams::default())
}

fn client() -> PerMessageDeflate {
    codec(Role::Client, DeflateParams::default())
}

fn compress(codec: &mut PerMessageDeflate, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    codec.compress(payload, &mut out);
    out
}

fn inflate(codec: &mut PerMessageDeflate, message: &[u8]) -> Result<Vec<u8>, DeflateError> {
    let mut out = Vec::new();
    codec.decompress(message, true, &mut out, usize::MAX)?;
    Ok(out)
}

/// Deterministic bytes: `len` bytes from xorshift, over an alphabet of `alphabet` symbols
/// (small alphabets compress, 256 does not).
fn noise(len: usize, alphabet: u8, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let byte = (state >> 24) as u8;
            if alphabet == 0 {
                byte
            } else {
                b'a' + byte % alphabet
            }
        })
        .collect()
}

/// Text with repeats at every distance up to `span`, so windows matter.
fn repetitive(len: usize, span: usize, seed: u64) -> Vec<u8> {
    let base = noise(span, 0, seed);
    let mut data = Vec::with_capacity(len);
    let mut i = 0usize;
    while data.len() < len {
        let start = (i * 7919) % span;
        let take = 16.min(span - start).min(len - data.len());
        data.extend_from_slice(&base[start..start + take]);
        data.extend_from_slice(&noise(3, 26, seed + i as u64));
        i += 1;
    }
    data.truncate(len);
    data
}

// ---- RFC 7692 §7.2.3 vectors ----

#[test]
fn hello_compresses_to_the_rfc_bytes() {
    // §7.2.3.1: the frame c1 07 f2 48 cd c9 c9 07 00.
    assert_eq!(
        compress(&mut server(), b"Hello"),
        hex!("f2 48 cd c9 c9 07 00")
    );
    assert_eq!(
        compress(&mut client(), b"Hello"),
        hex!("f2 48 cd c9 c9 07 00")
    );
}

#[test]
fn hello_inflates_from_the_rfc_bytes() {
    assert_eq!(
        inflate(&mut server(), &hex!("f2 48 cd c9 c9 07 00")).unwrap(),
        b"Hello"
    );
}

#[test]
fn hello_split_across_frames_inflates() {
    // §7.2.3.1, fragmented: f2 48 cd in the first frame, c9 c9 07 00 in the second.
    let mut codec = client();
    let mut out = Vec::new();
    codec
        .decompress(&hex!("f2 48 cd"), false, &mut out, usize::MAX)
        .unwrap();
    codec
        .decompress(&hex!("c9 c9 07 00"), true, &mut out, usize::MAX)
        .unwrap();
    assert_eq!(out, b"Hello");
    // And one byte per frame, with an empty final frame.
    let message = hex!("f2 48 cd c9 c9 07 00");
    let mut out = Vec::new();
    for byte in message {
        codec
            .decompress(&[byte], false, &mut out, usize::MAX)
            .unwrap();
    }
    codec.decompress(&[], true, &mut out, usize::MAX).unwrap();
    assert_eq!(out, b"Hello");
}

#[test]
fn two_hellos_share_the_window_with_context_takeover() {
    // §7.2.3.2: the second message refers back into the first.
    let mut sender = server();
    assert_eq!(
        compress(&mut sender, b"Hello"),
        hex!("f2 48 cd c9 c9 07 00")
    );
    assert_eq!(compress(&mut sender, b"Hello"), hex!("f2 00 11 00 00"));

    let mut receiver = client();
    assert_eq!(
        inflate(&mut receiver, &hex!("f2 48 cd c9 c9 07 00")).unwrap(),
        b"Hello"
    );
    assert_eq!(
        inflate(&mut receiver, &hex!("f2 00 11 00 00")).unwrap(),
        b"Hello"
    );
}

#[test]
fn two_hellos_without_context_takeover_are_identical() {
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let mut sender = codec(Role::Server, params);
    assert_eq!(
        compress(&mut sender, b"Hello"),
        hex!("f2 48 cd c9 c9 07 00")
    );
    assert_eq!(
        compress(&mut sender, b"Hello"),
        hex!("f2 48 cd c9 c9 07 00")
    );
    // The client's side is still taking over context.
    let mut other = codec(Role::Client, params);
    assert_eq!(compress(&mut other, b"Hello"), hex!("f2 48 cd c9 c9 07 00"));
    assert_eq!(compress(&mut other, b"Hello"), hex!("f2 00 11 00 00"));
}

#[test]
fn receiver_resets_when_the_peer_has_no_context_takeover() {
    // The client was told the server resets; a message that refers back anyway (as
    // §7.2.3.2's second one does) has nothing to refer to.
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let mut receiver = codec(Role::Client, params);
    assert_eq!(
        inflate(&mut receiver, &hex!("f2 48 cd c9 c9 07 00")).unwrap(),
        b"Hello"
    );
    assert_eq!(
        inflate(&mut receiver, &hex!("f2 00 11 00 00")),
        Err(DeflateError::Corrupt)
    );
}

#[test]
fn stored_block_inflates() {
    // §7.2.3.3: "Hello" in a non-compressed block.
    assert_eq!(
        inflate(&mut server(), &hex!("00 05 00 fa ff 48 65 6c 6c 6f 00")).unwrap(),
        b"Hello"
    );
}

#[test]
fn final_block_inflates_and_the_next_message_too() {
    // §7.2.3.4: BFINAL set, then a 00 octet.
    let mut receiver = server();
    assert_eq!(
        inflate(&mut receiver, &hex!("f3 48 cd c9 c9 07 00 00")).unwrap(),
        b"Hello"
    );
    assert_eq!(
        inflate(&mut receiver, &hex!("f3 48 cd c9 c9 07 00 00")).unwrap(),
        b"Hello"
    );
    assert_eq!(
        inflate(&mut receiver, &hex!("f2 48 cd c9 c9 07 00")).unwrap(),
        b"Hello"
    );
}

#[test]
fn two_blocks_in_one_message_inflate() {
    // §7.2.3.5: "He" and "llo" in two DEFLATE blocks.
    assert_eq!(
        inflate(
            &mut server(),
            &hex!("f2 48 05 00 00 00 ff ff ca c9 c9 07 00")
        )
        .unwrap(),
        b"Hello"
    );
}

#[test]
fn empty_message_is_a_single_zero_byte() {
    // §7.2.3.6: an empty stored block with its 00 00 ff ff removed.
    let mut sender = server();
    assert_eq!(compress(&mut sender, b""), [0x00]);
    assert_eq!(
        compress(&mut sender, b"Hello"),
        hex!("f2 48 cd c9 c9 07 00")
    );
    assert_eq!(compress(&mut sender, b""), [0x00]);
    let mut receiver = client();
    assert_eq!(inflate(&mut receiver, &[0x00]).unwrap(), b"");
    assert_eq!(
        inflate(&mut receiver, &hex!("f2 48 cd c9 c9 07 00")).unwrap(),
        b"Hello"
    );
    assert_eq!(inflate(&mut receiver, &[0x00]).unwrap(), b"");
    // A compressed empty message may also be sent with an empty payload.
    assert_eq!(inflate(&mut receiver, &[]).unwrap(), b"");
}

#[test]
fn compress_appends_to_out() {
    let mut out = b"head".to_vec();
    server().compress(b"Hello", &mut out);
    assert_eq!(out, hex!("68 65 61 64 f2 48 cd c9 c9 07 00"));
}

// ---- limits and corruption ----

#[test]
fn deflate_bomb_stops_at_the_limit_without_allocating() {
    let zeros = vec![0u8; 1 << 20];
    let bomb = compress(&mut server(), &zeros);
    assert!(bomb.len() < 2048, "{} bytes", bomb.len());

    let mut receiver = client();
    let mut out = Vec::new();
    assert_eq!(
        receiver.decompress(&bomb, true, &mut out, 1000),
        Err(DeflateError::TooBig)
    );
    assert!(out.len() <= 1000);
    assert!(out.capacity() <= 1000, "capacity {}", out.capacity());
}

#[test]
fn limit_counts_earlier_frames_and_output() {
    let data = noise(10_000, 4, 1);
    let message = compress(&mut server(), &data);
    let (first, second) = message.split_at(message.len() / 2);

    // Exactly at the limit is fine, also when out already holds other bytes.
    let mut out = b"xyz".to_vec();
    let mut receiver = client();
    receiver.decompress(first, false, &mut out, 10_003).unwrap();
    receiver.decompress(second, true, &mut out, 10_003).unwrap();
    assert_eq!(&out[3..], &data[..]);
    assert!(out.capacity() <= 10_003, "capacity {}", out.capacity());

    // One byte less is too big.
    let mut out = b"xyz".to_vec();
    let mut receiver = client();
    let result = receiver
        .decompress(first, false, &mut out, 10_002)
        .and_then(|()| receiver.decompress(second, true, &mut out, 10_002));
    assert_eq!(result, Err(DeflateError::TooBig));
    assert!(out.capacity() <= 10_002, "capacity {}", out.capacity());
}

#[test]
fn zero_limit_allows_only_empty_messages() {
    let mut receiver = client();
    let mut out = Vec::new();
    receiver.decompress(&[0x00], true, &mut out, 0).unwrap();
    assert!(out.is_empty());
    assert_eq!(
        receiver.decompress(&hex!("f2 48 cd c9 c9 07 00"), true, &mut out, 0),
        Err(DeflateError::TooBig)
    );
}

#[test]
fn corrupt_data_is_rejected() {
    for corrupt in [
        &hex!("ff ff ff")[..],                      // BTYPE 11 is reserved
        &hex!("00 05 00 00 00 48 65 6c 6c 6f")[..], // stored block with a bad NLEN
        &hex!("f2 00 11 00 00")[..],                // refers back before the first byte
    ] {
        assert_eq!(
            inflate(&mut server(), corrupt),
            Err(DeflateError::Corrupt),
            "{corrupt:02x?}"
        );
    }
}

#[test]
fn window_bits_limit_the_compressor() {
    // 4 KiB of noise, repeated: a 15-bit window finds the repeats, a 9-bit one cannot.
    let block = noise(4096, 0, 7);
    let data = block.repeat(8);
    let size = |bits: u8| {
        let params = DeflateParams {
            server_max_window_bits: bits,
            ..DeflateParams::default()
        };
        let mut sender = codec(Role::Server, params);
        let message = compress(&mut sender, &data);
        let mut receiver = codec(Role::Client, params);
        assert!(inflate(&mut receiver, &message).unwrap() == data);
        message.len()
    };
    // A match can reach back 262 bytes less than the window (zlib's MIN_LOOKAHEAD), so
    // a 4 KiB distance needs 13 bits.
    assert!(size(15) < 4096 + 512, "{}", size(15));
    assert!(size(13) < data.len() / 4, "{}", size(13));
    for bits in 9..=12 {
        assert!(size(bits) > data.len(), "{bits} bits: {}", size(bits));
    }
}

#[test]
fn decompressor_enforces_its_window() {
    // A peer that breaks its agreed server_max_window_bits=9 (a 4 KiB distance) sends
    // data the 9-bit decompressor cannot hold: it fails as corrupt instead of keeping
    // more memory than agreed.
    let block = noise(4096, 0, 8);
    let mut sender = server();
    let first = compress(&mut sender, &block);
    let second = compress(&mut sender, &block);
    assert!(second.len() < 64, "{}", second.len());

    let small = DeflateParams {
        server_max_window_bits: 9,
        ..DeflateParams::default()
    };
    let mut receiver = codec(Role::Client, small);
    assert!(inflate(&mut receiver, &first).unwrap() == block);
    assert_eq!(inflate(&mut receiver, &second), Err(DeflateError::Corrupt));
}

#[test]
fn compressor_window_bits_lowers_the_window_below_the_negotiated_one() {
    // 4 KiB of noise, repeated: 13 bits find the repeats, 12 cannot, whatever was agreed.
    let block = noise(4096, 0, 7);
    let data = block.repeat(8);
    let size = |bits: u8| {
        let options = opts().compressor_window_bits(bits);
        let mut sender = PerMessageDeflate::new(Role::Server, &DeflateParams::default(), &options);
        let message = compress(&mut sender, &data);
        let mut receiver = client();
        assert!(inflate(&mut receiver, &message).unwrap() == data);
        message.len()
    };
    assert!(size(13) < data.len() / 4, "{}", size(13));
    assert!(size(12) > data.len(), "{}", size(12));
}

#[test]
fn every_policy_round_trips_and_keeps_context_only_where_negotiated() {
    let chat: Vec<Vec<u8>> = (0..50)
        .map(|i| {
            format!(r#"{{"id":{i},"user":"ann","room":"lobby","body":"hello world"}}"#).into_bytes()
        })
        .collect();
    for (options, takeover) in [
        (CompressionOptions::balanced(), true),
        (CompressionOptions::max_ratio(), true),
        (CompressionOptions::lean(), false),
    ] {
        let options = options.threshold(0);
        let offer = super::super::client_offer(&options);
        let (params, _) = super::super::server_negotiate([offer.as_str()], &options).unwrap();
        let mut server = PerMessageDeflate::new(Role::Server, &params, &options);
        let mut client = PerMessageDeflate::new(Role::Client, &params, &options);
        let mut sizes = Vec::new();
        for message in &chat {
            let wire = compress(&mut server, message);
            sizes.push(wire.len());
            assert!(inflate(&mut client, &wire).unwrap() == *message);
            let wire = compress(&mut client, message);
            assert!(inflate(&mut server, &wire).unwrap() == *message);
        }
        // With context takeover a repeated shape shrinks after the first message.
        let later = sizes[10];
        assert_eq!(later < sizes[0] / 2, takeover, "{options:?}: {sizes:?}");
        // No codec is kept between messages without context takeover.
        assert_eq!(server.compressor.is_some(), takeover, "{options:?}");
        assert_eq!(server.decompressor.is_some(), takeover, "{options:?}");
    }
}

#[test]
fn nothing_is_allocated_before_the_first_message() {
    let codec = server();
    assert!(codec.compressor.is_none() && codec.decompressor.is_none());
}

#[test]
fn shared_inflater_survives_a_message_split_across_frames() {
    // Two lean connections on one thread, their fragmented messages interleaved: each
    // keeps the shared decompressor it borrowed until its message ends.
    let params = DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let text = repetitive(3000, 500, 3);
    let mut sender = codec(Role::Client, params);
    let wire = compress(&mut sender, &text);
    let (head, tail) = wire.split_at(wire.len() / 2);
    let mut a = codec(Role::Server, params);
    let mut b = codec(Role::Server, params);
    let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
    a.decompress(head, false, &mut out_a, usize::MAX).unwrap();
    b.decompress(head, false, &mut out_b, usize::MAX).unwrap();
    assert!(a.decompressor.is_some() && b.decompressor.is_some());
    a.decompress(tail, true, &mut out_a, usize::MAX).unwrap();
    b.decompress(tail, true, &mut out_b, usize::MAX).unwrap();
    assert!(out_a == text && out_b == text);
    assert!(a.decompressor.is_none() && b.decompressor.is_none());
}

// ---- round trips ----

fn send(
    sender: &mut PerMessageDeflate,
    receiver: &mut PerMessageDeflate,
    message: &[u8],
) -> Result<Vec<u8>, DeflateError> {
    let compressed = compress(sender, message);
    // Deliver in three frames.
    let cut1 = compressed.len() / 3;
    let cut2 = compressed.len() * 2 / 3;
    let mut out = Vec::new();
    receiver.decompress(&compressed[..cut1], false, &mut out, usize::MAX)?;
    receiver.decompress(&compressed[cut1..cut2], false, &mut out, usize::MAX)?;
    receiver.decompress(&compressed[cut2..], true, &mut out, message.len())?;
    Ok(out)
}

/// Sends a few messages each way; `big` adds ones over 64 KiB (several stored blocks).
fn round_trip(params: DeflateParams, options: &CompressionOptions, big: bool) {
    let mut client = PerMessageDeflate::new(Role::Client, &params, options);
    let mut server = PerMessageDeflate::new(Role::Server, &params, options);
    let mut messages = vec![
        b"Hello".to_vec(),
        Vec::new(),
        b"Hello".to_vec(),
        repetitive(30_000, 20_000, 3),
        noise(3_000, 0, 5),
        repetitive(3_000, 600, 3),
        noise(5_000, 3, 9),
        b"Hello".to_vec(),
    ];
    if big {
        messages.push(repetitive(100_000, 30_000, 4));
        messages.push(noise(70_000, 0, 6));
    }
    for (i, message) in messages.iter().enumerate() {
        let out = send(&mut client, &mut server, message)
            .unwrap_or_else(|err| panic!("{params:?} message {i} to server: {err:?}"));
        assert!(out == *message, "{params:?} message {i} to server differs");
        let out = send(&mut server, &mut client, message)
            .unwrap_or_else(|err| panic!("{params:?} message {i} to client: {err:?}"));
        assert!(out == *message, "{params:?} message {i} to client differs");
    }
}

#[test]
fn round_trips_with_every_window_and_takeover_setting() {
    for bits in 9..=15 {
        for server_no_context_takeover in [false, true] {
            for client_no_context_takeover in [false, true] {
                let params = DeflateParams {
                    server_no_context_takeover,
                    client_no_context_takeover,
                    server_max_window_bits: bits,
                    client_max_window_bits: bits,
                };
                round_trip(params, &opts(), false);
            }
        }
        round_trip(
            DeflateParams {
                server_max_window_bits: bits,
                client_max_window_bits: 24 - bits,
                ..DeflateParams::default()
            },
            &opts(),
            false,
        );
    }
}

#[test]
fn round_trips_with_every_level_and_mem_level() {
    for level in 0..=9 {
        round_trip(
            DeflateParams::default(),
            &opts().compression_level(level),
            true,
        );
    }
    for mem_level in 1..=9 {
        round_trip(
            DeflateParams::default(),
            &opts().mem_level(mem_level),
            false,
        );
    }
}

#[test]
fn levels_and_mem_levels_are_honoured() {
    let data = repetitive(200_000, 30_000, 11);
    let size = |options: CompressionOptions| {
        let mut codec = PerMessageDeflate::new(Role::Server, &DeflateParams::default(), &options);
        compress(&mut codec, &data).len()
    };
    let stored = size(opts().compression_level(0));
    let fast = size(opts().compression_level(1));
    let best = size(opts().compression_level(9));
    assert!(stored > data.len(), "level 0 stores: {stored}");
    assert!(best < fast && fast < stored, "{best} {fast} {stored}");
    // mem_level sizes the symbol buffer, hence the blocks: the output changes.
    assert_ne!(size(opts().mem_level(1)), size(opts().mem_level(9)));
}

#[test]
fn eight_bit_window_sends_stored_blocks() {
    let params = DeflateParams {
        client_max_window_bits: 8,
        server_max_window_bits: 8,
        ..DeflateParams::default()
    };
    let mut client = codec(Role::Client, params);
    let mut server = codec(Role::Server, params);
    assert_eq!(client.threshold(), usize::MAX);
    assert_eq!(server.threshold(), usize::MAX);
    assert_eq!(
        compress(&mut client, b"Hello"),
        hex!("00 05 00 fa ff 48 65 6c 6c 6f 00")
    );
    assert_eq!(compress(&mut client, b""), [0x00]);
    for message in [b"Hello".to_vec(), Vec::new(), noise(150_000, 4, 2)] {
        let compressed = compress(&mut client, &message);
        assert_eq!(inflate(&mut server, &compressed).unwrap(), message);
        let compressed = compress(&mut server, &message);
        assert_eq!(inflate(&mut client, &compressed).unwrap(), message);
    }
}

#[test]
fn eight_bit_peer_window_inflates() {
    // The server may compress with 9 bits; the client's 8-bit stream still inflates.
    let params = DeflateParams {
        client_max_window_bits: 8,
        ..DeflateParams::default()
    };
    let mut server = codec(Role::Server, params);
    assert_eq!(server.threshold(), 0);
    // A 9-bit stream (what zlib < 1.2.9 sent when asked for 8) is accepted too.
    let mut nine = codec(
        Role::Client,
        DeflateParams {
            client_max_window_bits: 9,
            ..DeflateParams::default()
        },
    );
    let data = repetitive(5_000, 500, 4);
    assert_eq!(
        inflate(&mut server, &compress(&mut nine, &data)).unwrap(),
        data
    );
}

#[test]
fn threshold_comes_from_the_options() {
    let codec = PerMessageDeflate::new(
        Role::Server,
        &DeflateParams::default(),
        &CompressionOptions::default(),
    );
    assert_eq!(codec.threshold(), CompressionOptions::DEFAULT_THRESHOLD);
    let codec = PerMessageDeflate::new(
        Role::Server,
        &DeflateParams::default(),
        &CompressionOptions::default().threshold(1000),
    );
    assert_eq!(codec.threshold(), 1000);
}

#[test]
fn out_of_range_params_are_clamped() {
    let params = DeflateParams {
        server_max_window_bits: 200,
        client_max_window_bits: 0,
        ..DeflateParams::default()
    };
    let mut server = codec(Role::Server, params);
    let mut client = codec(Role::Client, params);
    let data = repetitive(10_000, 2_000, 1);
    assert_eq!(
        inflate(&mut client, &compress(&mut server, &data)).unwrap(),
        data
    );
    assert_eq!(
        inflate(&mut server, &compress(&mut client, &data)).unwrap(),
        data
    );
    assert_eq!(client.threshold(), usize::MAX);
}

#[test]
fn debug_does_not_dump_zlib_state() {
    let text = format!("{:?}", server());
    assert!(text.starts_with("PerMessageDeflate {"), "{text}");
}

#[test]
fn codec_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PerMessageDeflate>();
}

// ---- large messages (the thread's zlib-rs compressor) ----

/// Sends `messages` from a server with the default policy (13-bit compressor window, so
/// messages of 8 KiB and more take the large path) to a client; returns each compressed size.
fn sizes_through_default_policy(messages: &[Vec<u8>]) -> Vec<usize> {
    let options = CompressionOptions::default();
    let params = DeflateParams::default();
    let mut server = PerMessageDeflate::new(Role::Server, &params, &options);
    let mut client = PerMessageDeflate::new(Role::Client, &params, &options);
    assert_eq!(large::large_message_min(server.deflate_key.1), 8 * 1024);
    messages
        .iter()
        .enumerate()
        .map(|(i, message)| {
            let wire = compress(&mut server, message);
            let out = inflate(&mut client, &wire).unwrap();
            assert!(out == *message, "message {i} differs after inflating");
            wire.len()
        })
        .collect()
}

#[test]
fn a_large_message_refers_back_to_the_one_before() {
    let small = noise(2_000, 0, 21);
    let fresh = noise(20_000, 0, 22);
    let large = [&small[..], &fresh[..]].concat();
    let sizes = sizes_through_default_policy(&[small, large.clone()]);
    let alone = sizes_through_default_policy(&[large])[0];
    // Incompressible noise: the 2,000 bytes repeated from the message before cost a few
    // bytes with context takeover and their own size without it.
    assert!(sizes[1] + 1_500 < alone, "{sizes:?} against {alone}");
}

#[test]
fn the_message_after_a_large_one_refers_back_into_it() {
    let large = noise(30_000, 0, 23);
    let tail = large[large.len() - 3_000..].to_vec();
    let sizes = sizes_through_default_policy(&[large, tail.clone(), tail]);
    // The 3,000 bytes were the large message's last ones: a few matches, not their size.
    assert!(sizes[1] < 100, "{sizes:?}");
    assert!(sizes[2] < 100, "{sizes:?}");
}

#[test]
fn large_and_small_messages_interleave_on_one_stream() {
    let mut messages = Vec::new();
    for i in 0..6u64 {
        messages.push(repetitive(9_000 + 7_000 * i as usize, 6_000, i));
        messages.push(repetitive(300, 200, 100 + i));
        messages.push(noise(8_192, 4, 200 + i));
    }
    let sizes = sizes_through_default_policy(&messages);
    assert!(sizes.iter().zip(&messages).all(|(s, m)| *s < m.len()));
    // Without context takeover on the server too, every window size.
    for bits in 9..=15 {
        for server_no_context_takeover in [false, true] {
            let params = DeflateParams {
                server_no_context_takeover,
                server_max_window_bits: bits,
                ..DeflateParams::default()
            };
            let mut server = codec(Role::Server, params);
            let mut client = codec(Role::Client, params);
            for message in &messages {
                assert!(send(&mut server, &mut client, message).unwrap() == *message);
            }
        }
    }
}
