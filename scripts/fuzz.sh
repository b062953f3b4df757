#!/usr/bin/env bash
# Coverage-guided fuzzing of moebench's input parsers (tests/fuzz/, libFuzzer + ASan + UBSan).
#
#   scripts/fuzz.sh TARGET|all SECONDS   a campaign: replays tests/fuzz/regressions/TARGET/, then
#                                        fuzzes for SECONDS with a corpus kept in the fuzz build
#   scripts/fuzz.sh --smoke [TARGET|all] the CI check: replays the regressions and runs a fixed
#                                        number of mutations from a fixed seed (deterministic)
#   scripts/fuzz.sh --list               the target names
#
# The fuzz build is ${MOEBENCH_FUZZ_BUILD:-build-fuzz} (clang, configured and built here as
# needed). Seeds are assembled at each run from the repo's real files (tasks/, tests/fixtures/,
# backends/models.json) plus checkpoints and a run made with a normal moebench build when one is
# there (${MOEBENCH_BIN:-${MOEBENCH_BUILD:-build}/moebench}). Exits 1 when any target crashed; the
# crashing inputs are in <build>/crashes/TARGET/ (add them to tests/fuzz/regressions/TARGET/ once
# fixed).
set -euo pipefail
# UBSan prints no stack by default; the frames are what a finding is filed with.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOEBENCH_FUZZ_BUILD:-$root/build-fuzz}
bin_dir=$build/tests/fuzz
moebench_bin=${MOEBENCH_BIN:-${MOEBENCH_BUILD:-$root/build}/moebench}
smoke_runs=${MOEBENCH_FUZZ_SMOKE_RUNS:-2000}

