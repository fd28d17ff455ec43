//! Text that is known to be UTF-8, held as shared bytes.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::Bytes;

/// The text of a [`crate::Message::Text`]: a `str` held in [`Bytes`], so a received
/// message's text is the bytes as they were read (checked once, never copied) and cloning
/// it or sending it on to many connections shares one buffer.
///
/// It reads as a `&str` (it derefs to `str`) and converts from `String` and `&str`;
/// [`Utf8Bytes::into_string`] gives an owned `String` (a copy) where one is needed.
///
/// ```
/// use squall::{Message, Utf8Bytes};
///
/// let text = Utf8Bytes::from("héllo");
/// assert_eq!(text, "héllo");
/// assert_eq!(text.len(), 6);
/// assert!(text.starts_with("hé"));
/// let message = Message::Text(text.clone());
/// assert_eq!(message.as_text(), Some("héllo"));
/// assert_eq!(String::from(text), "héllo");
/// assert!(Utf8Bytes::try_from(vec![0xff]).is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Text from a string literal, without allocating.
    pub const fn from_static(text: &'static str) -> Self {
        Self(Bytes::from_static(text.as_bytes()))
    }

    /// Bytes already checked to be UTF-8 (by the receiving side's validator).
    pub(crate) fn from_checked(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Self(bytes)
    }

    /// The text.
    #[allow(unsafe_code)]
    pub fn as_str(&self) -> &str {
        // SAFETY: `from_utf8_unchecked` requires valid UTF-8. Every constructor of
        // `Utf8Bytes` takes a `str`, checks the bytes (`TryFrom`), or takes bytes the
        // receiving side checked with `simdutf8` (`from_checked`); the bytes never change.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The text as a `String` (a copy of the bytes).
    pub fn into_string(self) -> String {
        self.as_str().to_owned()
    }

    /// The UTF-8 bytes, shared, without copying.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<str> for Utf8Bytes {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// Hashes as its `str`, as `Borrow<str>` requires (a `HashMap<Utf8Bytes, _>` is looked up
/// by `&str`).
impl Hash for Utf8Bytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<String> for Utf8Bytes {
    /// Takes the string's buffer, without copying.
    fn from(text: String) -> Self {
        Self(Bytes::from(text))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Self(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<&String> for Utf8Bytes {
    fn from(text: &String) -> Self {
        Self::from(text.as_str())
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Self {
        text.0
    }
}

impl From<Utf8Bytes> for String {
    fn from(text: Utf8Bytes) -> Self {
        text.into_string()
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = std::str::Utf8Error;

    /// Checks that the bytes are UTF-8, and keeps them without copying.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = std::string::FromUtf8Error;

    /// Checks that the bytes are UTF-8, and keeps them without copying.
    fn try_from(bytes: Vec<u8>) -> Result<Self, Self::Error> {
        Ok(Self::from(String::from_utf8(bytes)?))
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Utf8Bytes {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Utf8Bytes> for str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Utf8Bytes> for &str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Utf8Bytes> for String {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_in_keeps_the_text() {
        let expected = "ab€";
        assert_eq!(Utf8Bytes::from(expected.to_owned()), expected);
        assert_eq!(Utf8Bytes::from(expected), expected);
        assert_eq!(Utf8Bytes::from_static("ab€"), expected);
        assert_eq!(
            Utf8Bytes::try_from(Bytes::from_static(expected.as_bytes())).unwrap(),
            expected
        );
        assert_eq!(
            Utf8Bytes::try_from(expected.as_bytes().to_vec()).unwrap(),
            expected
        );
        assert_eq!(Utf8Bytes::default(), "");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        assert!(Utf8Bytes::try_from(Bytes::from_static(b"\xe2\x82")).is_err());
        assert!(Utf8Bytes::try_from(vec![b'a', 0xc0, 0x80]).is_err());
    }

    #[test]
    fn a_string_moves_in_and_the_bytes_move_out_without_a_copy() {
        let text = String::from("shared text");
        let address = text.as_ptr();
        let bytes = Utf8Bytes::from(text);
        assert_eq!(bytes.as_ptr(), address);
        let clone = bytes.clone();
        assert_eq!(clone.as_ptr(), address, "a clone shares the buffer");
        assert_eq!(bytes.into_bytes().as_ptr(), address);
    }

    #[test]
    fn it_formats_and_compares_as_its_text() {
        let text = Utf8Bytes::from("x\"y");
        assert_eq!(text.to_string(), "x\"y");
        assert_eq!(format!("{text:?}"), format!("{:?}", "x\"y"));
        let (a, b) = (Utf8Bytes::from_static("a"), Utf8Bytes::from_static("b"));
        assert!(a < b, "ordered as the text");
        assert_eq!(String::from("x\"y"), text);
        let map = std::collections::HashMap::from([(Utf8Bytes::from("key"), 1)]);
        assert_eq!(map.get("key"), Some(&1), "looked up by &str");
    }
}
