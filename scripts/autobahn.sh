#!/usr/bin/env bash
# Runs the Autobahn|Testsuite (../shared/autobahn) against squall's echo_server and
# autobahn_client examples (built with `cargo build --release --examples`).
#   scripts/autobahn.sh          the CI subset: cases 1-8, 10, 11 both roles, plus a
#                                permessage-deflate smoke test (12.1.*, 13.1.*)
#   scripts/autobahn.sh --full   every case, 9.* and all of 12.*/13.* included (~25 min per role)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
autobahn=${AUTOBAHN_DIR:-$root/../shared/autobahn}
full=false
[ "${1:-}" = "--full" ] && full=true
out=$root/target/autobahn
mkdir -p "$out"

start_server() {
  # Port 0: the server picks a free port and prints it.
  "$root/target/release/examples/echo_server" --port 0 --max-message-size 67108864 "$@" >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    if grep -q listening "$out/server.log"; then
      url=ws://$(sed -n 's/^listening on //p' "$out/server.log")
      return
    fi
    sleep 0.1
  done
  echo "echo_server did not start" >&2; cat "$out/server.log" >&2; exit 1
}
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap stop_server EXIT

if $full; then
  start_server --deflate
  "$autobahn/test-server.sh" "$url" --agent squall --out "$out/server-full"
  stop_server
else
  start_server
  "$autobahn/test-server.sh" "$url" --agent squall --fast --exclude '12.*,13.*' --out "$out/server"
  stop_server
  start_server --deflate
  "$autobahn/test-server.sh" "$url" --agent squall-deflate --cases '12.1.*,13.1.*' --out "$out/server-deflate"
  stop_server
fi

client=$root/target/release/examples/autobahn_client
if [ -x "$client" ]; then
  if $full; then
    "$autobahn/test-client.sh" --timeout 3600 --port "${AUTOBAHN_CLIENT_PORT:-9001}" --out "$out/client-full" -- "$client" --deflate
  else
    "$autobahn/test-client.sh" --fast --exclude '12.*,13.*' --port "${AUTOBAHN_CLIENT_PORT:-9001}" --out "$out/client" -- "$client"
    "$autobahn/test-client.sh" --cases '12.1.*,13.1.*' --port "${AUTOBAHN_CLIENT_PORT:-9001}" --out "$out/client-deflate" -- "$client" --deflate
  fi
fi
