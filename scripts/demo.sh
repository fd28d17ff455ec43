#!/usr/bin/env bash
# The demo: builds the browser chat page (Rust compiled to wasm) and serves it with the
# native chat server on http://127.0.0.1:8888 (open it in two tabs). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -x www/build.sh ]; then
  www/build.sh
fi
exec cargo run --release --example chat_server -- --port "${PORT:-8888}"
