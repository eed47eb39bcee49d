#!/usr/bin/env bash
# China at 1:1 (issue 12): the calibrated baseline with one sample household per real
# household (494 million), one replication, under `/usr/bin/time -v`, and its wall time and
# peak memory written to results/china-1to1.time.txt (and printed; beside the results folder,
# which safetynet replaces whole and refuses to reuse when it holds a file it did not write).
#
#   scripts/run-china.sh [HOUSEHOLDS] [extra `safetynet run` options...]
#
# HOUSEHOLDS defaults to 494000000 (about 24 minutes of both cores on the 2-core VM: run it
# when the machine is otherwise idle). A smaller count (e.g. 20000000) gives the figures to
# extrapolate from: time is proportional to households (no population array is held).
set -euo pipefail
cd "$(dirname "$0")/.."
households="${1:-494000000}"
shift || true
out="results/china-1to1"
[ "$households" = 494000000 ] || out="results/china-$households"
cargo build --release --quiet
bin=target/release/safetynet
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
load_before="$(uptime)"
/usr/bin/time -v "$bin" run scenarios/baseline.toml --households "$households" --reps 1 \
  --out "$out" --quiet "$@" >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
load_after="$(uptime)"
wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")"
user="$(sed -n 's/.*User time (seconds): //p' "$log")"
sys="$(sed -n 's/.*System time (seconds): //p' "$log")"
cpu="$(sed -n 's/.*Percent of CPU this job got: //p' "$log")"
rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")"
{
  echo "command: $bin run scenarios/baseline.toml --households $households --reps 1 --out $out --quiet $*"
  echo "commit: $(git rev-parse --short HEAD)"
  echo "households: $households"
  echo "wall: $wall (h:mm:ss or m:ss)"
  echo "user: $user s, system: $sys s, CPU: $cpu"
  echo "peak RSS: $rss_kb KiB ($(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }') MiB)"
  echo "load before: $load_before"
  echo "load after: $load_after"
} | tee "$out.time.txt"
