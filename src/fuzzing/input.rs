//! How a target cuts its input into settings and data.

/// The common layout `[flags, count, lengths.., rest..]`: a settings byte, a byte whose
/// low nibble counts the length bytes that follow (its high nibble is `extra`), then the
/// data. Missing bytes read as zero.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout<'a> {
    pub(super) flags: u8,
    pub(super) extra: u8,
    pub(super) lengths: &'a [u8],
    pub(super) rest: &'a [u8],
}

pub(super) fn layout(data: &[u8]) -> Layout<'_> {
    let (flags, count, rest) = match data {
        [] => (0, 0, data),
        [flags] => (*flags, 0, &data[1..]),
        [flags, count, rest @ ..] => (*flags, *count, rest),
    };
    let (lengths, rest) = rest.split_at(usize::from(count & 0x0F).min(rest.len()));
    Layout {
        flags,
        extra: count >> 4,
        lengths,
        rest,
    }
}

/// Cuts `stream` into chunks whose lengths cycle through `lengths` (a byte `b` stands for
/// `b + 1` bytes); without lengths, the whole stream is one chunk.
pub(super) fn chunks<'a>(stream: &'a [u8], lengths: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = stream;
    let mut next = lengths.iter().cycle();
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = next.next().map_or(rest.len(), |&b| usize::from(b) + 1);
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_chunks() {
        let input = [0xA5, 0x32, 0, 2, b'a', b'b', b'c', b'd', b'e'];
        let parsed = layout(&input);
        assert_eq!((parsed.flags, parsed.extra), (0xA5, 3));
        assert_eq!(parsed.lengths, [0, 2]);
        let parts: Vec<&[u8]> = chunks(parsed.rest, parsed.lengths).collect();
        assert_eq!(parts, [&b"a"[..], b"bcd", b"e"]);
        let whole: Vec<&[u8]> = chunks(b"abc", &[]).collect();
        assert_eq!(whole, [&b"abc"[..]]);
        assert!(layout(&[]).rest.is_empty());
    }
}
