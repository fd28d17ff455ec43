//! Fuzzes `handshake::parse_response`, then `check_response` and `client_accept`.
//! Input layout and invariants: `squall::fuzzing::handshake_response` (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::handshake_response(data));
