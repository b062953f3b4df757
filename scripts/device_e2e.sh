#!/usr/bin/env bash
# On the GPU machine: an end-to-end `moebench run` of GSM8K (first N docs, default 600) on a
# DeepSeek-V2-Lite-shape dummy-weight model with the CUDA engine, then transformers on the same
# config for the side-by-side decode figures. Expects the datasets copied under .data/ (carried).
set -uo pipefail
out=${OUT:-device-logs}
mkdir -p "$out"
[ -f .deps/env.sh ] && source .deps/env.sh
if [ ! -x build-dev/moebench ]; then
  cmake -S . -B build-dev -DMOEBENCH_CUDA=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$out/cmake.log" 2>&1
  cmake --build build-dev -j16 --target moebench >"$out/build.log" 2>&1 ||
    { grep -E "error" -A3 "$out/build.log" | head -40; exit 1; }
fi
[ -d /tmp/v2l ] || build-dev/moebench model init --family deepseek_v2 --preset v2-lite \
  --weights dummy -o /tmp/v2l --force >/dev/null
echo "== moebench run ($(date +%T))"
MOEBENCH_DATA=.data build-dev/moebench run --backend builtin:/tmp/v2l --device cuda \
  --backend-opt max_batch=256 --suites gsm8k --limit "${LIMIT:-600}" --no-progress \
  --results-dir /tmp/results --run-id e2e --force 2>&1 | tail -15 | tee "$out/run.log"
cp /tmp/results/e2e/run.json "$out/run.json" 2>/dev/null
if [ "${1:-}" = "--hf" ]; then
  echo "== transformers ($(date +%T))"
  PYTHONUNBUFFERED=1 timeout 330 python3 scripts/hf/bench_transformers.py --config /tmp/v2l \
    --batch 1 --batch 64 --prompt 128 --tokens 32 --compile-budget 90 --out "$out/hf.json" 2>&1 |
    tail -25
fi
