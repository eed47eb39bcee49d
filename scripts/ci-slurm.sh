#!/usr/bin/env bash
# CI: a real single-node Slurm (Debian's munge, slurmctld, slurmd; no systemd needed) runs
# the baseline as a 4-task job array of shards and a dependent merge job, written by
# `safetynet slurm`; the merged summary.csv and replications.csv must equal, byte for byte,
# those of one process. Slurm is shut down whatever happens (trap). Needs root and apt-get.
# What works on these machines and the traps: ../shared/SLURM.md (cgroups off, hostname must
# resolve, RealMemory <= what slurmd detects, sbatch --wait exits 0 for jobs that never ran).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
BIN="${SAFETYNET_BIN:-$PWD/target/release/safetynet}"
SIZE=(--households 20000 --reps 4 --years 3)
WORK="$(mktemp -d /tmp/safetynet-slurm.XXXXXX)"
chmod 755 "$WORK"
# Slurm's configuration, state, spool, logs and PID files live in the work folder (SLURM_CONF
# points every daemon and client there): nothing under /etc/slurm or /var/spool is written, so the
# script cannot clobber a real node's configuration.
ETC="$WORK/slurm-etc"
export SLURM_CONF="$ETC/slurm.conf"

if [ "$(id -u)" != 0 ]; then
  echo "ci-slurm: needs root (installs and starts Slurm)" >&2
  exit 1
fi
[ -x "$BIN" ] || cargo build --release --quiet

MUNGE_PID=""
cleanup() {
  set +e
  if command -v scontrol >/dev/null 2>&1; then scontrol shutdown >/dev/null 2>&1; fi
  sleep 1
  # PID files may be stale (slurmctld cannot remove its own in a root-owned /run): check the
  # process name before signalling.
  for pf in "$ETC/slurmctld.pid" "$ETC/slurmd.pid"; do
    if [ -f "$pf" ]; then
      p=$(cat "$pf")
      case "$(cat /proc/"$p"/comm 2>/dev/null)" in slurmctld|slurmd) kill "$p" ;; esac
      rm -f "$pf"
    fi
  done
  if [ -n "$MUNGE_PID" ] && [ "$(cat /proc/"$MUNGE_PID"/comm 2>/dev/null)" = munged ]; then
    kill "$MUNGE_PID"
    for _ in $(seq 1 50); do [ -d /proc/"$MUNGE_PID" ] || break; sleep 0.1; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  echo "ci-slurm: installing munge and Slurm from Debian's packages" >&2
  # Where systemd runs, keep the packages from starting their services.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq munge slurmctld slurmd slurm-client >/dev/null
  [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
fi

host=$(hostname -s)
getent hosts "$host" >/dev/null || echo "127.0.1.1 $host" >> /etc/hosts

# munge: runtime dir, key owned by munge (0400), daemon as the munge user.
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || mungekey --create
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
runuser -u munge -- /usr/sbin/munged
MUNGE_PID=$(cat /run/munge/munged.pid)

cpus=$(nproc)
mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
install -d -m 0755 "$ETC"
install -d -o slurm -g slurm "$ETC/state" "$ETC/log"
install -d "$ETC/spool"
cat > "$SLURM_CONF" <<EOF
ClusterName=ci
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
MinJobAge=4
MailProg=/bin/true
SlurmctldPidFile=$ETC/slurmctld.pid
SlurmdPidFile=$ETC/slurmd.pid
SlurmctldLogFile=$ETC/log/slurmctld.log
SlurmdLogFile=$ETC/log/slurmd.log
StateSaveLocation=$ETC/state
SlurmdSpoolDir=$ETC/spool
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -c
slurmd
for _ in $(seq 1 30); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo

# One process, then the same run as 4 shards on Slurm.
"$BIN" run scenarios/baseline.toml "${SIZE[@]}" --quiet --out "$WORK/one" >/dev/null
"$BIN" slurm scenarios/baseline.toml --shards 4 "${SIZE[@]}" --cpus 1 --time 00:10:00 \
  --work "$WORK/slurm" --out "$WORK/merged"
jid=$(sbatch --parsable "$WORK/slurm/shards.sbatch")
jid=${jid%%;*}
sbatch --wait --dependency=afterok:"$jid" "$WORK/slurm/merge.sbatch" >/dev/null || true

# sbatch --wait exits 0 even for jobs that never ran: check what the tasks wrote.
fail=0
for i in 1 2 3 4; do
  if [ ! -f "$WORK/slurm/shards/shard-$i/shard.json" ]; then
    echo "ci-slurm: FAIL: array task $i wrote no shard" >&2
    cat "$WORK/slurm/logs/shard-$i.out" >&2 2>/dev/null || true
    fail=1
  fi
done
for f in summary.csv replications.csv; do
  if [ ! -f "$WORK/merged/$f" ]; then
    echo "ci-slurm: FAIL: the merge job wrote no $f" >&2
    cat "$WORK/slurm/logs/merge.out" >&2 2>/dev/null || true
    fail=1
  elif ! cmp "$WORK/one/$f" "$WORK/merged/$f"; then
    echo "ci-slurm: FAIL: $f of the 4 Slurm shards differs from one process" >&2
    fail=1
  fi
done
# `safetynet slurm --submit` does the two sbatch calls itself; wait for its merge job.
"$BIN" slurm scenarios/baseline.toml --shards 4 "${SIZE[@]}" --cpus 1 \
  --work "$WORK/slurm2" --out "$WORK/merged2" --submit | tee "$WORK/submit.txt"
mid=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' "$WORK/submit.txt")
for _ in $(seq 1 120); do
  [ -n "$mid" ] && [ -z "$(squeue -h -j "$mid" 2>/dev/null)" ] && break
  sleep 1
done
for f in summary.csv replications.csv; do
  if [ ! -f "$WORK/merged2/$f" ] || ! cmp "$WORK/one/$f" "$WORK/merged2/$f"; then
    echo "ci-slurm: FAIL: $f from \`safetynet slurm --submit\` is missing or differs" >&2
    cat "$WORK/slurm2/logs/"*.out >&2 2>/dev/null || true
    fail=1
  fi
done
if [ "$fail" != 0 ]; then
  tail -n 20 "$ETC/log/slurmctld.log" "$ETC/log/slurmd.log" >&2 || true
  exit 1
fi
echo "ci-slurm: ok: 4 Slurm array tasks + merge = one process, byte for byte (summary.csv, replications.csv), with the printed commands and with --submit; $(( $(date +%s) - start )) s"
