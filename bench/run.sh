#!/usr/bin/env bash
# Builds squall's echo server and the bench crate, then runs every cell against squall,
# tokio-tungstenite, fastwebsockets, yawc, sockudo-ws, tokio-websockets, axum, Node `ws` and
# the near-free echo on 127.0.0.1, servers pinned to core 0 and the generator (the runner) to
# core 1. The deflate cells (dchat1, dchat100, d64k1, d64k100, dmem) run the servers that
# have permessage-deflate: squall, yawc, sockudo-ws and Node `ws`. Prints markdown tables.
# The HTTP/2 cells (WebSockets over HTTP/2, RFC 8441: echo on one or 100 connections, and
# the time to open one) run squall (with --h2c) and axum, only when asked: `--cells h2`.
#
#   bench/run.sh [runner options]     e.g. bench/run.sh --rounds 2, --cells 1c16,idle, --servers squall,yawc
#   bench/run.sh --cells h2,100c16,100c1k,100c64k --servers squall,axum    (HTTP/2 beside HTTP/1.1)
#
# Node `ws` (bench/node, `npm ci` here when node_modules is missing) needs node and npm; the
# deflate memory cell needs Python `websockets` in target/interop-venv (made here as
# scripts/setup.sh makes it). A server or client that cannot start fails its cells only.
#
# Every server is built with the same Cargo profile: `release-lto` (release with fat LTO and one
# codegen unit), or BENCH_PROFILE=release for the default release build.
# CARGO_TARGET_DIR is honoured (default: target/). Extra options go to the runner; see
# bench/src/bin/runner.rs. Besides the tables it draws the main table as a chart,
# target/bench-chart.svg (`--chart PATH` elsewhere). With the defaults the measuring takes
# about 14 minutes per round.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
profile="${BENCH_PROFILE:-release-lto}"
if [ "$(nproc)" -lt 2 ]; then
    echo "run.sh: needs two cores (server on core 0, generator on core 1)" >&2
    exit 1
fi
cargo build --profile "$profile" --example echo_server >&2
cargo build --profile "$profile" -p squall-bench --bins >&2
if [ ! -d bench/node/node_modules ] && command -v npm >/dev/null; then
    npm ci --prefix bench/node --no-audit --no-fund >&2
fi
if ! target/interop-venv/bin/python -c 'import websockets' 2>/dev/null; then
    python3 -m venv target/interop-venv >&2 && target/interop-venv/bin/pip install -q websockets==17.4 >&2 ||
        echo "run.sh: no Python websockets; the deflate memory cell will fail" >&2
fi
# 10,000 idle connections need that many descriptors in the generator and in the server:
# raise the limit to 65536 where allowed, else the soft limit to the hard one.
nofile=65536
prlimit --nofile=$nofile -- true 2>/dev/null || nofile=$(ulimit -Hn)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt 10100 ]; then
    echo "run.sh: the file limit ($nofile) is too low for 10,000 connections; pass --idle-conns N" >&2
fi
exec taskset -c 1 prlimit --nofile="$nofile" -- "$target/$profile/runner" \
    --bin-dir "$target/$profile" --squall "$target/$profile/examples/echo_server" \
    --chart "$target/bench-chart.svg" "$@"
