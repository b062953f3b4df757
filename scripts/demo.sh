#!/usr/bin/env bash
# The main job of the README: installs dependencies, builds, writes the tiny built-in model
# (`moebench model init`, random weights, real tokenizer) and evaluates it with the CPU engine on
# the bundled sample suites (no dataset, no GPU needed). Extra arguments go to `moebench run`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" --target moebench
cd "$root"  # results/ of the checkout, wherever the script was started from
bin="${MOEBENCH_BUILD:-$root/build}/moebench"
model="results/models/tiny-deepseek_v3"
"$bin" model init --family deepseek_v3 --preset tiny -o "$model" --force
exec "$bin" run --backend "builtin:$model" --samples "$@"
