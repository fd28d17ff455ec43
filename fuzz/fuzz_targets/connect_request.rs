//! Fuzzes `handshake::validate_connect_request` (RFC 8441's extended CONNECT), then the
//! `200` that answers it. Input layout and invariants: `squall::fuzzing::connect_request`
//! (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::connect_request(data));
