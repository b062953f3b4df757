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
out=$(realpath "$out")
# shellcheck source=scripts/lib/servers.sh
source "$(dirname "$0")/lib/servers.sh"

status=0
# concurrency latency_ms
for config in "64 0" "512 200"; do
  read -r concurrency latency <<<"$config"
  server_start "loopback-c$concurrency" '^loopback: listening on (.*)$' \
    "$loopback" --port 0 --latency-ms "$latency" --threads $((concurrency * 2 + 64))
  url=${BASH_REMATCH[1]}
  echo "== concurrency $concurrency, server latency $latency ms"
  "$bench" --base-url "$url/v1" --concurrency "$concurrency" --duration-s "$duration" \
    --json "$out/api-bench-c$concurrency.json" || status=1
  servers_stop
  # shellcheck disable=SC2034  # servers.sh's list: this run's server is stopped
  server_pids=()
done
exit $status
