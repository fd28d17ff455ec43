//! Replays the committed fuzz corpus, `fuzz/corpus/<target>/*`, through the same invariant
//! checks the cargo-fuzz targets run (`squall::fuzzing`), on stable Rust, as ordinary tests.
//!
//! Every input the fuzzer kept, and every seed, must still pass; a file that fails is named
//! in the panic message. Needs the `fuzzing-checks` feature (`cargo test --all-features`).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Runs every file of `fuzz/corpus/<target>/` through the target's check.
fn replay(target: &str) {
    let (_, check) = squall::fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    for path in &files {
        let data = fs::read(path).unwrap();
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!(
                "{} broke an invariant (see the message above)",
                path.display()
            );
        }
    }
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        /// The targets replayed here are the library's, and each has a fuzz target and a
        /// corpus directory; no corpus directory is left without a target.
        #[test]
        fn every_target_is_replayed() {
            let mut replayed = [$(stringify!($target)),*];
            replayed.sort_unstable();
            let mut targets: Vec<&str> =
                squall::fuzzing::TARGETS.iter().map(|(name, _)| *name).collect();
            targets.sort_unstable();
            assert_eq!(replayed.as_slice(), targets.as_slice());
            for target in &targets {
                let source = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
                assert!(source.is_file(), "{} is missing", source.display());
            }
            let mut corpora: Vec<String> = fs::read_dir(fuzz_dir().join("corpus"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
            corpora.sort_unstable();
            assert_eq!(corpora, targets, "fuzz/corpus/ directories");
        }
    };
}

replay_tests!(
    receive_server,
    receive_client,
    frame_header,
    handshake_request,
    handshake_response,
    connect_request,
    extensions,
    inflate,
);