targets() {
  for f in "$root"/tests/fuzz/*.cpp; do basename "$f" .cpp; done
}

usage() {
  sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

fuzz_build() {  # fuzz_build TARGET...: configures (once) and builds the fuzz executables
  command -v clang++ >/dev/null ||
    { echo "fuzz: clang++ not found ---> HINT: run scripts/setup.sh" >&2; exit 2; }
  if [ ! -f "$build/CMakeCache.txt" ]; then
    # NOTE: -O1 with line tables keeps the build short and the stack traces symbolized; no NDEBUG,
    # so assertions are checked while fuzzing.
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DMOEBENCH_FUZZ=ON -DMOEBENCH_CUDA=OFF \
      -DMOEBENCH_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
      "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" >/dev/null
  fi
  local t args=()
  # NOTE: one aggregate target for all: make builds several --target's one after another.
  if [ "$what" = all ]; then
    args=(--target moebench-fuzz)
  else
    for t in "$@"; do args+=(--target "fuzz_$t"); done
  fi
  cmake --build "$build" -j "${MOEBENCH_FUZZ_JOBS:-$(nproc)}" "${args[@]}" >"$build/build.log" 2>&1 ||
    { tail -30 "$build/build.log" >&2; echo "fuzz: build failed (log: $build/build.log)" >&2; exit 1; }
}

# Checkpoints (tokenizer.json, tokenizer_config.json of each chat format) and an oracle run
# (run.json, samples.jsonl) made once with the normal build's CLI, when it is there.
generated=$build/seeds/generated
generate_seeds() {
  [ -x "$moebench_bin" ] || return 0
  [ "$generated/.done" -nt "$moebench_bin" ] && return 0  # made by this build of the CLI
  rm -rf "$generated"
  mkdir -p "$generated"
  local f
  for f in deepseek_v3 qwen3_moe mixtral; do
    # A 320-id vocabulary keeps tokenizer.json near 10 kB, so each execution stays fast.
    "$moebench_bin" model init --family "$f" -o "$generated/$f" --tasks-dir "$root/tasks" \
      --set vocab_size=320 --weights dummy >/dev/null
  done
  "$moebench_bin" run --backend oracle --samples --limit 2 --suites gsm8k,mmlu,agieval_gaokao \
    --tasks-dir "$root/tasks" --results-dir "$generated/results" --run-id seed --no-progress \
    --no-cache >/dev/null 2>&1
  touch "$generated/.done"
}

# seed_files TARGET: the repo files that seed TARGET, one path a line.
seed_files() {
  local g=$generated
  case $1 in
    suite_spec) ls "$root"/tasks/*/*.json ;;
    profile) ls "$root"/tasks/profiles/*.json ;;
    published_scores) echo "$root/tasks/published_scores.json" ;;
    template) ls "$build/seeds/templates"/* ;;
    loader_jsonl) find "$root/tasks/samples" -name '*.jsonl'; ls "$root"/tests/fixtures/tokenizer/*.jsonl ;;
    loader_jsonl_gz) find "$root/tasks/samples" -name '*.jsonl.gz' ;;
    loader_csv) find "$root/tasks/samples" -name '*.csv' ;;
    loader_gaokao) find "$root/tasks/samples/gaokao" -name '*.json' ;;
    safetensors) find "$root/tests/fixtures/hf/loader" -name '*.safetensors' ;;
    model_config) find "$root/tests/fixtures" "$g" -name config.json ;;
    tokenizer_json) find "$g" -name tokenizer.json ;;
    chat_template) find "$g" -name tokenizer_config.json ;;
    models_file) echo "$root/backends/models.json" ;;
    nightly_config) echo "$root/nightly/nightly.json" ;;
    # The table is over the 64 kB input cap: its seed keeps the first two files of each dataset.
    dataset_table)
      python3 - "$root/tasks/datasets.json" "$g/dataset_table_seed.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
for d in t["datasets"].values():
    d["files"] = d["files"][:2]
    for f in d["files"]:
        if "members" in f:
            f["members"] = f["members"][:2]
json.dump(t, open(sys.argv[2], "w"), indent=1)
EOF
      echo "$g/dataset_table_seed.json" ;;
    replay | run_samples) find "$g" -name samples.jsonl ;;
    run_json) find "$g" -name run.json ;;
    bench_json) ls "$root"/tests/fixtures/bench/*.json ;;
    sse_stream | openai_response | anthropic_response | serve_request) ;;  # regressions/ only
    *) echo "fuzz: no seeds listed for '$1' in scripts/fuzz.sh" >&2; exit 2 ;;
  esac 2>/dev/null || true
}

# The template strings of every suite spec, one file each (the template target's seeds).
extract_templates() {
  rm -rf "$build/seeds/templates"
  mkdir -p "$build/seeds/templates"
  python3 - "$root" "$build/seeds/templates" <<'EOF'
import glob, json, sys
root, out = sys.argv[1], sys.argv[2]
n = 0
def walk(v):
    global n
    if isinstance(v, str) and "{{" in v:
        open(f"{out}/t{n:03d}", "w").write(v)
        n += 1
    elif isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
for f in sorted(glob.glob(f"{root}/tasks/*/*.json")):
    walk(json.load(open(f)))
EOF
}

