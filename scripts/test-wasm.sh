#!/usr/bin/env bash
# squall's browser tests: builds the native echo server (release), starts the servers the
# tests talk to, runs wasm-tests/ in headless Chromium (wasm-bindgen-test), stops the
# servers, and exits non-zero on failure. Installs what is missing first: Chromium and
# chromedriver (apt), the wasm32 target (rustup), wasm-bindgen-cli at Cargo.lock's version
# (cargo install, about 6 minutes the first time).
#
#   scripts/test-wasm.sh [TEST FILTER...]     # extra arguments go to `cargo test`
#   SQUALL_WASM_BROWSER=firefox scripts/test-wasm.sh
#                        # headless Firefox ESR instead (apt firefox-esr, and geckodriver
#                        # from crates.io, installed when missing)
#
# Servers, all on 127.0.0.1 (URLs baked into the test build as SQUALL_WASM_*):
#   echo     examples/echo_server --deflate --allow-origin <the test page's origin>
#   small    the same with --max-message-size 1024 (the server closes with 1009)
#   refused  examples/echo_server --allow-origin http://refused.invalid (403 for the page)
#   silent   a TCP listener that accepts and never answers (connect timeout)
# The test page's origin is pinned with WASM_BINDGEN_TEST_ADDRESS (SQUALL_WASM_PAGE_PORT
# chooses its port; default: a free one).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# --- tools ---------------------------------------------------------------------------
BROWSER=${SQUALL_WASM_BROWSER:-chromium}
case $BROWSER in
  chromium)
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
      echo "test-wasm: installing chromium and chromium-driver (apt)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    fi
    ;;
  firefox)
    if ! command -v firefox-esr >/dev/null; then
      echo "test-wasm: installing firefox-esr (apt)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null
    fi
    if ! command -v geckodriver >/dev/null; then
      echo "test-wasm: installing geckodriver (cargo install, a few minutes)"
      cargo install geckodriver
    fi
    ;;
  *) echo "test-wasm: SQUALL_WASM_BROWSER must be chromium or firefox" >&2; exit 2 ;;
esac
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
WB_VER=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VER" ] ||
   ! command -v wasm-bindgen-test-runner >/dev/null; then
  echo "test-wasm: installing wasm-bindgen-cli $WB_VER (takes a few minutes)"
  # Not --locked: its lockfile pins a webpki-roots that some registries do not serve.
  cargo install wasm-bindgen-cli --version "$WB_VER"
fi

# --- servers -------------------------------------------------------------------------
cargo build --release --example echo_server
ECHO_SERVER="$CARGO_TARGET_DIR/release/examples/echo_server"
LOGS=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$LOGS"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start VAR COMMAND...: runs COMMAND in the background (its PID kept for the trap) and sets
# VAR to the host:port it announces with "listening on 127.0.0.1:PORT". Not called in $(...):
# a subshell would lose the PID.
start() {
  local var=$1 log="$LOGS/$1.log"
  shift
  "$@" >"$log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$log"; then
      printf -v "$var" '%s' "$(awk '/^listening on / { print $3; exit }' "$log")"
      return
    fi
    sleep 0.1
  done
  echo "test-wasm: $var did not start:" >&2
  cat "$log" >&2
  return 1
}

PAGE_PORT=${SQUALL_WASM_PAGE_PORT:-$(free_port)}
PAGE_ORIGIN="http://127.0.0.1:$PAGE_PORT"
start ECHO "$ECHO_SERVER" --port 0 --deflate --allow-origin "$PAGE_ORIGIN"
start SMALL "$ECHO_SERVER" --port 0 --max-message-size 1024 --allow-origin "$PAGE_ORIGIN"
start REFUSED "$ECHO_SERVER" --port 0 --allow-origin http://refused.invalid
start SILENT python3 -c '
import socket
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(64)
print("listening on 127.0.0.1:%d" % server.getsockname()[1], flush=True)
held = []
while True:
    held.append(server.accept()[0])
'
echo "test-wasm: page $PAGE_ORIGIN, echo $ECHO, small $SMALL, refused $REFUSED, silent $SILENT"

# --- tests ---------------------------------------------------------------------------
export SQUALL_WASM_ECHO="ws://$ECHO"
export SQUALL_WASM_SMALL="ws://$SMALL"
export SQUALL_WASM_REFUSED="ws://$REFUSED/refused"
export SQUALL_WASM_SILENT="ws://$SILENT/"
export WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$PAGE_PORT"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
# The runner picks the driver from these variables before looking on PATH.
unset CHROMEDRIVER GECKODRIVER SAFARIDRIVER
if [ "$BROWSER" = firefox ]; then
  GECKODRIVER=$(command -v geckodriver)
  export GECKODRIVER
else
  CHROMEDRIVER=$(command -v chromedriver)
  export CHROMEDRIVER
fi
echo "test-wasm: browser $BROWSER"
cargo test -p squall-wasm-tests --target wasm32-unknown-unknown "$@"
