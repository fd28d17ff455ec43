//! Fuzzes permessage-deflate's `decompress` with an output cap.
//! Input layout and invariants: `squall::fuzzing::inflate` (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::inflate(data));
