#!/usr/bin/env bash
# Build the fastest safetynet binary for this machine, for very large runs (China at 1:1, issue 12):
# the release profile with fat LTO, code generated for this CPU (`-C target-cpu=native`) and
# profile-guided optimisation (PGO): an instrumented build runs a training workload (the baseline
# and the reference model, small samples), `llvm-profdata` merges what it recorded, and the final
# build uses it. None of the three changes an output byte: Rust does not contract or reorder
# floating-point operations without being told, and the training only moves code layout and
# inlining (`.ci/run` checks the bytes against the default build).
#
#   scripts/build-fast.sh            # prints the binary's path: target/fast/release/safetynet
#
# Needs an `llvm-profdata` of the LLVM major version that rustc was built with (`rustc -vV`):
# on Debian `apt-get install llvm-<major>` (/usr/lib/llvm-<major>/bin), or rustup's llvm-tools.
# The binary runs only on CPUs with this one's instruction set: build it where it runs.
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
profdata=""
for cand in "llvm-profdata-$major" "/usr/lib/llvm-$major/bin/llvm-profdata" \
    "$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-profdata"; do
  if command -v "$cand" > /dev/null 2>&1; then
    profdata=$(command -v "$cand")
    break
  fi
done
if [[ -z "$profdata" ]]; then
  echo "build-fast.sh: no llvm-profdata for LLVM $major (rustc's); install it: apt-get install llvm-$major, or rustup component add llvm-tools" >&2
  exit 2
fi

dir=target/fast
data="$dir/pgo-data"
rm -rf "$data"
mkdir -p "$data"
export CARGO_PROFILE_RELEASE_LTO=fat
native="-C target-cpu=native"

# 1. Instrumented build and the training runs (their outputs are thrown away).
RUSTFLAGS="$native -Cprofile-generate=$PWD/$data" \
  cargo build --release --quiet --target-dir "$dir/gen"
train=$(mktemp -d)
trap 'rm -rf "$train"' EXIT
gen="$dir/gen/release/safetynet"
"$gen" run scenarios/baseline.toml --households 200000 --reps 2 --out "$train/baseline" --quiet > /dev/null
"$gen" run scenarios/reference-model.toml --households 200000 --reps 2 --out "$train/reference" --quiet > /dev/null

# 2. Merge, and the final build.
"$profdata" merge -o "$dir/merged.profdata" "$data"
RUSTFLAGS="$native -Cprofile-use=$PWD/$dir/merged.profdata" \
  cargo build --release --quiet --target-dir "$dir"
echo "$dir/release/safetynet"
