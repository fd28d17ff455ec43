#!/usr/bin/env bash
# Builds squall's echo server and the bench crate in release, then runs every cell against
# squall, tokio-tungstenite, fastwebsockets, yawc and the near-free echo on 127.0.0.1,
# servers pinned to core 0 and the generator (the runner) to core 1. Prints one markdown table.
#
#   bench/run.sh [runner options]     e.g. bench/run.sh --rounds 2, --cells 1c16,idle, --servers squall,yawc
#
# CARGO_TARGET_DIR is honoured (default: target/). Extra options go to the runner; see
# bench/src/bin/runner.rs. With the defaults the measuring takes about 4 minutes per round.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
if [ "$(nproc)" -lt 2 ]; then
    echo "run.sh: needs two cores (server on core 0, generator on core 1)" >&2
    exit 1
fi
cargo build --release --example echo_server >&2
cargo build --release -p squall-bench --bins >&2
# 10,000 idle connections need that many descriptors in the generator and in the server:
# raise the limit to 65536 where allowed, else the soft limit to the hard one.
nofile=65536
prlimit --nofile=$nofile -- true 2>/dev/null || nofile=$(ulimit -Hn)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt 10100 ]; then
    echo "run.sh: the file limit ($nofile) is too low for 10,000 connections; pass --idle-conns N" >&2
fi
exec taskset -c 1 prlimit --nofile="$nofile" -- "$target/release/runner" \
    --bin-dir "$target/release" --squall "$target/release/examples/echo_server" "$@"
