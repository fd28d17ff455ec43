//! Messages: the unit both backends read and write.

use bytes::Bytes;

use crate::Utf8Bytes;

/// A complete WebSocket message: text or binary, as Tornado's `str` or `bytes`.
///
/// Fragmentation and compression are invisible here; a `Message` is what the peer sent
/// as a whole.
///
/// ```
/// use squall::Message;
///
/// assert_eq!(Message::from("hi"), Message::Text("hi".into()));
/// if let Message::Text(text) = Message::from("hi") {
///     assert_eq!(text, "hi"); // a `Utf8Bytes`: reads as a `&str`
/// }
/// assert!(Message::from(vec![1u8, 2]).is_binary());
/// assert_eq!(Message::from("hi").len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message: always valid UTF-8, held as shared bytes (see [`Utf8Bytes`]; it
    /// derefs to `str`).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// Whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// The payload length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload as bytes (UTF-8 for text).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(data) => data,
        }
    }

    /// The text, or `None` for a binary message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Binary(_) => None,
        }
    }

    /// The payload as `Bytes`, without copying a binary payload.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Self::Text(text) => text.into_bytes(),
            Self::Binary(data) => data,
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.into())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text.into())
    }
}

impl From<&String> for Message {
    fn from(text: &String) -> Self {
        Self::Text(text.into())
    }
}

impl From<Utf8Bytes> for Message {
    fn from(text: Utf8Bytes) -> Self {
        Self::Text(text)
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Self::Binary(Bytes::from(data))
    }
}

impl From<&[u8]> for Message {
    fn from(data: &[u8]) -> Self {
        Self::Binary(Bytes::copy_from_slice(data))
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Self::Binary(data)
    }
}

#[cfg(feature = "json")]
impl Message {
    /// Encodes `value` as JSON in a text message, as Tornado does for a `dict`.
    ///
    /// # Errors
    /// [`crate::Error::Json`] if `value` cannot be serialized.
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// let msg = squall::Message::json(&serde_json::json!({"n": 1})).unwrap();
    /// assert_eq!(msg.as_text(), Some(r#"{"n":1}"#));
    /// # }
    /// ```
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, crate::Error> {
        Ok(Self::Text(serde_json::to_string(value)?.into()))
    }

    /// Decodes the payload (text or binary) as JSON.
    ///
    /// # Errors
    /// [`crate::Error::Json`] if the payload is not JSON of type `T`.
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// let msg = squall::Message::from(r#"[1, 2]"#);
    /// let numbers: Vec<u32> = msg.parse_json().unwrap();
    /// assert_eq!(numbers, [1, 2]);
    /// # }
    /// ```
    pub fn parse_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::Error> {
        Ok(serde_json::from_slice(self.as_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_the_kind() {
        assert_eq!(Message::from(String::from("a")).as_text(), Some("a"));
        assert!(Message::from(&b"ab"[..]).is_binary());
        assert!(Message::from(Bytes::from_static(b"x")).is_binary());
        assert_eq!(Message::from("é").len(), 2);
        assert!(Message::from("").is_empty());
        assert_eq!(Message::from("ab").into_bytes(), Bytes::from_static(b"ab"));
    }
}
