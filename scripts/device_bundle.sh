#!/usr/bin/env bash
# Here, without a GPU: builds what the GPU check runs (moebench, moebench-kernels, test_kernels,
# test_engine) in Release for sm_90a (Hopper's wgmma/TMA; the tree's default stays plain sm_90),
# strips them and packs them with the shared libraries the GPU machine (Ubuntu 24.04, CUDA 13)
# may lack, and the GSM8K data, into .bundle/moebench-bundle.tar.xz (git-ignored). Carry ".bundle"; on the device
# scripts/device_run.sh unpacks it, checks `ldd`, and runs. CUDA's own libraries (cudart,
# cuBLAS, NCCL) are not packed: the device has them (/usr/local/cuda, PyTorch's NCCL).
# Usage: bash scripts/device_bundle.sh [build-dir]   (default build-bundle; ccache if present)
#        bash scripts/device_bundle.sh --check       (exit 0 when .bundle matches this checkout's
#                                                     sources, as device_run.sh requires; else 1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${1:-}" = --check ]; then
  # shellcheck source=scripts/lib/sources_hash.sh
  . scripts/lib/sources_hash.sh
  [ -f .bundle/moebench-bundle.tar.xz ] || { echo "no bundle: run scripts/device_bundle.sh"; exit 1; }
  built=$(tar -xJOf .bundle/moebench-bundle.tar.xz ./MANIFEST 2>/dev/null ||
    tar -xJOf .bundle/moebench-bundle.tar.xz MANIFEST)
  built=$(awk '/^sources/ {print $2}' <<<"$built")
  now=$(sources_hash)
  if [ "$built" = "$now" ]; then
    echo "bundle current (sources $now)"
    exit 0
  fi
  echo "bundle stale: built from sources $built, the checkout is $now: rerun scripts/device_bundle.sh"
  exit 1
fi
build=${1:-build-bundle}
targets=(moebench moebench-kernels test_kernels test_engine)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
  -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMOEBENCH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90a "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/libexec" "$stage/lib" .bundle
cp "$build/moebench" "$build/moebench-kernels" "$build/tests/test_kernels" \
  "$build/tests/test_engine" "$stage/libexec/"
strip --strip-unneeded "$stage"/libexec/*
# bin/NAME runs libexec/NAME with the bundle's libraries, CUDA's and $MB_LIB_DIRS (PyTorch's
# nvidia/*/lib folders, found by scripts/device_run.sh) on its library path; nothing else (Python,
# ncu) sees them.
for f in "$stage"/libexec/*; do
  cat >"$stage/bin/$(basename "$f")" <<'SH'
#!/bin/sh
root=$(dirname "$(dirname "$(readlink -f "$0")")")
LD_LIBRARY_PATH="$root/lib:/usr/local/cuda/lib64${MB_LIB_DIRS:+:$MB_LIB_DIRS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  exec "$root/libexec/$(basename "$0")" "$@"
SH
  chmod +x "$stage/bin/$(basename "$f")"
done

# The GSM8K data the e2e stage runs (the device has no datasets).
data=${MOEBENCH_DATA:-$root/../shared/datasets}
if [ -f "$data/gsm8k/test.jsonl" ]; then
  mkdir -p "$stage/data/gsm8k" && cp "$data"/gsm8k/*.jsonl "$stage/data/gsm8k/"
else
  echo "note: no GSM8K under $data: the bundle's e2e stage will have no data"
fi

# Every library the binaries load but the C runtime, the compiler's runtime and CUDA's.
skip='linux-vdso|ld-linux|/libc\.so|/libm\.so|libpthread|libdl\.so|librt\.so|libstdc\+\+|libgcc_s|libcuda\.|libcudart|libcublas|libnccl'
ldd "$stage"/libexec/* | awk '/=> \// {print $3}' | grep -vE "$skip" | sort -u |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done

# The test binaries and moebench know the source tree's path (fixtures, tasks/): the device
# script links it to the checkout there.
# shellcheck source=scripts/lib/sources_hash.sh
. scripts/lib/sources_hash.sh
{
  echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD -- . ':!.bundle' || echo ' (dirty)')"
  echo "built $(date -u +%FT%TZ) on $(uname -n), CUDA $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), sm_90a"
  echo "source_dir $root"
  # Loaded on first use (kernels/cublas_api.cu), so `ldd` does not list it: device_run.sh looks.
  echo "cublas libcublas.so.$(awk '/#define CUBLAS_VER_MAJOR/ {print $3}' /usr/local/cuda/include/cublas_api.h)"
  echo "binary_dir $root/$build"
  echo "sources $(sources_hash)"
} >"$stage/MANIFEST"
(cd "$stage" && ls -l libexec lib | awk 'NF > 5 {print $5, $9}') >>"$stage/MANIFEST"
tar -C "$stage" -cf - . | xz -9 -T"$(nproc)" >.bundle/moebench-bundle.tar.xz
echo "bundle: .bundle/moebench-bundle.tar.xz, $(du -h .bundle/moebench-bundle.tar.xz | cut -f1)" \
  "($(du -sh "$stage/libexec" | cut -f1) binaries, $(ls "$stage/lib" | wc -l) libraries:" \
  "$(ls "$stage/lib" | tr '\n' ' '))"
