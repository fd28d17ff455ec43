//! A deflate bomb: about a megabyte that inflates to 1 GiB, the most DEFLATE allows.
#![cfg(feature = "deflate")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::RawPeer;
use squall::{Application, CompressionOptions, Message, WebSocket, WebSocketHandler};
use zlib_rs::{DeflateConfig, DeflateFlush};

struct Echo;

impl WebSocketHandler for Echo {
    fn get_compression_options(&self) -> Option<CompressionOptions> {
        Some(CompressionOptions::default())
    }

    async fn on_message(&mut self, ws: &WebSocket, message: Message) {
        let _ = ws.write_message(message).await;
    }
}

/// 1 GiB of zeros as one raw deflate stream with the permessage-deflate tail removed.
fn bomb() -> Vec<u8> {
    let mut deflate = zlib_rs::Deflate::new_with_config(DeflateConfig {
        level: 9,
        window_bits: -15,
        ..DeflateConfig::default()
    });
    let zeros = vec![0u8; 1 << 20];
    let mut out = vec![0u8; 4 << 20];
    for i in 0..1024 {
        let flush = if i == 1023 {
            DeflateFlush::SyncFlush
        } else {
            DeflateFlush::NoFlush
        };
        let before = deflate.total_out();
        let at = before as usize;
        deflate.compress(&zeros, &mut out[at..], flush).unwrap();
        assert_eq!(deflate.total_in(), (i + 1) << 20);
    }
    out.truncate(deflate.total_out() as usize);
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

#[tokio::test]
async fn deflate_bomb_is_closed_with_1009_without_inflating_it() {
    let bomb = bomb();
    assert!(bomb.len() < 2 << 20, "the bomb is {} bytes", bomb.len());
    let server = Application::new()
        .route("/ws", || Echo)
        .listen("127.0.0.1:0")
        .await
        .unwrap();
    let mut peer = RawPeer::connect_with(
        server.local_addr(),
        "/ws",
        "Sec-WebSocket-Extensions: permessage-deflate\r\n",
    )
    .await;
    let start = Instant::now();
    // RSV1 + binary; the 10 MiB default limit stops inflation after 10 MiB of output.
    peer.send_frame(0xC2, &bomb).await;
    let code = tokio::time::timeout(Duration::from_secs(10), peer.read_close_code())
        .await
        .unwrap();
    assert_eq!(code, 1009);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}
