#!/usr/bin/env bash
# `moebench loadgen` checked against moebench-raw-loadgen, a hand-written raw-socket client, on the
# same workload (random 32-word chat prompts, 16 output tokens, greedy, seed 0): against `moebench
# serve` on a tiny random deepseek_v3 checkpoint and against moebench-loopback, at concurrency 1,
# 8, 64 and 256, each client twice with ROUNDS x max(50, concurrency) requests a run (ROUNDS 16 by
# default: long enough that connection set-up does not dominate). Prints one Markdown table per
# server (median/p99 TTFT and median E2EL over both runs, loadgen/raw ratios, errors); the clients
# should agree within 10% (printed, not asserted: the numbers depend on the machine and its load).
# JSON of every run goes to OUT_DIR. Exit 1 when a client did not complete every request without
# errors.
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

source "$(dirname "$0")/lib/servers.sh"
url_regex='(http://127\.0\.0\.1:[0-9]+)'

"$bin" model init --family deepseek_v3 --preset tiny -o "$out/model" --force >"$out/model_init.log" 2>&1 ||
  { cat "$out/model_init.log" >&2; exit 1; }
server_start serve "$url_regex" "$bin" serve "$out/model" --port 0 --threads 1 --model-name tiny
serve_url=${BASH_REMATCH[1]}/v1
server_start loopback "$url_regex" "$loopback" --port 0 --threads 1100
loopback_url=${BASH_REMATCH[1]}/v1

workload=(--input-len 32 --output-len 16 --len-spread 0 --seed 0)
status=0
# Both clients at one concurrency against one server, twice in the order loadgen, raw, raw,
# loadgen so that a drift in the machine's load weighs on both alike; the JSON holds the figures.
run_loadgen() {
  "$bin" loadgen --base-url "$1" --model tiny --num-prompts "$2" --request-rate inf \
    --max-concurrency "$3" "${workload[@]}" --no-progress --json "$4.json" >"$4.log" 2>&1 || status=1
}
run_raw() {
  "$raw" --base-url "$1" --model tiny --num-prompts "$2" --max-concurrency "$3" \
    "${workload[@]}" --json "$4.json" >"$4.log" 2>&1 || status=1
}
run_pair() {
  local name=$1 url=$2 c=$3
  local n=$((rounds * (c > 50 ? c : 50)))
  run_loadgen "$url" "$n" "$c" "$out/$name-c$c-loadgen-1"
  run_raw "$url" "$n" "$c" "$out/$name-c$c-raw-1"
  run_raw "$url" "$n" "$c" "$out/$name-c$c-raw-2"
  run_loadgen "$url" "$n" "$c" "$out/$name-c$c-loadgen-2"
}

for server in serve loopback; do
  url=$serve_url
  [ "$server" = loopback ] && url=$loopback_url
  # Warm-up (connections, the engine's first steps), not reported.
  "$bin" loadgen --base-url "$url" --model tiny --num-prompts 16 --max-concurrency 8 \
    "${workload[@]}" --no-progress >/dev/null 2>&1 || true
  for c in 1 8 64 256; do run_pair "$server" "$url" "$c"; done
done

python3 - "$out" <<'EOF'
import json, math, os, sys
out = sys.argv[1]

def percentile(xs, q):  # numpy.percentile's linear interpolation
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = q / 100 * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)

def pooled(prefix):  # both runs of one client: requests, TTFTs and E2ELs (ms), errors
    runs = [f"{prefix}-{i}.json" for i in (1, 2)]
    if not all(os.path.exists(r) for r in runs):
        return None
    n, ttft, e2el, errors = 0, [], [], {}
    for r in runs:
        for q in json.load(open(r))["requests"]:
            n += 1
            if q["ok"]:
                ttft.append(q["ttft_ms"])
                e2el.append(q["e2el_ms"])
            else:
                errors[q["error"]["type"]] = errors.get(q["error"]["type"], 0) + 1
    return n, ttft, e2el, errors

for server in ("serve", "loopback"):
    print(f"\n### {server}\n")
    print("| concurrency | requests per client | loadgen TTFT median / p99 ms "
          "| raw TTFT median / p99 ms | TTFT ratio | loadgen E2EL median ms | raw E2EL median ms "
          "| E2EL ratio | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in (1, 8, 64, 256):
        lg, rw = pooled(f"{out}/{server}-c{c}-loadgen"), pooled(f"{out}/{server}-c{c}-raw")
        if not lg or not rw:
            print(f"| {c} | - | missing | missing | - | - | - | - | a run failed |")
            continue
        errors = dict(lg[3])
        errors.update({"raw " + k: v for k, v in rw[3].items()})
        err = ", ".join(f"{k} {v}" for k, v in errors.items()) or "0"
        t = [percentile(x[1], q) for x in (lg, rw) for q in (50, 99)]
        e = [percentile(x[2], 50) for x in (lg, rw)]
        print(f"| {c} | {lg[0]} | {t[0]:.2f} / {t[1]:.2f} | {t[2]:.2f} / {t[3]:.2f} "
              f"| {t[0] / t[2]:.2f} | {e[0]:.2f} | {e[1]:.2f} | {e[0] / e[1]:.2f} | {err} |")
EOF
[ $status -eq 0 ] || echo "bench_loadgen: a client failed requests (logs in $out)" >&2
exit $status
