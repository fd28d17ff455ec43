//! Fuzzes `handshake::parse_request`, then `validate_request` and the answer.
//! Input layout and invariants: `squall::fuzzing::handshake_request` (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::handshake_request(data));
