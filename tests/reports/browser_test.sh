#!/usr/bin/env bash
# The report site's browser test: runs on the bundled sample suites (oracle, a tiny built-in
# checkpoint, a replay whose responses are hostile strings, the oracle on 2 suites only and its
# rescore, and two copies of it under long ids that share a prefix), `moebench report`, then
# browser_check.mjs in headless Chromium at 1400 px. Needs scripts/fetch_browser.sh to have run.
# usage: browser_test.sh MOEBENCH_BIN OUT_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: browser_test.sh MOEBENCH_BIN OUT_DIR" >&2; exit 2; }
bin=$(realpath "$1")
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
modules=${MOEBENCH_BROWSER_MODULES:-${MOEBENCH_CACHE:-$root/.cache}/browser/node_modules}

fail() {
  echo "browser_test: $*" >&2
  exit 1
}
# Runs a step quietly; on failure shows its last lines and names it in the one-line reason.
step() {
  local name=$1
  shift
  "$@" >"$out/$name.log" 2>&1 ||
    { tail -15 "$out/$name.log" >&2; fail "$name failed (log: $out/$name.log)"; }
}

[ -x "$bin" ] || fail "no moebench binary at $1"
command -v node >/dev/null || fail "node not found (apt-get install nodejs)"
[ -d "$modules/puppeteer-core" ] ||
  fail "no puppeteer-core in $modules ---> HINT: run scripts/fetch_browser.sh"
command -v chromium >/dev/null || fail "chromium not found ---> HINT: run scripts/fetch_browser.sh"

# OUT_DIR is wiped first, so only one that is empty or that this script made is accepted.
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/.browser-test" ]; then
  fail "$out is not empty and was not made by browser_test.sh; give a new directory"
fi
rm -rf "$out" && mkdir -p "$out" && touch "$out/.browser-test"
out=$(realpath "$out")
results=$out/results
cd "$root"  # the bundled suites are found relative to the repository (tasks/)
common=(--samples --results-dir "$results" --no-progress --no-cache)

step oracle_run "$bin" run --backend oracle "${common[@]}"
oracle_samples=$(ls "$results"/*-oracle-*/samples.jsonl 2>/dev/null | head -1)
[ -n "$oracle_samples" ] || fail "the oracle run wrote no samples.jsonl under $results"
step model_init "$bin" model init --family deepseek_v3 --preset tiny -o "$out/model" --force
step builtin_run "$bin" run --backend "builtin:$out/model" "${common[@]}"

# The replay run: the oracle's gsm8k, math500 and humaneval samples with their responses replaced
# by the hostile strings. Line k of n gets payloads k, k+n, k+2n, ... (one each when there are at
# least as many lines as payloads) so every payload reaches the site.
replay=$out/xss_replay.jsonl
payloads=$here/xss_payloads.json
node - "$oracle_samples" "$payloads" "$replay" <<'EOF' || fail "could not write $replay"
const fs = require('fs');
const [src, payloads_file, dst] = process.argv.slice(2);
const payloads = JSON.parse(fs.readFileSync(payloads_file, 'utf8'));
const keep = new Set(['gsm8k', 'math500', 'humaneval']);
const lines = fs.readFileSync(src, 'utf8').split('\n').filter(Boolean).map(JSON.parse)
                  .filter((j) => keep.has(j.suite));
if (lines.length === 0) throw new Error('no gsm8k/math500/humaneval lines');
const n = lines.length;
lines.forEach((j, k) => {
  const mine = n >= payloads.length ? [payloads[k % payloads.length]]
                                    : payloads.filter((_, i) => i % n === k);
  j.responses = [mine.join('\n')];
});
fs.writeFileSync(dst, lines.map((j) => JSON.stringify(j)).join('\n') + '\n');
EOF
step replay_run "$bin" run --backend "replay:$replay" --suites gsm8k,math500,humaneval \
  "${common[@]}"
xss_dir=$(ls -d "$results"/*-replay-* 2>/dev/null | head -1)
[ -n "$xss_dir" ] || fail "the replay run wrote no run directory under $results"
xss_run=$(basename "$xss_dir")

# Rows the leaderboard must not rank unlike with unlike: the oracle on 2 suites (100%, beside the
# 11-suite runs), rescored once (the rescore keeps its model and scope: same row, marked), and
# two models whose long ids share a 50-character prefix: copies of that run under those names.
step oracle2_run "$bin" run --backend oracle --suites gsm8k,mmlu --limit 5 "${common[@]}"
oracle2_dir=$(dirname "$(grep -l '"limit": 5' "$results"/*-oracle-*/run.json | head -1)")
[ -d "$oracle2_dir" ] || fail "the 2-suite oracle run wrote no run.json under $results"
step rescore_run "$bin" rescore --samples --results-dir "$results" --no-progress \
  "$oracle2_dir/samples.jsonl"
for v in v1-alpha v2-beta; do
  copy=$results/long-$v
  cp -r "$oracle2_dir" "$copy"
  node - "$copy/run.json" "acme-research/moe-instruct-2026-preview-long-name-$v" "long-$v" \
    <<'EOF' || fail "could not write $copy/run.json"
const fs = require('fs');
const [file, id, run_id] = process.argv.slice(2);
const run = JSON.parse(fs.readFileSync(file, 'utf8'));
run.backend.id = id;
run.run_id = run_id;
fs.writeFileSync(file, JSON.stringify(run, null, 1));
EOF
done

step report "$bin" report "$results" -o "$out/site" --machine-usd-per-hour 2
[ -f "$out/site/index.html" ] || fail "moebench report wrote no $out/site/index.html"

node "$here/browser_check.mjs" --site "$out/site" --rows 6 --screenshot "$out/leaderboard.png" \
  --sample-screenshot "$out/xss_samples.png" --xss-run "$xss_run" --node-modules "$modules" ||
  fail "browser_check.mjs failed (see the FAIL lines above)"
echo "browser_test: screenshots $out/leaderboard.png $out/xss_samples.png"
