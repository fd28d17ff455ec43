//! Fuzzes `frame::parse_header` and `frame::encode_header`.
//! Input layout and invariants: `squall::fuzzing::frame_header` (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::frame_header(data));
