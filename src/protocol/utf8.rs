//! Incremental UTF-8 validation across fragments.

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
        match std::str::from_utf8(rest) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
