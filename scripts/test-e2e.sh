#!/usr/bin/env bash
# End-to-end test of the browser chat demo: builds www/ (www/build.sh) and the chat server
# (release), starts it on a free port, opens the demo in two headless Chromium pages of the
# same room with Playwright (playwright-core from npm, installed under target/e2e/node;
# it downloads no browser and drives /usr/bin/chromium), sends lines from one page and
# expects them in the other's #log, checks that Chromium negotiated permessage-deflate, and
# saves target/e2e/chat.png. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$ROOT/target/e2e"
mkdir -p "$OUT"

if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
PLAYWRIGHT_CORE="$OUT/node/node_modules/playwright-core"
if [ ! -d "$PLAYWRIGHT_CORE" ]; then
  npm install --silent --prefix "$OUT/node" playwright-core@1.65.1 >/dev/null
fi

www/build.sh
cargo build --release --example chat_server

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOG="$OUT/chat_server.log"
"$CARGO_TARGET_DIR/release/examples/chat_server" --port "$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$LOG" && break; sleep 0.1; done
grep -q '^listening on ' "$LOG" || { cat "$LOG" >&2; exit 1; }

CHAT_URL="http://127.0.0.1:$PORT" PLAYWRIGHT_CORE="$PLAYWRIGHT_CORE" \
SCREENSHOT="$OUT/chat.png" node scripts/e2e-chat.cjs
echo "test-e2e: passed"
