#!/usr/bin/env bash
# Reproduces the stories15M table of docs/results.md: karpathy's stories15M (../shared/models/stories15M-hf) dense, pruned
# to 2:4 by magnitude, Wanda, SparseGPT and ARMOR (block auto; the paper's algorithm alone and with armor's refit, the
# default), ARMOR and SparseGPT after recovery, and ARMOR after
# recovery quantized to int8. Held-out protocol: calibration on windows 0:64 of tinystories.txt (one token stream with
# one BOS, windows of 256 tokens), perplexity on windows 64:204 of the same stream (never calibrated on).
# Columns: held-out perplexity, ratio to dense, weight bytes read per decoded token (`armor inspect`), batch-1 decode
# tokens/s (`armor bench --model DIR`, the folder as stored). Writes WORK_DIR/results.md and prints it.
#   scripts/stories15m-results.sh [WORK_DIR]     (default: bench-results/stories15M, which git ignores)
# Environment: ARMOR_SHARED (default ../shared), ARMOR_BUILD_DIR (as for ./armor), ARMOR_STORIES15M_ITERS (iterations
# of the ARMOR run, default 20000), ARMOR_REPORT_ONLY=1 (no pruning, recovery, quantization or measuring: only the
# table again from the files WORK_DIR already has).
# The recovery rows need `armor recover`; where this checkout has no such command they are left out with a note.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${ARMOR_SHARED:-$root/../shared}
work=${1:-$root/bench-results/stories15M}
model=$shared/models/stories15M-hf
text=$shared/data/tinystories/tinystories.txt
iters=${ARMOR_STORIES15M_ITERS:-20000}
report_only=${ARMOR_REPORT_ONLY:-0}
armor=("$root/armor")
calib=(--calib "$text" --windows 0:64 --seq 256)
heldout=(--text "$text" --seq 256 --windows 64:204)
mkdir -p "$work"
work=$(cd "$work" && pwd)

# name | label | how it is made (prune arguments, "recover SOURCE" or "quantize SOURCE")
rows=(
  "magnitude|magnitude 2:4|prune --method magnitude"
  "wanda|Wanda 2:4|prune --method wanda"
  "sparsegpt|SparseGPT 2:4|prune --method sparsegpt"
  "armor-paper|ARMOR 2:4, the paper's algorithm alone (\`--iters $iters --no-refit\`, block auto)|prune --method armor --iters $iters --no-refit"
  "armor|ARMOR 2:4 + refit (\`--iters $iters\`, block auto; the default)|prune --method armor --iters $iters"
  "armor-recovered|ARMOR + recovery|recover armor"
  "sparsegpt-recovered|SparseGPT + recovery|recover sparsegpt"
  "armor-recovered-int8|ARMOR + recovery, int8|quantize armor-recovered"
)
# independent reference perplexities (computed outside this repository, same protocol; docs/results.md)
reference() {
  case $1 in
    dense) echo 9.256 ;; magnitude) echo 160.5 ;; wanda) echo 48.5 ;; sparsegpt) echo 26.2 ;; *) echo – ;;
  esac
}

# run NAME CMD...: one armor command with its output in WORK_DIR/NAME.log and .err and its wall time in .seconds
run() {
  local name=$1; shift
  rm -rf "${work:?}/$name" "$work/.$name.armor-work" "$work/$name.missing"
  echo "== armor $* -> $work/$name" >&2
  echo "$*" >"$work/$name.args"
  local start end
  start=$(date +%s.%N)
  if ! "${armor[@]}" "$@" --out "$work/$name" >"$work/$name.log" 2>"$work/$name.err"; then
    echo "armor $1 failed for $name (see $work/$name.err)" >&2
    return 1
  fi
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }' >"$work/$name.seconds"
}

if [[ $report_only != 1 ]]; then
  "${armor[@]}" --version >/dev/null # builds armor first, so that no timing below includes the build
  # (not `armor recover --help`: picocli answers the top-level --help, exit 0, whatever precedes it)
  have_recover=0
  "${armor[@]}" --help 2>/dev/null | grep -qE '^ +recover( |$)' && have_recover=1
  for r in "${rows[@]}"; do
    name=${r%%|*}; rest=${r#*|}; how=${rest#*|}
    read -r verb arg <<<"$how"
    case $verb in
      prune)
        # shellcheck disable=SC2086
        run "$name" prune --model "$model" $arg "${calib[@]}" ;;
      recover)
        if ((have_recover == 0)); then
          echo "this checkout has no \`armor recover\`" >"$work/$name.missing"; rm -rf "${work:?}/$name"
        elif [[ ! -f $work/$arg/config.json ]]; then
          echo "its source $arg is missing" >"$work/$name.missing"; rm -rf "${work:?}/$name"
        else
          run "$name" recover --model "$work/$arg" --teacher "$model" "${calib[@]}" \
            || echo "\`armor recover\` failed (see $name.err)" >"$work/$name.missing"
        fi ;;
      quantize)
        if [[ ! -f $work/$arg/config.json ]]; then
          echo "its source $arg is missing ($(cat "$work/$arg.missing" 2>/dev/null || echo "not made"))" >"$work/$name.missing"
          rm -rf "${work:?}/$name"
        else
          run "$name" quantize --model "$work/$arg" || echo "\`armor quantize\` failed (see $name.err)" >"$work/$name.missing"
        fi ;;
    esac
  done

  made=()
  for r in "${rows[@]}"; do name=${r%%|*}; [[ -f $work/$name/config.json ]] && made+=("$work/$name"); done
  echo "== armor eval compare (windows 64:204)" >&2
  "${armor[@]}" eval compare "${heldout[@]}" "$model" "${made[@]}" >"$work/compare.txt" 2>"$work/compare.err"

  # bytes per decoded token as the decoder counts them, and decode tokens/s of each folder as stored (the dense one
  # as dense only). stories15M's context is 256 tokens: 16 prompt + 8 warm-up + 7 × 32 timed = 248 positions.
  for dir in "$model" "${made[@]}"; do
    name=$(basename "$dir"); kinds=()
    [[ $dir == "$model" ]] && { name=dense; kinds=(--kinds dense); }
    echo "== armor inspect / bench --model $dir" >&2
    "${armor[@]}" inspect --model "$dir" --no-tensors >"$work/$name.inspect.txt" 2>"$work/$name.inspect.err"
    "${armor[@]}" bench --model "$dir" "${kinds[@]}" --prompt-tokens 16 --warmup 8 --tokens 32 --repetitions 7 \
      --prefill-tokens 128 --prefill-repetitions 3 --json "$work/$name.bench.json" --chart "$work/$name.bench.png" \
      >"$work/$name.bench.txt" 2>"$work/$name.bench.err"
  done
