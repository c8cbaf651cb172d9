#!/usr/bin/env bash
# Submits an `armor prune` run to Slurm as three chained jobs over a shared work folder:
#   stats (the calibration pass) → a job array of N shards → assemble (writes the checkpoint),
# each started only when the one before ended well (--dependency=afterok). Prints the three job ids.
#
#   deploy/slurm/submit.sh --shards N --model DIR --calib FILE --out DIR [--cpus C] [--stats-shards M] \
#                          [--sbatch "ARGS"] [-- more prune options, e.g. --method armor --iters 20000 --samples 128]
#
# --model, --calib and --out must be on a filesystem every node mounts at the same path (the work folder is
# .OUT.armor-work beside --out). --cpus: CPUs per shard (default 8; also --threads of each worker).
# --stats-shards M: split the calibration pass by samples over an array of M jobs (default 1: one job).
# --sbatch: extra sbatch options for every job (partition, account, --time, --mem).
# ARMOR: the armor launcher to run (default: the one in this checkout); it is built once here before submitting.
# Logs: ARMOR_SLURM_LOGS (default: armor-slurm-logs beside --out), one file per job and array task.
# The method defaults to armor; magnitude has no stats job, wanda and sparsegpt (sequential) run as one job.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
armor=${ARMOR:-$(cd "$here/../.." && pwd)/armor}
shards="" model="" calib="" out="" cpus=8 extra_sbatch="" stats_shards=1
die() { echo "submit.sh: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    --shards) shards=${2:-}; shift 2 ;;
    --model) model=${2:-}; shift 2 ;;
    --calib) calib=${2:-}; shift 2 ;;
    --out) out=${2:-}; shift 2 ;;
    --cpus) cpus=${2:-}; shift 2 ;;
    --stats-shards) stats_shards=${2:-}; shift 2 ;;
    --sbatch) extra_sbatch=${2:-}; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1, expected --shards, --model, --calib, --out, --cpus, --stats-shards, --sbatch or -- PRUNE-OPTIONS" ;;
  esac
done
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "--shards '$shards', expected a positive number of shards"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus '$cpus', expected a positive number"
[[ $stats_shards =~ ^[1-9][0-9]*$ ]] || die "--stats-shards '$stats_shards', expected a positive number"
[[ -n $model && -d $model ]] || die "--model '$model', expected a model folder"
[[ -n $out ]] || die "--out is missing, expected the checkpoint folder to write"
[[ -e $out ]] && die "--out $out already exists, expected a new folder"
method=armor
prune_args=("$@")
for ((i = 0; i < ${#prune_args[@]}; i++)); do
  [[ ${prune_args[i]} == --method ]] && method=${prune_args[i+1]:-}
done
[[ " ${prune_args[*]} " == *" --method "* ]] || prune_args=(--method armor "${prune_args[@]}")
if [[ $method != magnitude ]]; then
  [[ -n $calib && -f $calib ]] || die "--calib '$calib', expected the calibration text file"
  prune_args+=(--calib "$(cd "$(dirname "$calib")" && pwd)/$(basename "$calib")")
fi
model=$(cd "$model" && pwd)
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
logs=${ARMOR_SLURM_LOGS:-$(dirname "$out")/armor-slurm-logs}
mkdir -p "$logs"
"$armor" --version >/dev/null # build once here, not in every job at the same time

common=(--parsable --cpus-per-task="$cpus" --nodes=1 --ntasks=1)
read -r -a more <<<"$extra_sbatch"
common+=("${more[@]}")
stage="$here/prune-stage.sbatch"
run=("$armor" "$model" "$out" "${prune_args[@]}")
case $method in
  wanda|sparsegpt)
    # layer ℓ is calibrated on the pruned layers before it: no shards, one job does it all
    id=$(sbatch "${common[@]}" --job-name=armor-prune --output="$logs/%x-%j.out" "$stage" whole "${run[@]}")
    echo "prune: $id ($method is sequential: one job, no shards)"
    exit 0 ;;
esac
dep=()
if [[ $method != magnitude ]]; then
  if ((stats_shards > 1)); then
    stats=$(sbatch "${common[@]}" --job-name=armor-stats --array="0-$((stats_shards - 1))" \
      --output="$logs/%x-%A_%a.out" "$stage" "stats/$stats_shards" "${run[@]}")
    echo "stats: $stats (array 0-$((stats_shards - 1)))"
  else
    stats=$(sbatch "${common[@]}" --job-name=armor-stats --output="$logs/%x-%j.out" "$stage" stats "${run[@]}")
    echo "stats: $stats"
  fi
  dep=(--dependency="afterok:${stats%%;*}")
fi
array=$(sbatch "${common[@]}" "${dep[@]}" --job-name=armor-shard --array="0-$((shards - 1))" \
  --output="$logs/%x-%A_%a.out" "$stage" "shard/$shards" "${run[@]}")
echo "shards: $array (array 0-$((shards - 1)))"
assemble=$(sbatch "${common[@]}" --dependency="afterok:${array%%;*}" --job-name=armor-assemble \
  --output="$logs/%x-%j.out" "$stage" assemble "${run[@]}")
echo "assemble: $assemble"
