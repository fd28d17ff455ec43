#!/usr/bin/env bash
# The two-node demo: one chat served by two chat_server processes that share a Redis.
# Builds the browser chat page (Rust compiled to wasm) and the chat server with the `redis`
# feature, starts a redis-server of its own on 127.0.0.1 (port 6390, or a free one if that
# is taken; no persistence, data in a temp dir, never the system's service), then two chat
# nodes on http://127.0.0.1:8888 and http://127.0.0.1:8889. Open one URL in one tab and the
# other in another, same ?room=: both are in one chat, and each page shows its node.
# Ctrl-C stops everything.
#
#   scripts/demo-redis.sh
#   PORT1=9001 PORT2=9002 REDIS_PORT=6400 scripts/demo-redis.sh
#
# Installs what is missing on Debian 12 with rustup (scripts/setup.sh, redis-server via apt).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PORT1=${PORT1:-8888}
PORT2=${PORT2:-8889}

scripts/setup.sh
if ! command -v redis-server >/dev/null; then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq redis-server >/dev/null
fi
if [ -x www/build.sh ]; then
  www/build.sh
fi
cargo build --release --example chat_server --features redis
SERVER_BIN="$TARGET_DIR/release/examples/chat_server"

# Whether a server could listen on 127.0.0.1:PORT (SO_REUSEADDR, as the servers set it, so
# that connections of an earlier run in TIME_WAIT do not count).
port_free() {
  python3 - "$1" 2>/dev/null <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
PY
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
for port in "$PORT1" "$PORT2"; do
  port_free "$port" || {
    echo "demo-redis: 127.0.0.1:$port is in use; choose others with PORT1=... PORT2=..." >&2
    exit 1
  }
done
if [ -n "${REDIS_PORT:-}" ]; then
  port_free "$REDIS_PORT" || { echo "demo-redis: 127.0.0.1:$REDIS_PORT is in use" >&2; exit 1; }
elif port_free 6390; then
  REDIS_PORT=6390
else
  REDIS_PORT=$(free_port)
fi

PIDS=()
TMP=$(mktemp -d "${TMPDIR:-/tmp}/squall-demo-redis.XXXXXX")
cleanup() {
  trap - EXIT INT TERM
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
  echo "demo-redis: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for PID LOG PATTERN NAME: until LOG has a line matching PATTERN (30 s at most).
wait_for() {
  local pid=$1 log=$2 pattern=$3 name=$4
  for _ in $(seq 300); do
    grep -qs -- "$pattern" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -qs -- "$pattern" "$log" && return 0
  echo "demo-redis: $name did not start:" >&2
  cat "$log" >&2
  exit 1
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP" \
  >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
wait_for "$!" "$TMP/redis.log" 'Ready to accept connections' "redis-server on port $REDIS_PORT"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

# Each node's output goes to the terminal with its name in front, and to a log to read
# "listening on" from.
n=0
for port in "$PORT1" "$PORT2"; do
  n=$((n + 1))
  "$SERVER_BIN" --port "$port" --redis "$REDIS_URL" \
    > >(tee "$TMP/node$n.log" | sed -u "s/^/[node$n] /") 2>&1 &
  PIDS+=($!)
  wait_for "$!" "$TMP/node$n.log" '^listening on ' "chat node $n on port $port"
done

cat <<EOF

demo-redis: one chat on two nodes sharing redis-server $REDIS_URL
  node 1: http://127.0.0.1:$PORT1/
  node 2: http://127.0.0.1:$PORT2/
Open one in a tab and the other in a second tab (same ?room=NAME to pick a room).
Ctrl-C stops the nodes and redis-server.

EOF
# Until Ctrl-C, or until one of them stops by itself.
status=0
wait -n "${PIDS[@]}" || status=$?
echo "demo-redis: a process stopped (exit $status)" >&2
exit 1
