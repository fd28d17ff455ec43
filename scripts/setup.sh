#!/usr/bin/env bash
# Installs what building and testing squall needs on Debian 12 with rustup; safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
command -v curl >/dev/null || need_apt+=(curl)
# A real Redis for the rooms' Redis backend tests (tests/rooms_redis.rs, tests/scale_out.rs);
# the tests start their own servers on free loopback ports, never the system service.
command -v redis-server >/dev/null || need_apt+=(redis-server)
# Node's own HTTP/2 client, the independent peer of the RFC 8441 tests (tests/h2_node.rs).
command -v node >/dev/null || need_apt+=(nodejs)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown >/dev/null
# An independent permessage-deflate peer for the interop tests (tests/deflate_interop.rs).
if ! target/interop-venv/bin/python -c 'import websockets' 2>/dev/null; then
  python3 -m venv target/interop-venv
  target/interop-venv/bin/pip install -q websockets==17.4
fi
