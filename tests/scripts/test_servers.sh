#!/usr/bin/env bash
# scripts/lib/servers.sh's server_start: the address it returns is the one the server it started
# printed, even where a log of an earlier run (another port) is still in the output folder; a
# stale log read before the new server truncated it sent the clients to a dead port (the serve
# HTTP fuzz test and the loadgen bench failed now and then under load). The race itself cannot be
# forced from here (the child truncates the log within microseconds); this guards the contract.
set -euo pipefail
out=$(mktemp -d)
trap 'servers_stop; rm -rf "$out"' EXIT
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/lib/servers.sh"
trap 'servers_stop; rm -rf "$out"' EXIT
for round in 1 2 3 4 5; do
  echo "fake on http://127.0.0.1:1111/v1" >"$out/fake.log"  # the earlier run's
  server_start fake 'http://127\.0\.0\.1:([0-9]+)' \
    bash -c 'sleep 0.2; echo "fake on http://127.0.0.1:2222/v1"; sleep 30'
  if [ "${BASH_REMATCH[1]}" != 2222 ]; then
    echo "round $round: server_start returned port ${BASH_REMATCH[1]}, the stale log's" >&2
    exit 1
  fi
done
echo "server_start read the new server's address in 5 rounds"
