#!/usr/bin/env bash
# Runs every test of squall on a fresh Debian 12 machine with rustup: installs what is
# missing, then lints, unit and integration tests, examples, and the Autobahn conformance
# suite against squall's server and client. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==== %s\n' "$*"; }

step "set-up"
scripts/setup.sh

step "format and lints (native and wasm32)"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --all-features -- -D warnings
cargo clippy -p squall-bench --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --no-default-features --features client,json -- -D warnings

step "feature matrix"
cargo check --no-default-features
for feature in server client tls deflate json http2 hyper axum redis; do
  cargo check --no-default-features --features "$feature"
done
cargo check --target wasm32-unknown-unknown --no-default-features --features client,json

step "minimum supported Rust version (rust-version in Cargo.toml)"
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1
cargo "+$msrv" check --lib --all-features

step "the protocol core names no driver"
# Code only: doc comments may mention drivers; tests may take the time.
if grep -rnE 'Instant::now|tokio|std::net|thread_rng' src/protocol --include=*.rs \
  | grep -vE '^[^:]+:[0-9]+:\s*//' | grep -vE '^src/protocol/(.*/)?tests' ; then
  echo "src/protocol must stay sans-I/O" >&2
  exit 1
fi

step "documentation builds without warnings"
RUSTDOCFLAGS="-D warnings -D rustdoc::broken_intra_doc_links" cargo doc --no-deps --all-features

step "unit, integration and doc tests"
cargo test --all-features

step "the benchmark crate's own tests (its load generator's frame counting, the runner's statistics)"
cargo test -p squall-bench

step "fuzz targets compile and lint (the corpus itself replays in tests/fuzz_corpus.rs)"
(cd fuzz && cargo clippy --quiet -- -D warnings)

step "browser tests: wasm-bindgen-test in headless Chromium"
scripts/test-wasm.sh

step "browser end-to-end: the chat demo in two Chromium pages"
scripts/test-e2e.sh

step "Autobahn conformance"
# The suite's Python 3 harness lives beside this repository (../shared/autobahn) or where
# AUTOBAHN_DIR points; a clone without it runs everything else and says what it skipped.
autobahn_dir=${AUTOBAHN_DIR:-$root/../shared/autobahn}
if [ -x "$autobahn_dir/test-server.sh" ]; then
  cargo build --release --examples
  scripts/autobahn.sh
else
  cat >&2 <<EOF
SKIPPED: Autobahn conformance. No harness at $autobahn_dir.
  The suite (PyPI autobahntestsuite) runs only on Python 2.7; squall runs it through a
  Python 3 port with test-server.sh / test-client.sh wrappers. Point AUTOBAHN_DIR at such a
  harness, or run the upstream suite by hand: wstest -m fuzzingclient against
  'cargo run --release --example echo_server -- --port 9002', and wstest -m fuzzingserver
  with 'cargo run --release --example autobahn_client -- --url ws://127.0.0.1:9001'.
Every other test above ran.
EOF
fi
