#!/usr/bin/env bash
# Configures and builds moebench into ${MOEBENCH_BUILD:-build} (Release-with-debug-info).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOEBENCH_BUILD:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${MOEBENCH_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)" "$@"
