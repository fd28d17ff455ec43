//! UTF-8 validation of received text: whole messages, and incrementally across fragments.
//!
//! Validation uses `simdutf8` (SIMD, with runtime CPU detection): several times faster than
//! std's `from_utf8` on non-ASCII text (BENCHMARKS.md, "Why the code is shaped this way").
//! The validated bytes become a [`Utf8Bytes`] without being checked or copied again.

use bytes::Bytes;

use crate::Utf8Bytes;

/// Tracks how much of a growing text buffer is known to be valid UTF-8, so each fragment
/// is checked once and invalid text fails as soon as it arrives (RFC 6455 §8.1).
#[derive(Debug, Default)]
pub(crate) struct Utf8Validator {
    valid_up_to: usize,
}

/// Invalid UTF-8 was found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct InvalidUtf8;

impl Utf8Validator {
    /// Checks the bytes of `buf` not yet checked. An incomplete character at the end is
    /// allowed unless `fin` says no more bytes will come.
    pub(crate) fn feed(&mut self, buf: &[u8], fin: bool) -> Result<(), InvalidUtf8> {
        let rest = buf.get(self.valid_up_to..).unwrap_or_default();
        match simdutf8::compat::from_utf8(rest) {
            Ok(_) => {
                self.valid_up_to = buf.len();
                Ok(())
            }
            Err(err) if err.error_len().is_none() && !fin => {
                self.valid_up_to += err.valid_up_to();
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }
}

impl Utf8Validator {
    /// How many leading bytes are known to be valid.
    pub(crate) fn checked(&self) -> usize {
        self.valid_up_to
    }

    /// Turns `bytes` into text: checks what this validator has not seen of them (all of
    /// them, for a fresh one) and that they end on a character. `bytes` must be the buffer
    /// this validator was fed, unchanged but for bytes appended since.
    pub(crate) fn into_text(mut self, bytes: Bytes) -> Result<Utf8Bytes, InvalidUtf8> {
        self.feed(&bytes, true)?;
        // Every byte was checked by `simdutf8`: the tail just now, the prefix
        // (`valid_up_to` bytes) when it was fed, and the caller passes the same bytes.
        Ok(Utf8Bytes::from_checked(bytes))
    }
}

/// Turns received bytes into text, or fails if they are not valid UTF-8.
#[cfg(test)]
fn into_string(bytes: Vec<u8>) -> Result<String, InvalidUtf8> {
    let text = Utf8Validator::default().into_text(Bytes::from(bytes))?;
    Ok(text.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte strings around every kind of sequence and error, at every alignment.
    fn samples() -> Vec<Vec<u8>> {
        let pieces: [&[u8]; 12] = [
            b"plain ascii",
            "é".as_bytes(),
            "€".as_bytes(),
            "𝄞".as_bytes(),
            &[0xff],
            &[0xc0, 0x80],             // overlong
            &[0xed, 0xa0, 0x80],       // surrogate
            &[0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
            &[0xe2, 0x82],             // truncated
            &[0x80],                   // lone continuation
            &[0],
            b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ];
        let mut samples = Vec::new();
        for (i, a) in pieces.iter().enumerate() {
            for b in &pieces {
                for pad in 0..70 {
                    let mut s = vec![b'x'; pad];
                    s.extend_from_slice(a);
                    s.extend_from_slice(b);
                    s.extend(std::iter::repeat_n(b'y', i));
                    samples.push(s);
                }
            }
        }
        samples
    }

    #[test]
    fn into_string_agrees_with_std() {
        for sample in samples() {
            let expected = String::from_utf8(sample.clone()).ok();
            assert_eq!(into_string(sample.clone()).ok(), expected, "{sample:02x?}");
        }
    }

    #[test]
    fn fed_whole_or_byte_by_byte_the_validator_agrees_with_std() {
        for sample in samples() {
            let valid = std::str::from_utf8(&sample).is_ok();
            assert_eq!(Utf8Validator::default().feed(&sample, true).is_ok(), valid);
            let mut v = Utf8Validator::default();
            let mut ok = true;
            for end in 1..=sample.len() {
                ok &= v.feed(&sample[..end], end == sample.len()).is_ok();
            }
            assert_eq!(ok || sample.is_empty(), valid, "{sample:02x?}");
        }
    }

    #[test]
    fn split_character_is_fine_until_the_end() {
        let euro = "€".as_bytes(); // e2 82 ac
        let mut v = Utf8Validator::default();
        let mut buf = vec![b'a', euro[0]];
        assert_eq!(v.feed(&buf, false), Ok(()));
        buf.push(euro[1]);
        assert_eq!(v.feed(&buf, false), Ok(()));
        buf.push(euro[2]);
        assert_eq!(v.feed(&buf, true), Ok(()));
    }

    #[test]
    fn incomplete_at_fin_fails() {
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(&[0xe2, 0x82], true), Err(InvalidUtf8));
    }

    #[test]
    fn invalid_byte_fails_before_fin() {
        let mut v = Utf8Validator::default();
        // 0xce 0xba is "κ", then 0xed 0xa0 0x80 is a UTF-16 surrogate: never valid.
        assert_eq!(
            v.feed(&[0xce, 0xba, 0xed, 0xa0, 0x80], false),
            Err(InvalidUtf8)
        );
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(&[0xff], false), Err(InvalidUtf8));
    }
}
