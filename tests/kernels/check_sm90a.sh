#!/usr/bin/env bash
# The sm_90a-only kernels, which the tree's default sm_90 build compiles to traps, checked on the
# CPU machine: their PTX for sm_90a holds the wgmma instructions, and ptxas assembles them without
# serializing the warpgroup MMAs (a silent 2-4x loss it reports only as a warning) and without
# fencing between them (C7519, "warpgroup.arrive is injected": registers touched between MMAs).
# Usage: check_sm90a.sh NVCC REPO_ROOT
set -euo pipefail
nvcc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# file : the least wgmma.mma_async count its PTX must hold (its kernel instantiations' MMAs)
for entry in grouped_gemm_wgmma.cu:4 attention_prefill_wgmma.cu:6 attention_prefill_fa3.cu:144; do
  file=${entry%%:*}
  least=${entry##*:}
  name=${file%.cu}
  # One device-only pass (-cubin: no host compile) runs ptxas; -keep leaves its PTX in $tmp.
  "$nvcc" -std=c++20 -O3 -arch=sm_90a -I"$root" -Xptxas -v -cubin -keep -keep-dir "$tmp" \
    "$root/kernels/$file" -o "$tmp/$name.cubin" 2>"$tmp/ptxas.log"
  mma=$(grep -c 'wgmma.mma_async' "$tmp/$name.ptx" || true)
  echo "$file: wgmma.mma_async in the sm_90a PTX: $mma"
  if [ "$mma" -lt "$least" ]; then
    echo "$file: expected at least $least wgmma.mma_async (its instantiations), found $mma" >&2
    exit 1
  fi
  grep -E 'registers|spill' "$tmp/ptxas.log" || true
  if grep -qiE 'warning|serializ|C7519|injected' "$tmp/ptxas.log"; then
    cat "$tmp/ptxas.log" >&2
    echo "$file: ptxas warned on the sm_90a kernels (above)" >&2
    exit 1
  fi
done
echo "ok: sm_90a kernels assemble without warnings"
