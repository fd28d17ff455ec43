#!/usr/bin/env bash
# Builds the chat demo (www/app, Rust on squall's client API) to wasm and writes www/pkg/
# (squall_chat.js + squall_chat_bg.wasm) with `wasm-bindgen --target web`. Installs what it
# needs: the wasm32 target (rustup) and wasm-bindgen-cli at Cargo.lock's version.
#
#   www/build.sh          # then: cargo run --release --example chat_server
#   www/build.sh --opt    # also runs wasm-opt -Os from npm binaryen@132 (installed locally,
#                         # under target/www-tools/; never Debian's wasm-opt 108, which
#                         # breaks current wasm-bindgen output)
#
# Prints the .wasm size raw, after wasm-opt (with --opt) and gzipped.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OPT=false
for arg in "$@"; do
  case $arg in
    --opt) OPT=true ;;
    *) echo "usage: www/build.sh [--opt]" >&2; exit 2 ;;
  esac
done

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
WB_VER=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VER" ]; then
  echo "build: installing wasm-bindgen-cli $WB_VER (takes a few minutes)"
  # Not --locked: its lockfile pins a webpki-roots that some registries do not serve.
  cargo install wasm-bindgen-cli --version "$WB_VER"
fi

cargo build -p squall-chat --target wasm32-unknown-unknown --profile wasm-release
rm -rf www/pkg
wasm-bindgen --target web --no-typescript --out-dir www/pkg \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/squall_chat.wasm"
WASM=www/pkg/squall_chat_bg.wasm
size() { wc -c <"$1" | tr -d ' '; }
echo "build: $WASM raw $(size "$WASM") bytes"

if $OPT; then
  TOOLS="$ROOT/target/www-tools"
  WASM_OPT="$TOOLS/node_modules/.bin/wasm-opt"
  if [ ! -x "$WASM_OPT" ]; then
    npm install --silent --prefix "$TOOLS" binaryen@132 >/dev/null
  fi
  "$WASM_OPT" -Os --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-sign-ext --enable-mutable-globals \
    "$WASM" -o "$WASM.opt"
  mv "$WASM.opt" "$WASM"
  echo "build: $WASM after wasm-opt -Os $(size "$WASM") bytes"
fi
echo "build: $WASM gzipped $(gzip -9 -c "$WASM" | wc -c | tr -d ' ') bytes"
echo "build: serve it with: cargo run --release --example chat_server   (http://127.0.0.1:8888/)"
