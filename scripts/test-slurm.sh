#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine runs deploy/slurm/submit.sh (stats split over 2 array tasks →
# 4 shards → assemble) on
# stories260K, and the assembled checkpoint must equal a one-machine run byte for byte. .ci/run calls it after the
# main suite. Needs root (installs slurmctld, slurmd, slurm-client and munge from Debian's packages when missing).
# Starts munged (as the munge user) and the two daemons directly (no systemd), on their own ports, socket and
# state folder; on exit cancels its jobs and stops only the daemons it started, by PID.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(cd "${ARMOR_SHARED:-$root/../shared}" && pwd)
say() { echo "test-slurm: $*"; }
fail() { echo "test-slurm: FAILED: $*" >&2; exit 1; }

if [[ $(id -u) -ne 0 ]]; then fail "needs root (installs packages, starts munged as the munge user)"; fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
   || ! command -v munged >/dev/null; then
  say "installing Slurm and munge from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update </dev/null >/dev/null || fail "apt-get update"
  timeout 900 apt-get install -y slurmctld slurmd slurm-client munge </dev/null >/dev/null \
    || fail "apt-get install -y slurmctld slurmd slurm-client munge"
fi

work=$(mktemp -d /tmp/armor-slurm.XXXXXX)
chmod 755 "$work"
pids=() jobs=()
cleanup() {
  local rc=$?
  set +e
  if ((${#jobs[@]})); then scancel "${jobs[@]}" 2>/dev/null; sleep 1; fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  if ((rc != 0)); then
    for f in "$work"/log/*.log "$work"/out/armor-slurm-logs/*; do
      [[ -f $f ]] && { echo "--- $f (last lines)"; tail -n 20 "$f"; }
    done
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge: its own key, socket, log and seed under $work/munge, owned by munge (munged refuses loose permissions)
mkdir -p "$work/munge" "$work/log" "$work/state" "$work/spool" "$work/out"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$work/munge"
chmod 755 "$work/munge"
chmod 400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
runuser -u munge -- /usr/sbin/munged --foreground --socket="$socket" --key-file="$work/munge/munge.key" \
  --log-file="$work/munge/munged.log" --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
  </dev/null >"$work/log/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -S $socket ]] && break; sleep 0.1; done
[[ -S $socket ]] || fail "munged did not create its socket within 10 s"

cpus=$(nproc)
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
cat >"$work/slurm.conf" <<CONF
ClusterName=armortest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=armornode NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=armor Nodes=armornode Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
/usr/sbin/slurmctld -D -i -f "$SLURM_CONF" </dev/null >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
/usr/sbin/slurmd -D -N armornode -f "$SLURM_CONF" </dev/null >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
say "cluster: slurmctld on port $port, one node of $cpus CPUs"
state=""
for _ in $(seq 60); do
  state=$(timeout 5 sinfo -h -N -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 1
done
[[ $state == idle ]] || fail "the node is '$state' after 60 s, expected idle (see the logs above)"

model=$shared/models/stories260K-hf
calib=$shared/data/tinystories/tinystories.txt
args=(--method armor --block 4 --iters 300 --windows 0:16 --seq 256)
say "one-machine reference run"
"$root/armor" --version >/dev/null
"$root/armor" prune --model "$model" --calib "$calib" "${args[@]}" --out "$work/reference" </dev/null >/dev/null 2>"$work/log/reference.log" \
  || fail "the one-machine run failed (see $work/log/reference.log above)"

say "submitting stats (2 array tasks, split by samples) → 4 shards → assemble"
ids=$("$root/deploy/slurm/submit.sh" --shards 4 --stats-shards 2 --cpus 1 --model "$model" --calib "$calib" --out "$work/out/pruned" \
  -- "${args[@]}" </dev/null) || fail "submit.sh failed"
echo "$ids" | sed 's/^/  /'
while read -r name id _; do jobs+=("${id%%;*}"); done <<<"$ids"
((${#jobs[@]} == 3)) || fail "expected three job ids from submit.sh, got: $ids"

deadline=$((SECONDS + 900))
while [[ -n $(squeue -h -j "$(IFS=,; echo "${jobs[*]}")" -o %i 2>/dev/null) ]]; do
  ((SECONDS < deadline)) || fail "jobs still queued or running after 900 s: $(squeue -h -o '%i %j %T %r')"
  sleep 2
done
for id in "${jobs[@]}"; do
  st=$(scontrol -o show job "$id" | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' ')
  [[ $st == "JobState=COMPLETED " ]] || fail "job $id ended with $st, expected JobState=COMPLETED"
done
tasks=$(scontrol -o show job "${jobs[0]}" | grep -c 'JobState=COMPLETED')
((tasks == 2)) || fail "expected 2 completed stats array tasks, got $tasks"
tasks=$(scontrol -o show job "${jobs[1]}" | grep -c 'JobState=COMPLETED')
((tasks == 4)) || fail "expected 4 completed shard array tasks, got $tasks"

for f in model.safetensors config.json; do
  cmp "$work/reference/$f" "$work/out/pruned/$f" || fail "$f of the Slurm run differs from the one-machine run"
done
[[ ! -e $work/out/.pruned.armor-work ]] || fail "the work folder was left behind"
say "OK: stats (2 tasks) → 4 shards → assemble on Slurm is byte-identical to the one-machine run"
