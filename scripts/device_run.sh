#!/usr/bin/env bash
# On the GPU machine, with .bundle carried (scripts/device_bundle.sh built it here): unpacks the
# prebuilt binaries, checks them against this checkout's sources and `ldd`, then runs the stages
# named (default: check). Every stage's row is printed as it ends, and the summary, the JSON files
# and logs.tar.gz are rewritten under $OUT after each, so a call cut off by its time limit still
# returns what ran. Each binary runs under `timeout`, capped by what is left of DEADLINE seconds
# (default 450: a call's timeout_s of 480 less the collection); a stage with too little time left
# is skipped (rc 125) and the next ones still get their turn.
#   check   [gpu] kernel and engine tests (the engine-vs-CPU figures are in engine.log), the
#           [sm90a] ones (wgmma, TMA) each in a process of its own after the others
#   bench   model bench on the DeepSeek-V2-Lite shape (batch 1, 16, 64; prefill 8x2048) with its
#           rooflines, again with --kernels fused, with --pdl too, and with --kernels wgmma --pdl
#           --overlap (batch 16, 64 and the prefill too; each / separate in the summary);
#           transformers (eager) on the same config; moebench cost at $2 per GPU-hour; then the
#           gpu/ microbenchmarks at the V2-Lite and V3 shapes in groups (one process each, merged
#           into bench_DAY.json; a group the deadline cuts off is left out)
#   e2e     moebench run of GSM8K (the bundle's data) on the GPU (OVERLAP=true: each decode step
#           started before the last one's ids are read), then moebench loadgen against
#           moebench serve --device cuda (TTFT, TPOT, ITL percentiles)
#   profile per-kernel time and DRAM bytes of one graph-replayed decode step at batch 1 and 64
#           under Nsight Compute (clocks left alone; --profile-from-start off: model bench opens
#           the window around its timed decode steps only): kernels per step, µs each, share of
#           the step, GB/s and % of the copy bandwidth (scripts/profile_table.py), for
#           KERNELS="separate fused_pdl wgmma_pdl" by default (also: fused)
# Usage (device tool, carry [".bundle"]):
#   [DEADLINE=450] [OVERLAP=true] [LIMIT=600] [KERNELS=...] bash scripts/device_run.sh STAGE...
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# Logs and JSON go to a work dir, copied to $OUT after every stage: the summary, the top-level
# JSON files and every other log packed into one logs.tar.gz (the device tool returns at most 8
# files).
final=${OUT:-device-logs}
out=/tmp/device-run
rm -rf "$out" && mkdir -p "$out" "$final"
repo=$(pwd)
mb=/tmp/moebench-bundle
DEADLINE=${DEADLINE:-450}
rows=()

for s in "${@:-check}"; do  # a misspelt stage fails here, before anything runs
  case "$s" in
    check | bench | e2e | profile) ;;
    *) echo "unknown stage '$s' (check, bench, e2e, profile)"; exit 2 ;;
  esac
done

