#!/usr/bin/env bash
# On the GPU machine: build with CUDA, run the [gpu] kernel and engine tests, and (with
# --bench) the V2-Lite-shape benchmarks. Logs go to $OUT (or ./device-logs).
# Usage (device tool): bash scripts/device_check.sh [--bench]
set -uo pipefail
out=${OUT:-device-logs}
mkdir -p "$out"
[ -f .deps/env.sh ] && source .deps/env.sh
step() { echo "== $1 ($(date +%T))"; }
step configure
cmake -S . -B build-dev -DMOEBENCH_CUDA=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$out/cmake.log" 2>&1 ||
  { tail -30 "$out/cmake.log"; exit 1; }
step build
cmake --build build-dev -j16 >"$out/build.log" 2>&1 ||
  { grep -E "error|undefined" -A3 "$out/build.log" | head -80; exit 1; }
step "kernel tests"
[ "${SKIP_KERNELS:-0}" = 1 ] || build-dev/tests/test_kernels "[gpu]" >"$out/kernels.log" 2>&1
echo "kernels rc=$?"; grep -E "FAILED|failed|passed|REQUIRE|CHECK|with expansion" "$out/kernels.log" | head -60
step "engine tests"
build-dev/tests/test_engine "[gpu]" >"$out/engine.log" 2>&1
echo "engine rc=$?"; grep -E "cuda engine vs|FAILED|failed|passed|error" "$out/engine.log" | head -40
step "kernel perf"
build-dev/tests/test_kernels "[perf]" >"$out/perf.log" 2>&1
grep -vE "^$|^-+$|^=+$" "$out/perf.log" | head -30
if [ "${1:-}" = "--bench" ]; then
  step "v2-lite bench"
  build-dev/moebench model init --family deepseek_v2 --preset v2-lite --weights dummy -o /tmp/v2l \
    --force >"$out/init.log" 2>&1 || { tail -5 "$out/init.log"; exit 1; }
  build-dev/moebench model bench /tmp/v2l --device cuda --batch 1 --batch 16 --batch 64 --prompt 128 \
    --tokens 32 --warmup 2 --prefill 8x2048 --json "$out/bench.json" 2>&1 | tee "$out/bench.log"
fi
