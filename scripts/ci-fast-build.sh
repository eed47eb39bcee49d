#!/usr/bin/env bash
# CI: the fast build (scripts/build-fast.sh: fat LTO, this CPU's instructions, PGO) writes the
# same bytes as the default release build. Installs the llvm-profdata that matches rustc's LLVM
# from Debian when it is missing (needs root and apt-get). Run after `cargo build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
if ! command -v "llvm-profdata-$major" > /dev/null 2>&1 && [ ! -x "/usr/lib/llvm-$major/bin/llvm-profdata" ]; then
  echo "installing llvm-$major (llvm-profdata for scripts/build-fast.sh)" >&2
  apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "llvm-$major" > /dev/null; then
    # The check needs the package; without it there is nothing to build, so say so loudly.
    echo "warning: llvm-$major cannot be installed here: the fast build's byte check is SKIPPED" >&2
    exit 0
  fi
fi
fast=$(scripts/build-fast.sh)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
# `check NAME ARGS...`: both binaries run `ARGS --out DIR --quiet`; their folders must match.
check() {
  local name=$1
  shift
  target/release/safetynet "$@" --out "$out/default-$name" --quiet > /dev/null
  "$fast" "$@" --out "$out/fast-$name" --quiet > /dev/null
  if diff -rq -x manifest.json "$out/default-$name" "$out/fast-$name"; then
    echo "fast build: $name: same bytes"
  else
    echo "fast build: $name: outputs differ from the default build" >&2
    status=1
  fi
}
for s in baseline reference-model full-system-2023 held-caseload; do
  check "$s" run "scenarios/$s.toml" --households 20000 --reps 2
done
check backtest backtest scenarios/baseline.toml --from 2017 --fit-until 2021 --households 10000 --reps 2
exit $status