# NOTE: each file is written beside its old copy and renamed over it, so a call killed while
# collecting keeps the previous stage's files whole. At most 8 files reach $final: the summary, the
# logs and model_bench, cost_DAY, bench_DAY, e2e_run and loadgen JSON (the others sit in folders,
# packed into the logs).
collect() {
  {
    printf '%-12s %4s %8s  %s\n' stage rc time figure
    printf '%s\n' "${rows[@]}"
  } >"$out/summary.txt"
  local f logs
  for f in "$out/summary.txt" "$out"/*.json; do
    [ -f "$f" ] || continue
    cp "$f" "$final/.$(basename "$f").new" && mv -f "$final/.$(basename "$f").new" "$final/$(basename "$f")"
  done
  mapfile -t logs < <(find "$out" -mindepth 1 -maxdepth 1 ! -name '*.json' -printf '%P\n')
  tar -C "$out" -czf "$final/.logs.tar.gz.new" "${logs[@]}" &&
    mv -f "$final/.logs.tar.gz.new" "$final/logs.tar.gz"
}
stage() {  # stage NAME RC SECONDS FIGURE
  rows+=("$(printf '%-12s %4s %7ss  %s' "$1" "$2" "$3" "$4")")
  echo "${rows[-1]}"
  collect
}
# bounded SECONDS CMD...: CMD under `timeout`, at most SECONDS and at most what the deadline
# leaves less 15 s for collecting; 125 without running when under 10 s are left.
bounded() {
  local want=$1 have=$((DEADLINE - SECONDS - 15))
  shift
  ((have >= 10)) || return 125
  ((want <= have)) || want=$have
  timeout -k 5 "$want" "$@"
}

# A Catch2 log's last "test cases" and "assertions" lines, and how many cases skipped (no GPU).
catch_summary() {
  echo "$(grep -E '^(All tests passed|test cases:)' "$1" | tail -1 | tr -s ' ');" \
    "$(grep -E '^assertions:' "$1" | tail -1 | tr -s ' ');" \
    "$(grep -c 'GPU test skipped' "$1") skipped"
}

# shellcheck source=scripts/lib/sources_hash.sh
. scripts/lib/sources_hash.sh

rm -rf "$mb" && mkdir -p "$mb"
if [ ! -f .bundle/moebench-bundle.tar.xz ]; then
  echo "no bundle: run scripts/device_bundle.sh here and carry .bundle"
  exit 2
fi
# NOTE: Python's tarfile when the machine has no xz program.
tar -xJf .bundle/moebench-bundle.tar.xz -C "$mb" 2>/dev/null ||
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
    .bundle/moebench-bundle.tar.xz "$mb" || { echo "the bundle does not unpack"; exit 2; }
head -4 "$mb/MANIFEST"
built_from=$(awk '/^sources/ {print $2}' "$mb/MANIFEST")
# NOTE: a stale bundle would spend the session measuring other code: refused (ALLOW_STALE=1 runs
# it anyway, with a row saying so). `bash scripts/device_bundle.sh --check` tells before a call.
if [ "$built_from" != "$(sources_hash)" ]; then
  if [ "${ALLOW_STALE:-0}" != 1 ]; then
    echo "the bundle was built from other sources ($built_from) than this checkout ($(sources_hash)): rerun scripts/device_bundle.sh (or ALLOW_STALE=1)"
    exit 2
  fi
  stage bundle 1 0 "built from other sources ($built_from) than this checkout (ALLOW_STALE=1)"
fi
# CUDA's libraries the bundle leaves out (cuBLAS, cudart, NCCL) come from /usr/local/cuda or from
# PyTorch's nvidia packages: the bundle's bin/ wrappers put those folders on their own library
# path (with the bundle's), so Python and ncu keep the machine's libraries.
MB_LIB_DIRS=$(python3 - <<'PY' 2>/dev/null
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except ImportError:
    roots = []
print(":".join(sorted(d for r in roots for d in glob.glob(os.path.join(r, "*", "lib")))))
PY
)
export MB_LIB_DIRS
missing=$(LD_LIBRARY_PATH="$mb/lib:/usr/local/cuda/lib64${MB_LIB_DIRS:+:$MB_LIB_DIRS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  ldd "$mb"/libexec/* 2>&1 | grep "not found" | sort -u | tr -s ' \t\n' ' ')
# cuBLAS is loaded on first use (kernels/cublas_api.cu), so ldd does not see it.
cublas=$(awk '/^cublas / {print $2}' "$mb/MANIFEST")
if [ -n "$cublas" ] && ! ldconfig -p | grep -q "$cublas " &&
  ! ls "$mb/lib" /usr/local/cuda/lib64 ${MB_LIB_DIRS//:/ } ${LD_LIBRARY_PATH//:/ } 2>/dev/null |
  grep -qx "$cublas"; then
  missing="$missing $cublas"
fi
if [ -n "$missing" ]; then
  stage libraries 1 0 "ldd: not found: $missing"
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

v2lite() {  # the DeepSeek-V2-Lite-shape checkpoint with dummy weights, once (whole: .ok)
  [ -f /tmp/v2l/.ok ] && return
  rm -rf /tmp/v2l
  bounded 90 "$mb/bin/moebench" model init --family deepseek_v2 --preset v2-lite \
    --weights dummy -o /tmp/v2l --force >"$out/init.log" 2>&1 && touch /tmp/v2l/.ok
}

# run_cases NAME BIN SECONDS: BIN's [sm90a] test cases (the wgmma/TMA kernels, never run on a GPU
# before), each in its own process, so a trap (a sticky error for its CUDA context) fails that
# case alone; one stage row with the count and the failed names. Log: NAME.log.
run_cases() {
  local name=$1 bin=$2 budget=$3 t0=$SECONDS rc=0 n=0 failed=()
  local log="$out/$name.log" case_t0 left figure skipped
  : >"$log"
  while IFS= read -r test_case; do
    [ -n "$test_case" ] || continue
    n=$((n + 1))
    left=$((budget - (SECONDS - t0)))
    if ((left < 5)); then
      rc=125
      failed+=("$test_case (not run: the stage's time is spent)")
      continue
    fi
    case_t0=$SECONDS
    echo "== $test_case" >>"$log"
    bounded "$left" "$bin" "$test_case" >>"$log" 2>&1 ||
      { rc=1; failed+=("$test_case ($((SECONDS - case_t0))s)"); }
  done < <("$bin" --list-test-names-only "[sm90a]" 2>/dev/null)
  skipped=$(grep -c 'GPU test skipped' "$log")
  figure="$n cases, $((n - ${#failed[@]})) passed; $skipped skipped"
  ((${#failed[@]} == 0)) || figure="$figure; failed: $(IFS='|'; echo "${failed[*]}")"
  stage "$name" "$rc" $((SECONDS - t0)) "$figure"
}

# The engine tests' "cuda engine vs cpu" lines: the largest max rel err and the lowest top-1.
engine_figure() {
  grep -hE '^cuda engine vs cpu' "$@" 2>/dev/null | awk '
    { for (i = 1; i <= NF; i++) {
        if ($i == "err") { v = $(i + 1) + 0; if (v > err) err = v }
        if ($i == "top-1") { split($(i + 1), a, "/"); r = a[1] / a[2]
                             if (n == 0 || r < low) { low = r; worst = $(i + 1) } n++ } } }
    END { if (n) printf "worst max rel err %.2e, lowest top-1 %s", err, worst }'
}

# NOTE: about 280 s at most, so the bench stage's required figures still fit a 450 s call.
run_check() {
  local t0=$SECONDS rc
  bounded 90 "$mb/bin/test_kernels" "[gpu]~[sm90a]" >"$out/kernels.log" 2>&1
  rc=$?
  stage kernels "$rc" $((SECONDS - t0)) "$(catch_summary "$out/kernels.log")"
  run_cases kernels_90a "$mb/bin/test_kernels" 60
  t0=$SECONDS
  bounded 90 "$mb/bin/test_engine" "[gpu]~[sm90a]" >"$out/engine.log" 2>&1
  rc=$?
  stage engine "$rc" $((SECONDS - t0)) \
    "$(catch_summary "$out/engine.log"); $(engine_figure "$out/engine.log")"
  run_cases engine_90a "$mb/bin/test_engine" 40
  grep -hE "cuda engine vs" "$out/engine.log" "$out/engine_90a.log" | head -20
}

# The gpu/ microbenchmarks in groups, one process and JSON each (Google Benchmark writes its JSON
# at exit), merged into bench_DAY.json; then each one's median beside its ceilings and each fused
# launch beside the launches it replaces (scripts/bench_table.py).
# bench_counts BENCH_JSON: how many benchmarks measured and how many failed, as bench_table.py
# counts them: failed = an error in every repetition (no median in the table); one with errors in
# some repetitions only is measured, and counted again as partly failed.
bench_counts() {
  python3 -c 'import json, sys
measured, errored = set(), set()
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    name = b.get("run_name", b["name"])
    (errored if b.get("error_occurred") or "error_message" in b else measured).add(name)
partly = len(measured & errored)
print("%d benchmarks measured%s, %d failed (names in kernels_bench.log)" % (len(measured),
      " (%d partly failed)" % partly if partly else "", len(errored - measured)))' "$1" 2>/dev/null ||
    echo "no merged benchmark JSON"
}

run_microbenchmarks() {
  local t0=$SECONDS rc=0 i=0 g parts=()
  local groups=(
    'ceiling'
    'gemm/v2lite_(o_proj|shared_down|logits)'
    'gemm/v2lite_(lm_head|q_absorb|out_absorb)'
    'grouped_gemm/v2lite'
    'decode_attention/v2lite'
    'prefill_attention/v2lite_mla|mla_prepare(_absorb)?_v2lite'
    'rmsnorm|swiglu/(v2lite|v3)|moe_(route|route_place|router_norm|permute|combine|combine_norm)/(v2lite|v3)'
    'grouped_gemm/v3'
    'nccl'
  )
  mkdir -p "$out/bench_parts"
  for g in "${groups[@]}"; do
    i=$((i + 1))
    bounded 100 "$mb/bin/moebench-kernels" --benchmark_filter="^gpu/($g)" \
      --benchmark_min_time=0.05 --benchmark_repetitions=3 \
      --benchmark_out="$out/bench_parts/$i.json" --benchmark_out_format=json \
      >>"$out/kernels_bench.log" 2>&1 || rc=$?
    parts+=("$out/bench_parts/$i.json")
  done
  python3 scripts/bench_merge.py "$out/bench_$day.json" "${parts[@]}" 2>>"$out/kernels_bench.log" ||
    rc=$?
  python3 scripts/bench_table.py "$out/bench_$day.json" >"$out/kernels_table.md" \
    2>"$out/kernels_pairs.txt" || rc=$?
  local pairs lost
  pairs=$(tr '\n' ' ' <"$out/kernels_pairs.txt" 2>/dev/null)
  # NOTE: a group cut off by the deadline or crashed leaves no JSON: bench_merge.py names it (rc 3).
  lost=$(grep -h 'bench_merge.py: left out' "$out/kernels_bench.log" | tail -1 | sed "s|$out/||g")
  stage "gpu/ bench" "$rc" $((SECONDS - t0)) \
    "$(bench_counts "$out/bench_$day.json")${lost:+; $lost}; $pairs"
}

# The required figures first (model bench with its rooflines, its cost, transformers beside it),
# then the engine variants and the microbenchmarks.
run_bench() {
  local t0=$SECONDS rc
  v2lite
  bounded 150 "$mb/bin/moebench" model bench /tmp/v2l --device cuda --batch 1 --batch 16 \
    --batch 64 --prompt 128 --tokens 32 --warmup 2 --prefill 8x2048 \
    --json "$out/model_bench.json" >"$out/model_bench.log" 2>&1
  rc=$?
  stage "model bench" "$rc" $((SECONDS - t0)) \
    "$(python3 scripts/model_bench_ratio.py "$out/model_bench.json")"
  t0=$SECONDS
  bounded 30 "$mb/bin/moebench" cost --bench "$out/model_bench.json" --gpu-hour-usd 2 \
    >"$out/cost.log" 2>&1
  rc=$?
  # NOTE: only a cost that ran leaves its JSON (an empty file would reach results/cost/).
  if [ "$rc" = 0 ]; then
    "$mb/bin/moebench" cost --bench "$out/model_bench.json" --gpu-hour-usd 2 --format json \
      >"$out/cost_$day.json" 2>/dev/null || rm -f "$out/cost_$day.json"
  fi
  stage cost "$rc" $((SECONDS - t0)) "$(cost_figure "$out/cost_$day.json")"
  t0=$SECONDS
  mkdir -p "$out/hf"  # NOTE: in the logs: the summary row has its figures
  bounded 200 env PYTHONUNBUFFERED=1 python3 scripts/hf/bench_transformers.py --config /tmp/v2l \
    --batch 1 --batch 64 --prompt 128 --tokens 32 --no-compile --out "$out/hf/hf.json" \
    >"$out/hf.log" 2>&1
  rc=$?
  stage transformers "$rc" $((SECONDS - t0)) "$(hf_figure "$out/hf.log")"
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
    bounded 100 "$mb/bin/moebench" model bench /tmp/v2l --device cuda "${flags[@]}" --batch 1 \
      --batch 64 "${extra[@]}" --prompt 128 --tokens 32 --warmup 2 \
      --json "$out/$v/model_bench.json" >"$out/model_bench_$v.log" 2>&1
    rc=$?
    stage "$v" "$rc" $((SECONDS - t0)) \
      "$(python3 scripts/model_bench_ratio.py "$out/model_bench.json" "$out/$v/model_bench.json")"
  done
  run_microbenchmarks
}

# hf_figure HF_LOG: each setting's decode tokens/s that bench_transformers.py printed, for the
# summary row. NOTE: only its result lines ("  batch B SETTING: X decode tok/s"); the table's
# header names the same column.
hf_figure() {
  grep -E '^  batch [0-9]+ [^:]+: [0-9.]+ decode tok/s$' "$1" 2>/dev/null | sed 's/^  //' |
    paste -sd ';' - | sed 's/;/; /g'
}

# cost_figure COST_JSON: each row's blended $ per 1M tokens (the prefill row's input), for the
# summary row.
cost_figure() {
  [ -s "$1" ] || return 0
  python3 -c 'import json, sys
out = []
for r in json.load(open(sys.argv[1]))["rows"]:
    for kind in ("blended", "input"):
        v = r.get(kind + "_usd_per_million")
        if v is not None:
            out.append("%s $%.3f/1M %s" % (r["label"], v, kind))
            break
print("; ".join(out))' "$1"
}

run_e2e() {
  local t0=$SECONDS rc
  v2lite
  # OVERLAP=true: each decode step starts before the previous one's ids are read.
  rm -rf /tmp/results  # NOTE: a warm machine may hold an earlier call's run and response cache
  bounded 150 env MOEBENCH_DATA="$mb/data" "$mb/bin/moebench" run --backend builtin:/tmp/v2l \
    --device cuda --backend-opt max_batch=256 --backend-opt "overlap=${OVERLAP:-false}" \
    --suites gsm8k --limit "${LIMIT:-600}" --no-progress \
    --results-dir /tmp/results --run-id e2e --force >"$out/e2e.log" 2>&1
  rc=$?
  cp /tmp/results/e2e/run.json "$out/e2e_run.json" 2>/dev/null
  # NOTE: with run.json under results/<run>/, the report's run pages need the samples (logs).
  mkdir -p "$out/e2e" && cp /tmp/results/e2e/samples.jsonl "$out/e2e/" 2>/dev/null
  stage e2e "$rc" $((SECONDS - t0)) "$(grep -m1 'backend:' "$out/e2e.log")"

  t0=$SECONDS
  if ((DEADLINE - SECONDS - 15 < 60)); then
    stage loadgen 125 0 "skipped: under 60 s left for serve and loadgen"
    return
  fi
  local serve_flags=()
  [ "${OVERLAP:-false}" = true ] && serve_flags=(--overlap)
  "$mb/bin/moebench" serve /tmp/v2l --device cuda --port 18431 --max-batch 64 \
    --model-name v2l "${serve_flags[@]}" >"$out/serve.log" 2>&1 &
  local serve=$!
  for _ in $(seq 1 240); do  # the model loads first (up to 2 minutes)
    grep -q "on http" "$out/serve.log" && break
    kill -0 "$serve" 2>/dev/null || break
    ((DEADLINE - SECONDS > 40)) || break
    sleep 0.5
  done
  bounded 90 "$mb/bin/moebench" loadgen --base-url http://127.0.0.1:18431/v1 --model v2l \
    --num-prompts 256 --request-rate 32 --max-concurrency 64 --input-len 128 --output-len 64 \
    --warmup 64 --json "$out/loadgen.json" >"$out/loadgen.log" 2>&1
  rc=$?
  kill -INT "$serve" 2>/dev/null
  for _ in $(seq 1 20); do  # NOTE: 10 s to stop, then killed
    kill -0 "$serve" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL "$serve" 2>/dev/null
  wait "$serve" 2>/dev/null
  stage loadgen "$rc" $((SECONDS - t0)) "$(grep -m1 -iE 'ttft' "$out/loadgen.log")"
}

run_profile() {
  local t0=$SECONDS
  v2lite
  local ncu c
  ncu=$(command -v ncu)
  # NOTE: the newest Nsight Compute when several are installed.
  for c in /usr/local/cuda/bin/ncu $(printf '%s\n' /opt/nvidia/nsight-compute/*/ncu | sort -rV); do
    [ -n "$ncu" ] || { [ -x "$c" ] && ncu=$c; }
  done
  if [ -z "$ncu" ]; then
    stage profile 127 0 "no ncu on this machine"
    return
  fi
  local rc=0 run_rc k b n flags
  mkdir -p "$out/ncu"  # NOTE: a folder: its JSON goes into logs.tar.gz, not into the 8 files
  # KERNELS: the engine variants profiled (variant_flags): the before and after of issue 20's
  # fusions with programmatic launch and the wgmma experts, by default.
  for k in ${KERNELS:-separate fused_pdl wgmma_pdl}; do
    variant_flags "$k" || { rc=2; continue; }
    for b in 1 64; do
      # --prompt 1 --tokens 1: the one decode step model bench times (its profiler window) is
      # replayed from its CUDA graph, whose kernel count model bench reports (kernels_per_step in
      # its JSON); the table (scripts/profile_table.py) gives each kernel's time and DRAM bytes
      # beside the copy rate. NOTE: ncu flushes the caches before each kernel (cold L2 times).
      n="$out/ncu/${k}_b$b"
      bounded 90 "$ncu" --profile-from-start off --clock-control none --target-processes all \
        --csv --print-units base \
        --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum \
        "$mb/bin/moebench" model bench /tmp/v2l --device cuda "${flags[@]}" --batch "$b" \
        --prompt 1 --tokens 1 --warmup 0 --json "$n.json" >"$n.csv" 2>"$n.err"
      run_rc=$?
      if [ "$run_rc" = 125 ]; then
        stage profile 125 $((SECONDS - t0)) "skipped from $k batch $b on: the deadline; $(head -qn1 "$out"/profile_*.txt 2>/dev/null | tr '\n' ';')"
        return
      fi
      [ "$run_rc" = 0 ] || rc=$run_rc
      python3 scripts/profile_table.py "$n.csv" "$n.json" "$k batch $b" \
        >"$out/profile_${k}_b$b.txt" 2>&1 || rc=$?
      collect  # NOTE: each table as it is made: a call cut off keeps the finished ones
      if ! grep -q 'gpu__time_duration' "$n.csv" 2>/dev/null; then
        stage profile "$rc" $((SECONDS - t0)) "ncu profiled nothing: $(tail -1 "$n.err")"
        return
      fi
    done
  done
  stage profile "$rc" $((SECONDS - t0)) "$(head -qn1 "$out"/profile_*.txt 2>/dev/null | tr '\n' ';')"
}

for s in "${@:-check}"; do
  echo "== $s ($(date +%T), $((DEADLINE - SECONDS)) s left)"
  case "$s" in
    check) run_check ;;
    bench) run_bench ;;
    e2e) run_e2e ;;
    profile) run_profile ;;
  esac
done
echo
collect
cat "$out/summary.txt"
ls "$final"
