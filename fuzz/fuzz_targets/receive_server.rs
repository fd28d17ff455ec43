//! Fuzzes `Connection::receive` then `receive_eof`, server role.
//! Input layout and invariants: `squall::fuzzing::receive_server` (fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| squall::fuzzing::receive_server(data));
