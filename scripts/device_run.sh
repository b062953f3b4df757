#!/usr/bin/env bash
# On the GPU machine, with .bundle carried (scripts/device_bundle.sh built it here): unpacks the
# prebuilt binaries, checks that `ldd` finds every library (only if one is missing does it fall
# back to scripts/device_check.sh, which builds there), then runs the stages named (default:
# check), each log and JSON under $OUT, and prints a summary table at the end.
#   check   [gpu] kernel and engine tests (the engine-vs-CPU figures are in engine.log)
#   bench   model bench on the DeepSeek-V2-Lite shape (batch 1, 16, 64; prefill 8x2048) with its
#           rooflines, again with --kernels fused, with --pdl too, and with --kernels wgmma --pdl
#           --overlap (batch 16, 64 and the prefill too; each / separate in the summary), transformers (eager) on the same config, the gpu/ microbenchmarks at the
#           V2-Lite and V3 shapes, and moebench cost at $2 per GPU-hour
#   e2e     moebench run of GSM8K (the bundle's data) on the GPU (OVERLAP=true: each decode step
#           started before the last one's ids are read), then moebench loadgen against
#           moebench serve --device cuda (TTFT, TPOT, ITL percentiles)
#   profile per-kernel time and DRAM bytes of one graph-replayed decode step at batch 1 and 64
#           under Nsight Compute (clocks left alone): kernels per step, µs each, share of the
#           step, GB/s and % of the copy bandwidth (scripts/profile_table.py); for the
#           separate, fused, fused + programmatic launches and those on the wgmma experts
#           (KERNELS="separate fused fused_pdl wgmma_pdl", the default)
# Usage (device tool, carry [".bundle"]): bash scripts/device_run.sh [check] [bench] [e2e] [profile]
set -uo pipefail
# Logs and JSON go to a work dir; at the end the summary and the JSON files are copied to $OUT
# and every log packed into one logs.tar.gz (the device tool returns at most 8 files).
final=${OUT:-device-logs}
out=/tmp/device-run
rm -rf "$out" && mkdir -p "$out" "$final"
repo=$(pwd)
mb=/tmp/moebench-bundle
rows=()
stage() {  # stage NAME RC SECONDS FIGURE
  rows+=("$(printf '%-12s %4s %7ss  %s' "$1" "$2" "$3" "$4")")
}

# A Catch2 log's last "test cases" and "assertions" lines, and how many cases skipped (no GPU).
catch_summary() {
  echo "$(grep -E '^(All tests passed|test cases:)' "$1" | tail -1 | tr -s ' ');" \
    "$(grep -E '^assertions:' "$1" | tail -1 | tr -s ' ');" \
    "$(grep -c 'GPU test skipped' "$1") skipped"
}

rm -rf "$mb" && mkdir -p "$mb"
if ! tar -xJf .bundle/moebench-bundle.tar.xz -C "$mb"; then
  echo "no bundle: run scripts/device_bundle.sh here and carry .bundle"
  exit 2
fi
head -4 "$mb/MANIFEST"
# NCCL comes from PyTorch's nvidia-nccl package; the bundle's bin/ wrappers put it on their own
# library path (and the bundle's and CUDA's), so Python and ncu keep the machine's libraries.
MB_NCCL_DIR=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' \
  2>/dev/null || true)