fi

# ---- the table ----
ppl() { awk -v m="$1" '$1 == m { print $(NF-3) }' "$work/compare.txt"; }
bytes() { sed -n 's/.*read per decoded token \([0-9,]*\).*/\1/p' "$work/$1.inspect.txt" 2>/dev/null | tr -d , || true; }
decode() { # "median ± spread" from the one data row of armor bench's Markdown table
  awk -F'|' '/^\| / && $2 !~ /kind/ { gsub(/ /, "", $3); gsub(/ /, "", $4); print $3 " ± " $4; exit }' \
    "$work/$1.bench.txt" 2>/dev/null || true
}
dense=$(ppl "$(basename "$model")")
[[ -n $dense ]] || { echo "no dense perplexity in $work/compare.txt" >&2; exit 1; }
row() { # name label
  local p b d ref
  p=$(ppl "$(basename "$1")"); [[ $1 == dense ]] && p=$dense
  b=$(bytes "$1"); d=$(decode "$1"); ref=$(reference "$1")
  awk -v l="$2" -v p="$p" -v dp="$dense" -v b="$b" -v d="$d" -v ref="$ref" '
    function commas(n,   s, out) { s = sprintf("%d", n); while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) } return s out }
    BEGIN { printf "| %s | %s | %.2f× | %s | %s | %s |\n", l, p, p / dp, b == "" ? "–" : commas(b), d == "" ? "–" : d, ref }'
}
block=$(sed -n 's/.*--block auto: b=\([0-9]*\).*/\1/p' "$work/armor.err" 2>/dev/null | head -1 || true)
notes=()
{
  echo "# stories15M-hf: dense, 2:4 baselines, ARMOR, recovery, int8"
  echo
  echo "Produced by \`scripts/stories15m-results.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores,"\
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo "Calibration (pruning and recovery): windows 0:64 of \`tinystories.txt\` (one token stream with one BOS, windows"
  echo "of 256 tokens: 16,384 tokens). Perplexity: \`armor eval compare --seq 256 --windows 64:204\`, the 140 windows"
  echo "after them, never calibrated on. Bytes per token: \`armor inspect\`'s weight bytes read per decoded token."
  echo "Decode tok/s: \`armor bench --model DIR\` (batch 1, the folder as stored, median of 7 × 32 tokens ± half the"
  echo "min–max range), on a machine shared with other jobs, so indicative only. Reference: perplexity computed"
  echo "outside this repository with the same protocol."
  [[ -n $block ]] && echo "ARMOR's block size (\`--block auto\`): b = $block."
  echo
  echo "| model | held-out perplexity | × dense | weight bytes / token | decode tok/s | reference |"
  echo "|---|---|---|---|---|---|"
  row dense "dense (float32)"
  for r in "${rows[@]}"; do
    name=${r%%|*}; rest=${r#*|}; label=${rest%%|*}
    # the iterations of the run that made the folder, not of this invocation (ARMOR_REPORT_ONLY=1)
    ran=$(sed -n 's/.* --iters \([0-9]*\).*/\1/p' "$work/$name.args" 2>/dev/null || true)
    [[ -n $ran ]] && label=${label/--iters $iters/--iters $ran}
    if [[ -f $work/$name.missing || -z $(ppl "$name") ]]; then
      why=$(cat "$work/$name.missing" 2>/dev/null || echo "not made (see $name.err)")
      echo "| $label | – | – | – | – | $(reference "$name") |"
      notes+=("$label: $why.")
    else
      row "$name" "$label"
    fi
  done
  if ((${#notes[@]})); then
    echo
    for n in "${notes[@]}"; do echo "- $n"; done
  fi
  echo
  echo "Raw \`armor eval compare\` output:"
  echo
  echo '```'
  cat "$work/compare.txt"
  echo '```'
} >"$work/results.md"
cat "$work/results.md"
echo "wrote $work/results.md" >&2
