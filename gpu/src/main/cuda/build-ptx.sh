#!/usr/bin/env bash
# Rebuilds the PTX that armor ships from the CUDA C sources beside this script (needs nvcc, CUDA 12 or 13).
# sm_80 PTX runs on Ampere and every newer GPU (the driver JIT-compiles it), the same floor as sparse tensor cores.
# Usage: gpu/src/main/cuda/build-ptx.sh   (then commit gpu/src/main/resources/armor/runtime/cuda/*.ptx)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/../resources/armor/runtime/cuda"
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
mkdir -p "$out"
for cu in "$here"/*.cu; do
  name=$(basename "$cu" .cu)
  tmp=$(mktemp "$out/.$name.XXXXXX")
  "$nvcc" -ptx -arch=sm_80 -O3 -std=c++17 -o "$tmp" "$cu"
  mv "$tmp" "$out/$name.ptx"   # atomic: a failed build never leaves a half-written PTX
  echo "wrote $out/$name.ptx"
done
