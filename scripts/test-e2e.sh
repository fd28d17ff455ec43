#!/usr/bin/env bash
# End-to-end test of the browser chat demo, in headless Chromium driven by Playwright
# (playwright-core from npm, installed under target/e2e/node; it downloads no browser and
# drives /usr/bin/chromium) through scripts/e2e-chat.cjs. Builds www/ (www/build.sh) and the
# chat server (release), then:
#
#   one node   chat_server on a free port, two pages of the same room on it: lines from one
#              reach both #logs in order, #node shows the node, Chromium negotiated
#              permessage-deflate (saves target/e2e/chat.png);
#   two nodes  a local redis-server on a free port (no persistence, its own temp dir) and
#              two `chat_server --redis redis://127.0.0.1:R` on free ports, alice's page on
#              the first and bob's on the second, same room: every line reaches both pages,
#              in the same order, and each #node shows its own node (saves
#              target/e2e/chat-redis.png and chat-redis-alice.png);
#   h2         a self-signed certificate for 127.0.0.1 (openssl, in a temp dir) and
#              `chat_server --cert --key --verbose` (HTTPS, ALPN h2 and http/1.1): the same
#              chat over https:// (Chromium takes the certificate with
#              --ignore-certificate-errors), and proof that the WebSockets went over HTTP/2
#              (RFC 8441): each page's #http reads HTTP/2 (the server told the page), each
#              page was loaded over h2 (nextHopProtocol), and the server's log has a line
#              `joined room ... over HTTP/2` for each of the three WebSockets and none over
#              HTTP/1.1 (saves target/e2e/chat-h2.png). The one-node and two-nodes cases
#              expect HTTP/1.1 in #http (plain http://, which browsers never speak HTTP/2 on).
#
#   scripts/test-e2e.sh            # all three; the chat server built with --features redis
#   scripts/test-e2e.sh one-node   # only the first; the chat server built without it
#   scripts/test-e2e.sh two-nodes  # only the second
#   scripts/test-e2e.sh h2         # only the third; the chat server built without redis
#
# Installs chromium, redis-server and openssl with apt when missing. Every process it starts
# is stopped on exit. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$ROOT/target/e2e"
mkdir -p "$OUT"

MODE=${1:-all}
one_node=false two_nodes=false h2=false
case $MODE in
  all) one_node=true two_nodes=true h2=true ;;
  one-node) one_node=true ;;
  two-nodes) two_nodes=true ;;
  h2) h2=true ;;
  *) echo "usage: scripts/test-e2e.sh [all|one-node|two-nodes|h2]" >&2; exit 2 ;;
esac

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
if $two_nodes && ! command -v redis-server >/dev/null; then need_apt+=(redis-server); fi
if $h2 && ! command -v openssl >/dev/null; then need_apt+=(openssl); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
PLAYWRIGHT_CORE="$OUT/node/node_modules/playwright-core"
if [ ! -d "$PLAYWRIGHT_CORE" ]; then
  npm install --silent --prefix "$OUT/node" playwright-core@1.65.1 >/dev/null
fi

www/build.sh
if $two_nodes; then
  cargo build --release --example chat_server --features redis
else
  cargo build --release --example chat_server
fi
SERVER_BIN="$CARGO_TARGET_DIR/release/examples/chat_server"

PIDS=()
TMP=$(mktemp -d)
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for PID LOG PATTERN NAME: until LOG has a line matching PATTERN (20 s at most).
wait_for() {
  local pid=$1 log=$2 pattern=$3 name=$4
  for _ in $(seq 200); do
    grep -qs -- "$pattern" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -qs -- "$pattern" "$log" && return 0
  echo "test-e2e: $name did not start:" >&2
  cat "$log" >&2
  exit 1
}

# start_node NAME LOG ARGS...: starts the chat server, waits for "listening on".
start_node() {
  local name=$1 log=$2
  shift 2
  "$SERVER_BIN" "$@" >"$log" 2>&1 &
  PIDS+=($!)
  wait_for "$!" "$log" '^listening on ' "$name"
}

if $one_node; then
  echo "test-e2e: one node"
  PORT=$(free_port)
  start_node chat_server "$OUT/chat_server.log" --port "$PORT"
  CHAT_URL="http://127.0.0.1:$PORT" PLAYWRIGHT_CORE="$PLAYWRIGHT_CORE" \
  SCREENSHOT="$OUT/chat.png" node scripts/e2e-chat.cjs
fi

if $two_nodes; then
  echo "test-e2e: two nodes sharing one Redis"
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$TMP" >"$OUT/redis.log" 2>&1 &
  PIDS+=($!)
  wait_for "$!" "$OUT/redis.log" 'Ready to accept connections' redis-server
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  PORT1=$(free_port)
  start_node "chat_server 1" "$OUT/chat_server-1.log" --port "$PORT1" --redis "$REDIS_URL"
  PORT2=$(free_port)
  start_node "chat_server 2" "$OUT/chat_server-2.log" --port "$PORT2" --redis "$REDIS_URL"
  CHAT_URL="http://127.0.0.1:$PORT1" CHAT_URL_2="http://127.0.0.1:$PORT2" \
  PLAYWRIGHT_CORE="$PLAYWRIGHT_CORE" SCREENSHOT="$OUT/chat-redis.png" node scripts/e2e-chat.cjs
fi

if $h2; then
  echo "test-e2e: HTTPS, WebSockets over HTTP/2"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
  PORT=$(free_port)
  LOG="$OUT/chat_server-h2.log"
  start_node "chat_server (TLS)" "$LOG" --port "$PORT" --cert "$TMP/cert.pem" \
    --key "$TMP/key.pem" --verbose
  CHAT_URL="https://127.0.0.1:$PORT" EXPECT_HTTP=HTTP/2 PLAYWRIGHT_CORE="$PLAYWRIGHT_CORE" \
  SCREENSHOT="$OUT/chat-h2.png" node scripts/e2e-chat.cjs
  # The server's side: alice, bob and carol joined over HTTP/2, no one over HTTP/1.1.
  echo "server log ($LOG):"
  grep ' joined room ' "$LOG" || true
  over_h2=$(grep -c ' joined room .* over HTTP/2$' "$LOG" || true)
  over_h1=$(grep -c ' joined room .* over HTTP/1.1$' "$LOG" || true)
  if [ "$over_h2" -ne 3 ] || [ "$over_h1" -ne 0 ]; then
    echo "test-e2e: FAIL the server saw $over_h2 WebSockets over HTTP/2 and $over_h1 over HTTP/1.1 (expected 3 and 0)" >&2
    exit 1
  fi
  echo "ok   the server saw the 3 WebSockets over HTTP/2, none over HTTP/1.1"
fi
echo "test-e2e: passed"
