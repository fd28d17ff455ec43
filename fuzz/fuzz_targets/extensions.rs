//! Fuzzes `extensions::parse_extensions`, then `server_accept` and `client_accept`.
//! Input layout and invariants: `squall::fuzzing::extensions` (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::extensions(data));
