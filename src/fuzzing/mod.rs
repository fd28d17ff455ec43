//! Invariant checks for fuzzing, shared by the cargo-fuzz targets in `fuzz/` and by the
//! corpus replay test `tests/fuzz_corpus.rs`.
//!
//! Compiled in cargo-fuzz builds (`cfg(fuzzing)`) and with the `fuzzing-checks` feature;
//! hidden from the docs and not covered by semver. Nothing crate-private is re-exported:
//! the checks that need internals (the permessage-deflate codec) run inside the crate.
//!
//! Each target is one `pub fn(&[u8])` named after the entry point it drives. It never
//! returns an error: it panics, with a message naming the broken invariant, when the code
//! under test misbehaves, and returns quietly for every other input, valid or not. The
//! layout of each target's input (which leading bytes choose settings) is documented on
//! its function and in `fuzz/README.md`.

mod connect;
mod extensions;
mod frame;
mod handshake;
mod inflate;
mod input;
mod receive;

pub use crate::protocol::frame::{encode_header, parse_header, FrameHeader};
pub use connect::connect_request;
pub use extensions::extensions;
pub use frame::frame_header;
pub use handshake::{handshake_request, handshake_response};
pub use inflate::inflate;
pub use receive::{receive_client, receive_server};

/// One target's check: takes a fuzz input, panics when an invariant fails.
pub type Check = fn(&[u8]);

/// Every target with its check, by the name of its `fuzz/fuzz_targets/<name>.rs` file and
/// its `fuzz/corpus/<name>/` directory.
pub const TARGETS: &[(&str, Check)] = &[
    ("receive_server", receive_server),
    ("receive_client", receive_client),
    ("frame_header", frame_header),
    ("handshake_request", handshake_request),
    ("handshake_response", handshake_response),
    ("connect_request", connect_request),
    ("extensions", extensions),
    ("inflate", inflate),
];