# seed_dir TARGET: a fresh directory with the seeds and the regression inputs.
seed_dir() {
  local dir=$build/seeds/$1 f
  rm -rf "$dir"
  mkdir -p "$dir"
  while IFS= read -r f; do
    [ -n "$f" ] && [ -f "$f" ] && cp "$f" "$dir/$(echo "${f#"$root"/}" | tr '/' '_')"
  done < <(seed_files "$1")
  for f in "$root/tests/fuzz/regressions/$1"/*; do [ -f "$f" ] && cp "$f" "$dir/"; done
  echo "$dir"
}

# replay TARGET: every regression input once; fails on any crash.
replay() {
  local inputs=("$root/tests/fuzz/regressions/$1"/*)
  [ -f "${inputs[0]}" ] || return 0
  if ! "$bin_dir/fuzz_$1" -runs=1 "${inputs[@]}" >"$build/logs/$1.replay.log" 2>&1; then
    echo "fuzz: $1: a regression input crashes again" >&2
    grep '^Running: ' "$build/logs/$1.replay.log" | tail -1 >&2 || true
    crash_summary "$build/logs/$1.replay.log" >&2
    return 1
  fi
}

# report TARGET LOG RC SECONDS: one summary line from libFuzzer's output.
report() {
  local t=$1 log=$2 rc=$3 secs=$4 execs cov ft
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  local crashes
  crashes=$(ls "$build/crashes/$t" 2>/dev/null | tr '\n' ' ')
  printf 'fuzz: %-20s %5ss  execs %-9s cov %-6s ft %-6s %s\n' "$t" "$secs" "${execs:-?}" \
    "${cov:-?}" "${ft:-?}" "$([ "$rc" -eq 0 ] && echo ok || echo "CRASH rc=$rc: ${crashes:-see $log}")"
}

# crash_summary LOG: what went wrong and the stack frames in moebench's own sources.
crash_summary() {
  grep -m3 'what():\|runtime error:\|ERROR: AddressSanitizer\|ERROR: libFuzzer: timeout\|out-of-memory' \
    "$1" | cut -c1-300 || true
  grep -E "^ +#[0-9]+ .* $root/[a-z]" "$1" | grep -v "$root/tests/fuzz/" | head -8 |
    sed -E 's/^ +(#[0-9]+) 0x[0-9a-f]+ in (.*) ([^ ]+)$/  \1 \3 \2/' | cut -c1-220 || true
  echo "  full log: $1"
}

# run_target TARGET MODE ARG: MODE campaign (ARG seconds) or smoke (ARG mutations).
run_target() {
  local t=$1 mode=$2 arg=$3 seeds corpus log rc=0 start
  replay "$t" || return 1
  seeds=$(seed_dir "$t")
  rm -rf "$build/crashes/$t"
  mkdir -p "$build/crashes/$t"
  log=$build/logs/$t.$mode.log
  start=$(date +%s)
  # NOTE: -timeout: one input taking 10 s is a hang (a regex blow-up, a loop) and a finding;
  # -max_len 64 kB covers every seed but the big tokenizer files, which are not seeds.
  local common=(-timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
    "-dict=$root/tests/fuzz/json.dict" "-artifact_prefix=$build/crashes/$t/")
  if [ "$mode" = smoke ]; then
    # A throw-away corpus and a fixed seed: the same mutations on every machine, however loaded.
    corpus=$(mktemp -d)
    "$bin_dir/fuzz_$t" "${common[@]}" -seed=1 -runs="$arg" "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    rm -rf "$corpus"
  else
    corpus=$build/corpus/$t
    mkdir -p "$corpus"
    "$bin_dir/fuzz_$t" "${common[@]}" -max_total_time="$arg" "$corpus" "$seeds" >"$log" 2>&1 ||
      rc=$?
  fi
  report "$t" "$log" "$rc" "$(($(date +%s) - start))"
  if [ "$rc" -ne 0 ]; then
    crash_summary "$log" >&2
    return 1
  fi
}

[ $# -ge 1 ] || usage
mode=campaign
case $1 in
  --list) targets; exit 0 ;;
  --smoke) mode=smoke; what=${2:-all}; arg=$smoke_runs ;;
  -*) usage ;;
  *) [ $# -eq 2 ] || usage; what=$1; arg=$2 ;;
esac
if [ "$what" = all ]; then
  mapfile -t selected < <(targets)
else
  [ -f "$root/tests/fuzz/$what.cpp" ] ||
    { echo "fuzz: unknown target '$what' (known: $(targets | tr '\n' ' '))" >&2; exit 2; }
  selected=("$what")
fi

started=$(date +%s)
fuzz_build "${selected[@]}"
mkdir -p "$build/logs"
generate_seeds || echo "fuzz: could not generate seeds with $moebench_bin; using the rest" >&2
extract_templates
failed=()
for t in "${selected[@]}"; do
  run_target "$t" "$mode" "$arg" || failed+=("$t")
done
echo "fuzz: ${#selected[@]} target(s) in $(($(date +%s) - started)) s (build included)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs under $build/crashes/, logs under $build/logs/)" >&2
  exit 1
fi
