#!/usr/bin/env bash
# `moebench loadgen` checked against moebench-raw-loadgen, a hand-written raw-socket client, on the
# same workload (random 32-word chat prompts, 16 output tokens, greedy, seed 0): against `moebench
# serve` on a tiny random deepseek_v3 checkpoint and against moebench-loopback, at concurrency 1,
# 8, 64 and 256 with ROUNDS x max(50, concurrency) requests each (ROUNDS 16 by default: long enough
# that connection set-up does not dominate). Prints one Markdown table per
# server (median/p99 TTFT, median E2EL, loadgen/raw ratios, errors); the clients should agree within
# 10% (printed, not asserted: the numbers depend on the machine). JSON of every run goes to
# OUT_DIR. Exit 1 when a client did not complete every request without errors.
# usage: bench_loadgen.sh BUILD_DIR OUT_DIR [ROUNDS]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench_loadgen.sh BUILD_DIR OUT_DIR [ROUNDS]" >&2; exit 2; }
build=$(realpath "$1")
out=$2
rounds=${3:-16}
bin=$build/moebench
raw=$build/tests/moebench-raw-loadgen
loopback=$build/tests/moebench-loopback
for b in "$bin" "$raw" "$loopback"; do
  [ -x "$b" ] || { echo "bench_loadgen: no $b (build moebench and the tests first)" >&2; exit 2; }
done
mkdir -p "$out"
out=$(realpath "$out")

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# Starts a server logging to $out/NAME.log and waits for the URL in its first line; sets `url`.
start_server() {
  local name=$1
  shift
  "$@" >"$out/$name.log" 2>&1 &
  pids+=($!)
  local pid=$! line=""
  for _ in $(seq 1 600); do
    line=$(head -1 "$out/$name.log" 2>/dev/null || true)
    [[ "$line" =~ (http://127\.0\.0\.1:[0-9]+) ]] && { url=${BASH_REMATCH[1]}/v1; return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "$out/$name.log" >&2; echo "bench_loadgen: $name exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench_loadgen: $name printed no URL in 60 s (log: $out/$name.log)" >&2
  exit 1
}

"$bin" model init --family deepseek_v3 --preset tiny -o "$out/model" --force >"$out/model_init.log" 2>&1 ||
  { cat "$out/model_init.log" >&2; exit 1; }
start_server serve "$bin" serve "$out/model" --port 0 --threads 1 --model-name tiny
serve_url=$url
start_server loopback "$loopback" --port 0 --threads 1100
loopback_url=$url

workload=(--input-len 32 --output-len 16 --len-spread 0 --seed 0)
status=0
# Both clients at one concurrency against one server; the JSON files hold the figures.
run_pair() {
  local name=$1 url=$2 c=$3
  local n=$((rounds * (c > 50 ? c : 50)))
  "$bin" loadgen --base-url "$url" --model tiny --num-prompts "$n" --request-rate inf \
    --max-concurrency "$c" "${workload[@]}" --no-progress --json "$out/$name-c$c-loadgen.json" \
    >"$out/$name-c$c-loadgen.log" 2>&1 || status=1
  "$raw" --base-url "$url" --model tiny --num-prompts "$n" --max-concurrency "$c" \
    "${workload[@]}" --json "$out/$name-c$c-raw.json" >"$out/$name-c$c-raw.log" 2>&1 || status=1
}

for server in serve loopback; do
  url=$serve_url
  [ "$server" = loopback ] && url=$loopback_url
  # Warm-up (connections, the engine's first steps), not reported.
  "$bin" loadgen --base-url "$url" --model tiny --num-prompts 16 --max-concurrency 8 \
    "${workload[@]}" --no-progress >/dev/null 2>&1 || true
  for c in 1 8 64 256; do run_pair "$server" "$url" "$c"; done
done

python3 - "$out" "$rounds" <<'EOF'
import json, os, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(path):
    return json.load(open(path)) if os.path.exists(path) else None
def ratio(a, b):
    return f"{a / b:.2f}" if b > 0 else "-"
for server in ("serve", "loopback"):
    print(f"\n### {server}\n")
    print("| concurrency | requests | loadgen TTFT median / p99 ms | raw TTFT median / p99 ms "
          "| TTFT ratio | loadgen E2EL median ms | raw E2EL median ms | E2EL ratio | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in (1, 8, 64, 256):
        lg = load(f"{out}/{server}-c{c}-loadgen.json")
        rw = load(f"{out}/{server}-c{c}-raw.json")
        if not lg or not rw:
            print(f"| {c} | - | missing | missing | - | - | - | - | run failed |")
            continue
        a, b = lg["summary"], rw["summary"]
        n = a["completed"] + a["failed"]
        errors = {k: v for k, v in a["errors"].items()}
        for k, v in b["errors"].items():
            errors["raw " + k] = v
        err = ", ".join(f"{k} {v}" for k, v in errors.items()) or "0"
        print(f"| {c} | {n} | {a['ttft']['median_ms']:.2f} / {a['ttft']['p99_ms']:.2f} "
              f"| {b['ttft']['median_ms']:.2f} / {b['ttft']['p99_ms']:.2f} "
              f"| {ratio(a['ttft']['median_ms'], b['ttft']['median_ms'])} "
              f"| {a['e2el']['median_ms']:.2f} | {b['e2el']['median_ms']:.2f} "
              f"| {ratio(a['e2el']['median_ms'], b['e2el']['median_ms'])} | {err} |")
EOF
[ $status -eq 0 ] || echo "bench_loadgen: a client failed requests (logs in $out)" >&2
exit $status
