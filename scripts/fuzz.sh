#!/usr/bin/env bash
# Fuzzes squall's parsers and protocol core with cargo-fuzz (libFuzzer, nightly Rust).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#       runs each target (default: all seven) for SECONDS_PER_TARGET (default 60) on
#       fuzz/corpus/<target>/, which grows with what the fuzzer finds; prints per target
#       the executions, the corpus size and whether anything crashed; exits 1 if one did.
#   scripts/fuzz.sh cmin [TARGET...]
#       minimizes fuzz/corpus/<target>/ with `cargo fuzz cmin`, then rewrites the seeds
#       (fuzz/seeds.py), so the committed corpus stays small and keeps the RFC vectors.
#
# Installs the nightly toolchain and cargo-fuzz when they are missing. Environment:
#   SANITIZER=none|address   (default none: squall has no unsafe code, and AddressSanitizer
#                            slows the targets that build zlib states 10-25x; use address
#                            for a pass over the unsafe code of dependencies such as zlib-rs)
#   FUZZ_ARGS="..."          extra libFuzzer flags, e.g. "-max_len=16384"
# Crashing inputs are saved under fuzz/artifacts/<target>/; reproduce one with
#   cd fuzz && cargo +nightly fuzz run -a <target> artifacts/<target>/<file>
# Corpus inputs also run on stable as tests: cargo test --all-features --test fuzz_corpus
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

all_targets=(frame_header extensions handshake_request handshake_response connect_request receive_server receive_client inflate)

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked
fi
sanitizer=${SANITIZER:-none}

mode=run
if [ "${1:-}" = cmin ]; then
  mode=cmin
  shift
fi
seconds=60
if [ "$mode" = run ] && [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

cd fuzz
logs=$root/fuzz/target/logs
mkdir -p "$logs"
# Release builds with debug assertions and overflow checks (-a), as the fuzz runs below.
if ! cargo +nightly fuzz build -a --sanitizer "$sanitizer" >"$logs/build.log" 2>&1; then
  cat "$logs/build.log" >&2
  exit 1
fi

if [ "$mode" = cmin ]; then
  for target in "${targets[@]}"; do
    before=$(ls "corpus/$target" | wc -l)
    cargo +nightly fuzz cmin -a --sanitizer "$sanitizer" "$target" "corpus/$target" >"$logs/$target.cmin.log" 2>&1
    after=$(ls "corpus/$target" | wc -l)
    echo "$target: $before -> $after inputs"
  done
  python3 seeds.py >/dev/null
  du -sh --apparent-size corpus
  exit 0
fi

failed=0
summary=()
for target in "${targets[@]}"; do
  before=$(ls "corpus/$target" | wc -l)
  log=$logs/$target.log
  echo "==== $target: ${seconds}s"
  status=0
  # shellcheck disable=SC2086
  cargo +nightly fuzz run -a --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  after=$(ls "corpus/$target" | wc -l)
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    failed=1
    artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -1 | sed 's/Test unit written to //')
    result="CRASH (exit $status) ${artifact:-see $log}"
    grep -m1 -A12 -E 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer' "$log" | sed 's/^/    /' || true
  fi
  line=$(printf '%-19s %12s execs in %4ss  corpus %5s -> %5s  %s' "$target" "${runs:-?}" "$seconds" "$before" "$after" "$result")
  echo "$line"
  summary+=("$line")
done

echo
echo "==== summary (sanitizer: $sanitizer; logs in fuzz/target/logs/)"
printf '%s\n' "${summary[@]}"
exit $failed
