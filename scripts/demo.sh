#!/usr/bin/env bash
# The main job of the README: installs dependencies, builds, and runs `moebench selfcheck` on the
# bundled samples (no dataset needed). Extra arguments go to moebench.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" --target moebench
cd "$root"  # results/ of the checkout, wherever the script was started from
exec "${MOEBENCH_BUILD:-$root/build}/moebench" selfcheck --samples "$@"
