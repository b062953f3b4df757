#!/usr/bin/env bash
# The API backend's throughput benchmark (issue 7): moebench-api-bench against moebench-loopback,
# at concurrency 64 with no server latency and at concurrency 512 with 200 ms of latency per
# request. Prints each run's requests/s, latency and the client's resident memory per second;
# writes JSON into OUT_DIR. Exit 1 when a run had errors.
# usage: bench_api.sh BUILD_DIR OUT_DIR [DURATION_S]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench_api.sh BUILD_DIR OUT_DIR [DURATION_S]" >&2; exit 2; }
build=$(realpath "$1")
out=$2
duration=${3:-30}
loopback=$build/tests/moebench-loopback
bench=$build/moebench-api-bench
for b in "$loopback" "$bench"; do
  [ -x "$b" ] || { echo "bench_api: no $b (build the tests first)" >&2; exit 2; }
done
mkdir -p "$out"
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true' EXIT

status=0
# concurrency latency_ms
for config in "64 0" "512 200"; do
  read -r concurrency latency <<<"$config"
  log=$out/loopback-c$concurrency.log
  "$loopback" --port 0 --latency-ms "$latency" --threads $((concurrency * 2 + 64)) >"$log" 2>&1 &
  server=$!
  url=
  for _ in $(seq 100); do
    url=$(sed -n 's/^loopback: listening on //p' "$log" | head -1)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$log" >&2; echo "bench_api: the loopback server did not start" >&2; exit 1; }
  echo "== concurrency $concurrency, server latency $latency ms"
  "$bench" --base-url "$url/v1" --concurrency "$concurrency" --duration-s "$duration" \
    --json "$out/api-bench-c$concurrency.json" || status=1
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
done
exit $status
