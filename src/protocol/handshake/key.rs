//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest as _, Sha1};

/// The GUID RFC 6455 appends to the key before hashing.
const WEBSOCKET_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`:
/// `base64(sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))`.
///
/// `key` is the header value as sent (the base64 text, not the decoded bytes).
///
/// # Examples
///
/// ```
/// // RFC 6455 §1.3
/// let accept = squall::protocol::handshake::derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
#[must_use]
pub fn derive_accept_key(key: &[u8]) -> String {
    String::from_utf8_lossy(&accept_key(key)).into_owned()
}

/// The length of a `Sec-WebSocket-Accept` value: the base64 of a 20-byte SHA-1 digest.
pub(super) const ACCEPT_KEY_LEN: usize = 28;

/// [`derive_accept_key`] without the allocation: the value's bytes, base64 (ASCII).
pub(super) fn accept_key(key: &[u8]) -> [u8; ACCEPT_KEY_LEN] {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(WEBSOCKET_GUID);
    let mut out = [0; ACCEPT_KEY_LEN];
    let written = STANDARD
        .encode_slice(sha1.finalize(), &mut out)
        .expect("the base64 of 20 bytes takes 28");
    debug_assert_eq!(written, ACCEPT_KEY_LEN);
    out
}

/// A `Sec-WebSocket-Key` value: the base64 of 16 random bytes.
///
/// The caller supplies the randomness (this module is sans-I/O); use a fresh random nonce
/// for every connection.
#[must_use]
pub fn generate_key(random: [u8; 16]) -> String {
    STANDARD.encode(random)
}

/// Whether `key` is a valid `Sec-WebSocket-Key`: base64 of exactly 16 bytes.
pub(super) fn is_valid_key(key: &str) -> bool {
    // 16 bytes encode to 24 characters ending in "==".
    key.len() == 24 && STANDARD.decode(key).is_ok_and(|bytes| bytes.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_example() {
        assert_eq!(
            derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn rfc6455_example_key_from_nonce() {
        // RFC 6455 §4.1: the nonce "the sample nonce" gives the example key.
        assert_eq!(
            generate_key(*b"the sample nonce"),
            "dGhlIHNhbXBsZSBub25jZQ=="
        );
    }

    #[test]
    fn generated_keys_are_valid() {
        for seed in 0..=255u8 {
            assert!(is_valid_key(&generate_key([seed; 16])));
        }
    }

    #[test]
    fn key_validation() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ")); // no padding
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZSE=")); // 17 bytes
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25j")); // 15 bytes
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ=!"));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZR==")); // non-canonical trailing bits
    }
}
