#!/usr/bin/env bash
# Size of a minimal browser WebSocket client's .wasm (issue 7, item 5): squall against
# gloo-net and tokio-tungstenite-wasm. Each crate here does the same thing from
# `#[wasm_bindgen] pub async fn run(url) -> Result<String, JsValue>`: connect, send one
# text message, read one message, close.
#
# For each: cargo build --release --target wasm32-unknown-unknown (profile in Cargo.toml:
# opt-level "z", lto, codegen-units 1, panic abort, debuginfo stripped), then
# wasm-bindgen --target web, then wasm-opt -Oz (npm binaryen@132, installed under
# target/wasm-size-tools/; not Debian's wasm-opt 108, which breaks current wasm-bindgen
# output), then gzip -9. Prints one markdown table.
#
#   bench/wasm-size/measure.sh
#   CARGO_TARGET_DIR=/somewhere bench/wasm-size/measure.sh
#   NICE="nice -n 19" bench/wasm-size/measure.sh    # prefix for cargo and wasm-opt
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
export CARGO_TARGET_DIR=$TARGET_DIR
NICE=${NICE:-}
OUT=$HERE/out
BINARYEN_VERSION=132

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
WB_VER=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VER" ]; then
  echo "measure: installing wasm-bindgen-cli $WB_VER (takes a few minutes)" >&2
  # Not --locked: its lockfile pins a webpki-roots that some registries do not serve.
  cargo install wasm-bindgen-cli --version "$WB_VER"
fi
TOOLS=$TARGET_DIR/wasm-size-tools
WASM_OPT=$TOOLS/node_modules/.bin/wasm-opt
if [ ! -x "$WASM_OPT" ]; then
  echo "measure: installing wasm-opt (npm binaryen@$BINARYEN_VERSION)" >&2
  npm install --silent --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
fi

size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
# 12345 -> "12,345 B (12.1 KiB)"
fmt() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); t = ""; while (length(s) > 3) { t = "," substr(s, length(s) - 2) t; s = substr(s, 1, length(s) - 3) } printf "%s%s B (%.1f KiB)", s, t, n / 1024 }'; }
version() { awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock; }

# package | library name as shown in the table
CRATES=(
  "size-squall|squall (path, features = [\"client\"])"
  "size-gloo-net|gloo-net $(version gloo-net) (features = [\"websocket\"])"
  "size-tokio-tungstenite-wasm|tokio-tungstenite-wasm $(version tokio-tungstenite-wasm)"
)

rm -rf "$OUT"
mkdir -p "$OUT"
ROWS=()
for entry in "${CRATES[@]}"; do
  pkg=${entry%%|*}
  label=${entry#*|}
  stem=${pkg//-/_}
  echo "measure: building $pkg" >&2
  $NICE cargo build --quiet --release --target wasm32-unknown-unknown -p "$pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$OUT/$pkg" \
    "$TARGET_DIR/wasm32-unknown-unknown/release/$stem.wasm"
  raw=$OUT/$pkg/${stem}_bg.wasm
  js=$OUT/$pkg/$stem.js
  raw_size=$(size "$raw")
  $NICE "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-sign-ext --enable-mutable-globals \
    "$raw" -o "$raw.opt"
  mv "$raw.opt" "$raw"
  ROWS+=("| $label | $(fmt "$raw_size") | $(fmt "$(size "$raw")") | $(fmt "$(gz "$raw")") | $(fmt "$(gz "$js")") |")
done

echo
echo "wasm-bindgen $WB_VER (--target web), wasm-opt $("$WASM_OPT" --version | awk '{print $3}') -Oz, gzip -9;" \
  "$(rustc --version | awk '{print $1, $2}'), profile: opt-level z, lto, codegen-units 1, panic abort"
echo
echo "| crate | .wasm raw (after wasm-bindgen) | after wasm-opt -Oz | gzipped (.wasm after wasm-opt) | JS glue gzipped |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
echo "Output (wasm-opt'd .wasm and JS glue): $OUT/" >&2