export MB_NCCL_DIR
missing=$(LD_LIBRARY_PATH="$mb/lib:/usr/local/cuda/lib64${MB_NCCL_DIR:+:$MB_NCCL_DIR}" \
  ldd "$mb"/libexec/* 2>&1 | grep "not found" | sort -u)
if [ -n "$missing" ]; then
  echo "ldd: not found:"
  echo "$missing"
  echo "falling back to building here: scripts/device_check.sh"
  exec bash scripts/device_check.sh
fi
# The binaries know the source tree's path from the build machine: point it at this checkout.
src=$(awk '/^source_dir/ {print $2}' "$mb/MANIFEST")
if [ ! -e "$src" ]; then
  mkdir -p "$(dirname "$src")" && ln -s "$repo" "$src"
fi
export MOEBENCH_BIN="$mb/bin/moebench"
# Dated names: copy bench_DAY.json to results/bench/ and cost_DAY.json to results/cost/ and the
# report's kernel-history and cost sections show them.
day=$(date -u +%Y%m%d)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"

# Sets `flags` to model bench's flags for an engine variant: separate, fused, fused_pdl,
# wgmma_pdl (the fused launches with the routed experts on the sm_90a wgmma grouped GEMM).
variant_flags() {
  case "$1" in
    separate) flags=(--kernels separate) ;;
    fused) flags=(--kernels fused) ;;
    fused_pdl) flags=(--kernels fused --pdl) ;;
    wgmma_pdl) flags=(--kernels wgmma --pdl) ;;
    *) echo "unknown engine variant '$1' (separate, fused, fused_pdl, wgmma_pdl)" >&2; return 2 ;;
  esac
}

run_check() {
  local t0=$SECONDS
  "$mb/bin/test_kernels" "[gpu]" >"$out/kernels.log" 2>&1
  local rc=$?
  stage kernels "$rc" $((SECONDS - t0)) "$(catch_summary "$out/kernels.log")"
  t0=$SECONDS
  "$mb/bin/test_engine" "[gpu]" -s >"$out/engine.log" 2>&1
  rc=$?
  stage engine "$rc" $((SECONDS - t0)) "$(catch_summary "$out/engine.log")"
  grep -E "cuda engine vs" "$out/engine.log" | head -20
}

run_bench() {
  local t0=$SECONDS
  "$mb/bin/moebench" model init --family deepseek_v2 --preset v2-lite --weights dummy \
    -o /tmp/v2l --force >"$out/init.log" 2>&1
  "$mb/bin/moebench" model bench /tmp/v2l --device cuda --batch 1 --batch 16 --batch 64 \
    --prompt 128 --tokens 32 --warmup 2 --prefill 8x2048 --json "$out/model_bench.json" \
    >"$out/model_bench.log" 2>&1
  local rc=$?
  stage "model bench" "$rc" $((SECONDS - t0)) "$(grep -m1 -E 'roofline' "$out/model_bench.log")"
  # The same decode rows with the fused launches, then with programmatic launch too (same values;
  # issue 20's before/after), then on the wgmma grouped GEMM (batch 16 and 64, and the prefill,
  # which it runs without host syncs) with each decode step started before the previous one's ids
  # are read (--overlap), kept in the logs (the device tool returns 8 files); the summary gives
  # each one's tokens/s / the separate launches'.
  local v flags extra
  for v in fused fused_pdl wgmma_pdl; do
    t0=$SECONDS
    mkdir -p "$out/$v"
    variant_flags "$v"
    extra=()
    [ "$v" = wgmma_pdl ] && extra=(--batch 16 --prefill 8x2048 --overlap)
    "$mb/bin/moebench" model bench /tmp/v2l --device cuda "${flags[@]}" --batch 1 \
      --batch 64 "${extra[@]}" --prompt 128 --tokens 32 --warmup 2 \
      --json "$out/$v/model_bench.json" >"$out/model_bench_$v.log" 2>&1
    rc=$?
    stage "$v" "$rc" $((SECONDS - t0)) "$(python3 - "$out/model_bench.json" \
      "$out/$v/model_bench.json" <<'PY' 2>&1
import json, sys
try:
    sep_doc, var_doc = (json.load(open(f)) for f in sys.argv[1:3])
    sep, var = sep_doc["runs"], var_doc["runs"]
except (OSError, ValueError, KeyError, TypeError) as e:  # one line in the summary table
    sys.exit(print(f"no ratio: {e}"))
key = lambda r: (r["batch"], r["prompt"])
base = {key(r): r["decode_tokens_per_s"] for r in sep}
kern = {key(r): r.get("kernels_per_step", 0) for r in sep}
parts = [f"b{r['batch']} {r['decode_tokens_per_s']:.0f} tok/s = "
         f"{r['decode_tokens_per_s'] / base[key(r)]:.3f}x separate, "
         f"{r.get('kernels_per_step', 0)} vs {kern[key(r)]} kernels a step"
         for r in var if key(r) in base]
if "prefill" in var_doc and "prefill" in sep_doc:
    a, b = var_doc["prefill"], sep_doc["prefill"]
    parts.append(f"prefill {a['tokens_per_s']:.0f} tok/s = "
                 f"{a['tokens_per_s'] / b['tokens_per_s']:.3f}x separate, "
                 f"{100 * a.get('gemm_fraction', 0):.1f}% of cuBLAS")
print("; ".join(parts))
PY
)"
  done
  t0=$SECONDS
  "$mb/bin/moebench-kernels" \
    --benchmark_filter='^gpu/(ceiling|grouped_gemm/(v2lite|v3)|gemm/v2lite|decode_attention/v2lite|prefill_attention/v2lite_mla|mla_prepare_v2lite|rmsnorm|swiglu/(v2lite|v3)|moe_(route|route_place|permute|combine|combine_norm)/(v2lite|v3)|nccl)' \
    --benchmark_min_time=0.05 --benchmark_repetitions=3 --benchmark_out="$out/bench_$day.json" \
    --benchmark_out_format=json >"$out/kernels_bench.log" 2>&1
  rc=$?
  # Each benchmark's median beside its ceilings, then each fused launch beside the launches it
  # replaces (scripts/bench_table.py; the pairs' geometric-mean speedup goes to the summary).
  python3 scripts/bench_table.py "$out/bench_$day.json" >"$out/kernels_table.md" \
    2>"$out/kernels_pairs.txt" || rc=$?
  local pairs
  pairs=$(tr '\n' ' ' <"$out/kernels_pairs.txt" 2>/dev/null)
  stage "gpu/ bench" "$rc" $((SECONDS - t0)) \
    "$(grep -E '^gpu/' "$out/kernels_bench.log" | awk '{print $1}' |
      grep -vE '_(mean|median|stddev|cv)$' | sort -u | wc -l) benchmarks x 3 repetitions; $pairs"
  t0=$SECONDS
  PYTHONUNBUFFERED=1 timeout 240 python3 scripts/hf/bench_transformers.py --config /tmp/v2l \
    --batch 1 --batch 64 --prompt 128 --tokens 32 --no-compile --out "$out/hf.json" \
    >"$out/hf.log" 2>&1
  rc=$?
  stage transformers "$rc" $((SECONDS - t0)) "$(grep -E 'decode tok/s' "$out/hf.log" | tr '\n' ';')"
  t0=$SECONDS
  "$mb/bin/moebench" cost --bench "$out/model_bench.json" --gpu-hour-usd 2 >"$out/cost.log" 2>&1
  rc=$?
  "$mb/bin/moebench" cost --bench "$out/model_bench.json" --gpu-hour-usd 2 --format json \
    >"$out/cost_$day.json" 2>/dev/null
  stage cost "$rc" $((SECONDS - t0)) "$(grep -m1 -i 'per 1M' "$out/cost.log")"
}

run_e2e() {
  local t0=$SECONDS
  [ -d /tmp/v2l ] || "$mb/bin/moebench" model init --family deepseek_v2 --preset v2-lite \
    --weights dummy -o /tmp/v2l --force >/dev/null 2>&1
  # OVERLAP=true: each decode step starts before the previous one's ids are read.
  MOEBENCH_DATA="$mb/data" "$mb/bin/moebench" run --backend builtin:/tmp/v2l --device cuda \
    --backend-opt max_batch=256 --backend-opt "overlap=${OVERLAP:-false}" --suites gsm8k \
    --limit "${LIMIT:-600}" --no-progress \
    --results-dir /tmp/results --run-id e2e --force >"$out/e2e.log" 2>&1
  local rc=$?
  cp /tmp/results/e2e/run.json "$out/e2e_run.json" 2>/dev/null
  stage e2e "$rc" $((SECONDS - t0)) "$(grep -m1 'backend:' "$out/e2e.log")"

  t0=$SECONDS
  local serve_flags=()
  [ "${OVERLAP:-false}" = true ] && serve_flags=(--overlap)
  "$mb/bin/moebench" serve /tmp/v2l --device cuda --port 18431 --max-batch 64 \
    --model-name v2l "${serve_flags[@]}" >"$out/serve.log" 2>&1 &
  local serve=$!
  for _ in $(seq 1 240); do  # the model loads first (up to 2 minutes)
    grep -q "on http" "$out/serve.log" && break
    kill -0 "$serve" 2>/dev/null || break
    sleep 0.5
  done
  "$mb/bin/moebench" loadgen --base-url http://127.0.0.1:18431/v1 --model v2l \
    --num-prompts 256 --request-rate 32 --max-concurrency 64 --input-len 128 --output-len 64 \
    --json "$out/loadgen.json" >"$out/loadgen.log" 2>&1
  rc=$?
  kill -INT "$serve" 2>/dev/null
  wait "$serve" 2>/dev/null
  stage loadgen "$rc" $((SECONDS - t0)) "$(grep -m1 -iE 'ttft' "$out/loadgen.log")"
}

run_profile() {
  local t0=$SECONDS
  [ -d /tmp/v2l ] || "$mb/bin/moebench" model init --family deepseek_v2 --preset v2-lite \
    --weights dummy -o /tmp/v2l --force >/dev/null 2>&1
  local rc=0 k b n flags
  mkdir -p "$out/ncu"  # NOTE: a folder: its JSON goes into logs.tar.gz, not into the 8 files
  # KERNELS: the engine variants profiled (variant_flags), all four by default: the before and
  # after of issue 20's fusions, programmatic launch and the wgmma experts.
  for k in ${KERNELS:-separate fused fused_pdl wgmma_pdl}; do
  variant_flags "$k" || { rc=2; continue; }
  for b in 1 64; do
    # --prompt 1 --tokens 1: the last kernels profiled are one decode step replayed from its CUDA
    # graph, whose kernel count model bench reports (kernels_per_step in its JSON); the table
    # (scripts/profile_table.py) gives each kernel's time and DRAM bytes beside the copy rate.
    n="$out/ncu/${k}_b$b"
    ncu --clock-control none --target-processes all --csv --print-units base \
      --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum \
      "$mb/bin/moebench" model bench /tmp/v2l --device cuda "${flags[@]}" --batch "$b" \
      --prompt 1 --tokens 1 --warmup 0 --json "$n.json" >"$n.csv" 2>"$n.err" || rc=$?
    python3 scripts/profile_table.py "$n.csv" "$n.json" "$k batch $b" \
      >"$out/profile_${k}_b$b.txt" 2>&1 || rc=$?
  done
  done
  stage profile "$rc" $((SECONDS - t0)) "$(head -qn1 "$out"/profile_*.txt 2>/dev/null | tr '\n' ';')"
}

for s in "${@:-check}"; do
  echo "== $s ($(date +%T))"
  case "$s" in
    check) run_check ;;
    bench) run_bench ;;
    e2e) run_e2e ;;
    profile) run_profile ;;
    *) echo "unknown stage '$s' (check, bench, e2e, profile)"; exit 2 ;;
  esac
done
echo
printf '%-12s %4s %8s  %s\n' stage rc time figure
printf '%s\n' "${rows[@]}" | tee "$out/summary.txt"
cp "$out/summary.txt" "$out"/*.json "$final/" 2>/dev/null
mapfile -t logs < <(find "$out" -mindepth 1 -maxdepth 1 ! -name '*.json' -printf '%P\n')
tar -C "$out" -czf "$final/logs.tar.gz" "${logs[@]}"
ls "$final"
