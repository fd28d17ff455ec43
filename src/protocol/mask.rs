//! Payload masking (RFC 6455 §5.3), vectorized by the compiler: SSE2 everywhere on
//! x86-64, AVX2 where the CPU has it.

/// XORs `buf` with the 4-byte `mask`, as if `buf` started `offset` bytes into the payload.
///
/// The same call masks and unmasks. `offset` lets a payload be processed in pieces.
#[inline]
pub(crate) fn apply_mask(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    #[cfg(target_arch = "x86_64")]
    if buf.len() >= WIDE_FROM && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: this CPU has AVX2 (checked at run time), the only feature it enables.
        #[allow(unsafe_code)]
        unsafe {
            apply_mask_avx2(buf, mask, offset);
        }
        return;
    }
    mask_words(buf, mask, offset);
}

/// Payloads from this long are masked with AVX2 where the CPU has it; shorter ones are
/// done before the wider code would pay for its setup.
#[cfg(target_arch = "x86_64")]
const WIDE_FROM: usize = 128;

/// [`mask_words`] compiled for AVX2: the same loop, vectorized 32 bytes wide instead of
/// the 16 of x86-64's baseline SSE2. The bytes before the first 32-byte boundary go
/// first, so that the wide stores do not straddle cache lines (a payload starts right
/// after its header, anywhere in a buffer).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn apply_mask_avx2(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    let head = buf.as_ptr().align_offset(32).min(buf.len());
    let (unaligned, aligned) = buf.split_at_mut(head);
    mask_words(unaligned, mask, offset);
    mask_words(aligned, mask, offset + head);
}

/// The masking loop, eight bytes at a time, which the compiler vectorizes.
#[inline(always)]
fn mask_words(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    let mut key = [0u8; 4];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = mask[(offset + i) % 4];
    }
    let word = u32::from_ne_bytes(key);
    let wide = u64::from(word) | (u64::from(word) << 32);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let masked = u64::from_ne_bytes(bytes) ^ wide;
        chunk.copy_from_slice(&masked.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(buf: &mut [u8], mask: [u8; 4], offset: usize) {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte ^= mask[(offset + i) % 4];
        }
    }

    #[test]
    fn rfc_hello_example() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let mut data = *b"Hello";
        apply_mask(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        apply_mask(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&data, b"Hello");
    }

    #[test]
    fn matches_bytewise_for_every_length_and_offset() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        for len in 0..300 {
            for offset in 0..4 {
                let original: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(31)).collect();
                let mut fast = original.clone();
                let mut slow = original.clone();
                apply_mask(&mut fast, mask, offset);
                reference(&mut slow, mask, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn matches_bytewise_at_every_start_alignment() {
        let mask = [0x9a, 0xbc, 0xde, 0xf0];
        let original: Vec<u8> = (0..600u32).map(|b| (b * 7) as u8).collect();
        for start in 0..64 {
            for len in [127, 128, 129, 200, 511] {
                let mut fast = original.clone();
                let mut slow = original.clone();
                apply_mask(&mut fast[start..start + len], mask, 3);
                reference(&mut slow[start..start + len], mask, 3);
                assert_eq!(fast, slow, "start {start} len {len}");
            }
        }
    }

    #[test]
    fn pieces_compose() {
        let mask = [1, 2, 3, 4];
        let mut whole: Vec<u8> = (0..=255).collect();
        let mut pieces = whole.clone();
        apply_mask(&mut whole, mask, 0);
        let (a, b) = pieces.split_at_mut(13);
        apply_mask(a, mask, 0);
        apply_mask(b, mask, 13);
        assert_eq!(whole, pieces);
    }
}
