//! Fuzzes `Connection::receive` then `receive_eof`, client role.
//! Input layout and invariants: `squall::fuzzing::receive_client` (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::receive_client(data));
