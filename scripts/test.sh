#!/usr/bin/env bash
# The test command of the README: installs dependencies, builds, runs every ctest case.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${MOEBENCH_BUILD:-$root/build}"
ctest --output-on-failure -j "$(nproc)" "$@"
