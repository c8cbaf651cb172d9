#!/usr/bin/env bash
# Reproduces docs/results.md: stories260K-hf pruned to 2:4 with every method, calibrated on windows 0:64 of
# tinystories.txt (256 tokens each), perplexity on windows 64: (64..392) with the same protocol.
#   scripts/stories-results.sh [WORK_DIR]     (default: bench-results/stories260K, which git ignores)
# Environment: ARMOR_SHARED (default ../shared), ARMOR_BUILD_DIR (as for ./armor), ARMOR_DEFAULT_ITERS (iterations
# of the b = 128 ARMOR run, default 20000).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${ARMOR_SHARED:-$root/../shared}
work=${1:-$root/bench-results/stories260K}
model=$shared/models/stories260K-hf
text=$shared/data/tinystories/tinystories.txt
default_iters=${ARMOR_DEFAULT_ITERS:-20000}
armor=("$root/armor")
mkdir -p "$work"

# name | prune arguments
runs=(
  "magnitude|--method magnitude"
  "wanda|--method wanda"
  "sparsegpt|--method sparsegpt"
  "nowag-p|--method nowag-p"
  "armor-b128|--method armor --block 128 --iters $default_iters"
  "armor-b4|--method armor --block 4 --iters 5000"
)
calib=(--calib "$text" --windows 0:64 --seq 256)

report_only=${ARMOR_REPORT_ONLY:-0}
for r in "${runs[@]}"; do
  [[ $report_only == 1 ]] && break
  name=${r%%|*}; args=${r#*|}
  rm -rf "$work/$name" "$work/.$name.armor-work"
  echo "== armor prune $args -> $work/$name" >&2
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "${armor[@]}" prune --model "$model" $args "${calib[@]}" --out "$work/$name" >"$work/$name.log" 2>"$work/$name.err"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }' >"$work/$name.seconds"
done

if [[ $report_only != 1 ]]; then
echo "== armor eval compare (windows 64:)" >&2
"${armor[@]}" eval compare --text "$text" --seq 256 --windows 64: "$model" \
  $(for r in "${runs[@]}"; do echo "$work/${r%%|*}"; done) >"$work/compare.txt" 2>"$work/compare.err"
echo "== armor bench-armor (4096×4096, b = 128, 2 threads), three runs" >&2
for i in 1 2 3; do "${armor[@]}" bench-armor --threads 2 2>/dev/null | head -1; done >"$work/bench-armor.txt"
fi

# ---- docs/results.md ----
# The sections from "## int8 weights" on are not this script's: kept as they are (stories-int8-results.sh, below,
# replaces its own section in place; the stories15M section is scripts/stories15m-results.sh's figures).
kept=$(awk '/^## int8 weights$/ { p = 1 } p' "$root/docs/results.md" 2>/dev/null || true)
ppl() { awk -v m="$1" '$1 == m { print $(NF-3) }' "$work/compare.txt"; }
dense=$(ppl stories260K-hf)
best_baseline=$(for b in magnitude wanda sparsegpt nowag-p; do ppl $b; done | sort -g | head -1)
overhead() { { grep -o 'A/B overhead: [0-9.]* %' "$work/$1.log" || true; } | awk '{ print $3 " %" }'; }
loss_ok() { # ARMOR's final proxy loss <= NoWag-P's on every projection?
  awk '$1 ~ /^model\.layers\./ { n++; if ($4 > $3 * (1 + 1e-9)) bad++ } END { printf "%d of %d projections at or below NoWag-P%s", n - bad, n, "" }' "$work/$1.log"
}
{
  echo "# Results: stories260K-hf pruned to 2:4"
  echo
  echo "Produced by \`scripts/stories-results.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo "Calibration: windows 0:64 of \`tinystories.txt\` (one token stream with one BOS, windows of 256 tokens: 16,384 tokens)."
  echo "Evaluation: \`armor eval compare --seq 256 --windows 64:\`, i.e. windows 64 to 392 of the same stream (329 windows),"
  echo "never seen in calibration. Wall time is the whole \`armor prune\` command (JVM start, tokenization, calibration,"
  echo "pruning, writing), on a machine shared with other jobs, so it is indicative only."
  echo
  echo "| method | command arguments | extra parameters | prune wall time | perplexity | gap closed |"
  echo "|---|---|---|---|---|---|"
  echo "| dense | – | – | – | $dense | – |"
  for r in "${runs[@]}"; do
    name=${r%%|*}; args=${r#*|}
    p=$(ppl "$name")
    extra=$(overhead "$name"); extra=${extra:-0}
    gap="(baseline)"
    [[ $name == armor* ]] && gap=$(awk -v d="$dense" -v b="$best_baseline" -v p="$p" 'BEGIN { printf "%.0f %%", 100 * (b - p) / (b - d) }')
    echo "| $name | \`$args\` | $extra | $(cat "$work/$name.seconds") s | $p | $gap |"
  done
  echo
  echo "\"gap closed\" is (best baseline − method) / (best baseline − dense) in perplexity; the best baseline here is"
  echo "$best_baseline. Extra parameters are ARMOR's A and B relative to the pruned projections' dense parameters."
  echo
  echo "Proxy loss (NoWag's relative layer loss, lower is better), ARMOR vs its NoWag-P starting point:"
  echo
  for name in armor-b128 armor-b4; do
    echo "- $name: $(loss_ok "$name"); mean $(awk '$1 == "mean" { print $2 " → " $3 }' "$work/$name.log")"
  done
  echo
  echo "Per-projection proxy losses of \`armor-b4\` (before = NoWag-P, after = ARMOR):"
  echo
  echo '```'
  grep -E '^(projection|model\.layers|mean)' "$work/armor-b4.log"
  echo '```'
  echo
  echo "## ARMOR optimizer speed"
  echo
  echo "\`armor bench-armor\` (one Adam step on A, B and W' plus one discrete 2:4 step per iteration, random 4096×4096"
  echo "matrix, b = 128, 2 threads; PyTorch on the same kind of 2-core machine: 0.17 it/s). Each line is one run; the"
  echo "spread comes from other jobs sharing the 2 cores:"
  echo
  echo '```'
  cat "$work/bench-armor.txt"
  echo '```'
  echo
  echo "## Raw output"
  echo
  echo "Raw \`armor eval compare\` output:"
  echo
  echo '```'
  cat "$work/compare.txt"
  echo '```'
  if [[ -n $kept ]]; then echo; echo "$kept"; fi
} >"$root/docs/results.md"
echo "wrote $root/docs/results.md" >&2

# the int8 section (dense and armor-b4 quantized, group sizes), from the checkpoints above
"$root/scripts/stories-int8-results.sh" "$work"
