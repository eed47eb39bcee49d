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
for s in baseline reference-model full-system-2023 held-caseload; do
  for b in target/release/safetynet "$fast"; do
    tag=$([ "$b" = "$fast" ] && echo fast || echo default)
    "$b" run "scenarios/$s.toml" --households 20000 --reps 2 --out "$out/$tag-$s" --quiet > /dev/null
  done
  if diff -rq -x manifest.json "$out/default-$s" "$out/fast-$s"; then
    echo "fast build: $s: same bytes"
  else
    echo "fast build: $s: outputs differ from the default build" >&2
    status=1
  fi
done
for b in target/release/safetynet "$fast"; do
  tag=$([ "$b" = "$fast" ] && echo fast || echo default)
  "$b" backtest scenarios/baseline.toml --from 2017 --fit-until 2021 --households 10000 --reps 2 \
    --out "$out/$tag-backtest" --quiet > /dev/null
done
if diff -rq -x manifest.json "$out/default-backtest" "$out/fast-backtest"; then
  echo "fast build: backtest: same bytes"
else
  echo "fast build: backtest: outputs differ from the default build" >&2
  status=1
fi
exit $status
