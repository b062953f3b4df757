#!/usr/bin/env bash
# The nightly workflow's steps, run here as .github/workflows/nightly.yml runs them:
# scripts/nightly/ci_step.sh plan, one `shard` per matrix cell, then `finish`, over three nights
# of a small config (the oracle and oracle-chat on the bundled samples, one entry in 2 shards).
# Every shard runs on a "fresh machine" (an empty results directory) and each finish sees only
# what the workflow hands it: the history the previous finish left (actions/cache) and the
# shards' artifacts (download-artifact, merge-multiple). Nights 1 and 2 pass the gate; night 3
# replays wrong gsm8k answers and must exit 1 with the site and summary still published.
# Also checks that the workflow's every `run:` is a ci_step.sh step and that every step output
# it reads is one ci_step.sh writes, so the two cannot drift apart.
# usage: ci_steps_test.sh MOEBENCH_BIN
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: ci_steps_test.sh MOEBENCH_BIN" >&2; exit 2; }
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
step=$root/scripts/nightly/ci_step.sh
workflow=$root/.github/workflows/nightly.yml
readonly kStart=$SECONDS

say() { echo "ci_steps_test [$((SECONDS - kStart))s]: $*"; }
fail() {
  echo "ci_steps_test: FAIL: $*" >&2
  exit 1
}

[ -x "$bin" ] || fail "no moebench binary at $1"
[ -f "$workflow" ] || fail "no workflow at $workflow"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moebench-nightly-ci.XXXXXX")
cleanup() {
  local rc=$?
  if [ $rc -eq 0 ]; then
    rm -rf "$tmp"
  else
    echo "ci_steps_test: failed; files kept in $tmp" >&2
  fi
}
trap cleanup EXIT
cd "$tmp"  # the "checkout": outputs are paths relative to it, as in the workflow

# The workflow's run: lines are ci_step.sh one-liners covering every step; prints the step ids
# mapped to their ci_step.sh step and the outputs read of them ("id step output" lines).
refs=$tmp/workflow_refs.txt
python3 - "$workflow" >"$refs" <<'EOF' || fail "the workflow and ci_step.sh drifted apart (above)"
import re, sys
text = open(sys.argv[1]).read()
runs = re.findall(r"^\s*(?:-\s+)?run:\s*(.*)$", text, re.M)
prefix = "bash scripts/nightly/ci_step.sh "
# A step and its arguments only: words (build targets) or quoted variables (matrix values).
one_liner = re.compile(re.escape(prefix) + r"\w+( [\w-]+| \"\$\w+\")*")
other = [r for r in runs if not one_liner.fullmatch(r.strip())]
if other:
    sys.exit(f"run: lines that are not ci_step.sh one-liners: {other}")
steps = {r[len(prefix):].split()[0] for r in runs}
if steps != {"setup", "plan", "shard", "keep", "finish"}:
    sys.exit(f"the workflow runs ci_step.sh {sorted(steps)}; expected setup, plan, shard, keep, "
             "finish")
ids = {}
for chunk in re.split(r"\n\s*- ", text):  # one list item (a step) per chunk
    step_id = re.search(r"^\s*id:\s*(\S+)\s*$", chunk, re.M)
    run = re.search(r"run:\s*" + re.escape(prefix) + r"(\w+)", chunk)
    if step_id and run:
        ids[step_id.group(1)] = run.group(1)
for step_id, output in sorted(set(re.findall(r"steps\.(\w+)\.outputs\.(\w+)", text))):
    if step_id in ids:
        print(step_id, ids[step_id], output)
EOF
for s in plan shard keep finish; do
  grep -q "^[a-z_]* $s " "$refs" || fail "the workflow reads no output of its ci_step.sh $s step"
done
say "workflow: every run: is a ci_step.sh step; reads $(wc -l <"$refs") step outputs"

# config ENTRY_A_BACKEND: the test's nightly config. NOTE: alpha 0.3 and one suite in the sharded
# entry: the bundled samples hold 3 gsm8k documents, and 3 of 3 lost is p = 0.25 in McNemar's exact
# test (Holm over two suites would make it 0.5, past any alpha the config takes).
config() {
  cat >"$tmp/nightly.json" <<EOF
{"schema": 1, "results": "results", "gate": {"alpha": 0.3, "threshold": 0.01},
 "kernels": {"run": "never"},
 "entries": [
  {"name": "sharded", "backend": "$1", "samples": true, "shards": 2, "suites": ["gsm8k"]},
  {"name": "chat", "backend": "oracle-chat", "samples": true,
   "suites": ["gsm8k", "arc_challenge"]}]}
EOF
}

# output FILE NAME: the value of step output NAME in a $GITHUB_OUTPUT file.
output() { sed -n "s/^$2=//p" "$1" | tail -n 1; }

# Every output the workflow reads of a ci_step.sh step ($1) must be in the outputs file $2, but
# those named after it (a shard writes artifact when its run finished, resume when it did not).
check_outputs_read() {
  local id step_name name
  while read -r id step_name name; do
    [ "$step_name" = "$1" ] || continue
    [[ " ${*:3} " != *" $name "* ]] || continue
    grep -q "^$name=" "$2" ||
      fail "the workflow reads steps.$id.outputs.$name; ci_step.sh $1 wrote no '$name' ($2)"
  done <"$refs"
}

# night NIGHT WANT_RC: plan, shards on fresh machines, finish on history + artifacts.
night() {
  local night=$1 want=$2 matrix cells i entry shard rc artifact out
  export NIGHTLY_CONFIG=$tmp/nightly.json MOEBENCH=$bin NIGHTLY_NIGHT=$night
  mkdir -p "$tmp/$night"
  GITHUB_OUTPUT=$tmp/$night/plan.out bash "$step" plan >"$tmp/$night/plan.log" 2>&1 ||
    { cat "$tmp/$night/plan.log" >&2; fail "$night: ci_step.sh plan failed"; }
  check_outputs_read plan "$tmp/$night/plan.out"
  matrix=$(output "$tmp/$night/plan.out" matrix)
  [ "$(output "$tmp/$night/plan.out" night)" = "$night" ] || fail "$night: plan's night output"
  [ "$(output "$tmp/$night/plan.out" results)" = results ] || fail "$night: plan's results output"
  cells=$(python3 -c 'import json, sys
for c in json.loads(sys.argv[1]): print(c["entry"], c["shard"])' "$matrix")
  [ "$(paste -sd, <<<"$cells")" = "sharded 0/2,sharded 1/2,chat 0/1" ] ||
    fail "$night: matrix $matrix; expected sharded 0/2, sharded 1/2, chat 0/1"
  i=0
  while read -r entry shard; do
    rm -rf "$tmp/results"  # a fresh runner: nothing of other shards or nights
    out=$tmp/$night/shard$i.out
    RUNNER_TEMP=$tmp/$night/runner$i GITHUB_OUTPUT=$out bash "$step" shard "$entry" "$shard" \
      >"$tmp/$night/shard$i.log" 2>&1 ||
      { tail -n 20 "$tmp/$night/shard$i.log" >&2; fail "$night: shard $entry $shard failed"; }
    check_outputs_read shard "$out" resume
    artifact=$(output "$out" artifact)
    [ -n "$(ls "$artifact"/*/run.json 2>/dev/null)" ] ||
      fail "$night: the artifact of shard $entry $shard ($artifact) holds no run"
    echo "$artifact" >>"$tmp/$night/artifacts.txt"
    i=$((i + 1))
  done <<<"$cells"
  say "$night: plan and $i shards ran; finish on the history and the shards' artifacts"
  rm -rf "$tmp/results"
  [ ! -d "$tmp/history" ] || cp -a "$tmp/history" "$tmp/results"  # actions/cache/restore
  mkdir -p "$tmp/results"
  while read -r artifact; do cp -a "$artifact"/. "$tmp/results/"; done <"$tmp/$night/artifacts.txt"
  rc=0
  GITHUB_STEP_SUMMARY=$tmp/$night/step_summary.md GITHUB_OUTPUT=$tmp/$night/finish.out \
    bash "$step" finish >"$tmp/$night/finish.log" 2>&1 || rc=$?
  [ "$rc" -eq "$want" ] ||
    { tail -n 30 "$tmp/$night/finish.log" >&2; fail "$night: finish exited $rc, expected $want"; }
  check_outputs_read finish "$tmp/$night/finish.out"
  grep -q '^|[-: |]*---' "$tmp/$night/step_summary.md" ||
    fail "$night: \$GITHUB_STEP_SUMMARY ($tmp/$night/step_summary.md) holds no Markdown table"
  [ -f "$(output "$tmp/$night/finish.out" site)/index.html" ] || fail "$night: no site index"
  [ -f "$(output "$tmp/$night/finish.out" night_dir)/gate.json" ] || fail "$night: no gate.json"
  cmp -s "$(output "$tmp/$night/finish.out" summary)" "$tmp/$night/step_summary.md" ||
    fail "$night: \$GITHUB_STEP_SUMMARY differs from the night's summary.md"
  rm -rf "$tmp/history" && cp -a "$tmp/results" "$tmp/history"  # actions/cache/save
  say "$night: finish exited $rc; summary of $(wc -l <"$tmp/$night/step_summary.md") lines, a site"
}

config oracle
night 2025-01-01 0
grep -q '| sharded | .*(first night)' "$tmp/2025-01-01/step_summary.md" ||
  fail "night 1: the summary does not show sharded as the first night"

night 2025-01-02 0
grep -q '| sharded | gsm8k | .*sharded-2025-01-01.*no significant change' \
  "$tmp/2025-01-02/step_summary.md" ||
  fail "night 2: the summary does not compare sharded's gsm8k with night 1"

# Night 3: the sharded entry replays night 2's answers with every gsm8k answer wrong.
python3 - "$tmp/history/sharded-2025-01-02/samples.jsonl" "$tmp/wrong.jsonl" <<'EOF'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        s = json.loads(line)
        if s["suite"] == "gsm8k":
            s["responses"] = ["#### -1"]
        out.write(json.dumps(s) + "\n")
EOF
config "replay:$tmp/wrong.jsonl"
night 2025-01-03 1
grep -q '| sharded | gsm8k | .*\*\*regression\*\*' "$tmp/2025-01-03/step_summary.md" ||
  fail "night 3: the summary does not show sharded's gsm8k regression"
grep -q 'regression: sharded gsm8k' "$tmp/2025-01-03/finish.log" ||
  fail "night 3: finish did not name the regression (entry, suite, p-value)"
# A shard that does not finish keeps its answers, and the cell run again on a fresh runner with
# them restored resumes (README: "a cell run again resumes from it"): the shard step uploaded a
# run only with run.json, never the cache, so a killed or timed-out shard asked everything again.
# The kill lands after the answers, before the results (moebench, then its run removed, exit 137:
# what a kill before publishing leaves), so nothing here depends on timing.
config oracle
cat >"$tmp/killed.sh" <<EOF
#!/usr/bin/env bash
"$bin" "\$@"
if [ "\$3 \$4" = "--stage run" ]; then rm -rf "$tmp/results/sharded-2025-01-04-shard1"; exit 137; fi
EOF
chmod +x "$tmp/killed.sh"
export NIGHTLY_NIGHT=2025-01-04
mkdir -p "$tmp/killed"
rm -rf "$tmp/results"
rc=0
MOEBENCH=$tmp/killed.sh RUNNER_TEMP=$tmp/killed/runner GITHUB_OUTPUT=$tmp/killed/shard.out \
  bash "$step" shard sharded 1/2 >"$tmp/killed/shard.log" 2>&1 || rc=$?
[ "$rc" = 137 ] || { cat "$tmp/killed/shard.log" >&2; fail "killed shard: exit $rc, expected 137"; }
check_outputs_read shard "$tmp/killed/shard.out" artifact
resume=$(output "$tmp/killed/shard.out" resume)
[ -f "$resume/cache/sharded-2025-01-04-shard1.sqlite" ] ||
  fail "killed shard: no cache/sharded-2025-01-04-shard1.sqlite staged (resume output '$resume')"
# The workflow's keep step (after a step timeout, when shard itself was killed) stages the same.
RUNNER_TEMP=$tmp/killed/keep GITHUB_OUTPUT=$tmp/killed/keep.out bash "$step" keep sharded 1/2 \
  >"$tmp/killed/keep.log" 2>&1 || { cat "$tmp/killed/keep.log" >&2; fail "keep failed"; }
check_outputs_read keep "$tmp/killed/keep.out"
cmp -s "$resume/cache/sharded-2025-01-04-shard1.sqlite" \
  "$(output "$tmp/killed/keep.out" resume)/cache/sharded-2025-01-04-shard1.sqlite" ||
  fail "keep staged another cache than shard"
rm -rf "$tmp/results" && mkdir -p "$tmp/results"  # a fresh runner
cp -a "$resume"/. "$tmp/results/"                 # download-artifact of nightly-resume-*
RUNNER_TEMP=$tmp/killed/again GITHUB_OUTPUT=$tmp/killed/again.out \
  bash "$step" shard sharded 1/2 >"$tmp/killed/again.log" 2>&1 ||
  { tail -n 20 "$tmp/killed/again.log" >&2; fail "the re-run of the killed shard failed"; }
grep -q ' 0 requests sent, [1-9][0-9]* from cache' "$tmp/killed/again.log" ||
  { cat "$tmp/killed/again.log" >&2; fail "the re-run of the killed shard did not resume"; }
[ -f "$(output "$tmp/killed/again.out" artifact)/sharded-2025-01-04-shard1/run.json" ] ||
  fail "the re-run of the killed shard uploads no run"
say "a killed shard keeps its answers; its re-run on a fresh runner resumes from them"

# A GitHub Actions matrix runs at most 256 jobs: plan refuses more (257 passed plan before, and
# the workflow failed at GitHub after the plan job).
cat >"$tmp/wide.json" <<EOF
{"schema": 1, "results": "results", "entries": [
  {"name": "a", "backend": "oracle", "samples": true, "shards": 200, "suites": ["gsm8k"]},
  {"name": "b", "backend": "oracle", "samples": true, "shards": 57, "suites": ["gsm8k"]}]}
EOF
rc=0
NIGHTLY_CONFIG=$tmp/wide.json bash "$step" plan >"$tmp/wide.log" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q '^ci_step: 257 shard jobs: a GitHub Actions matrix runs at most 256' \
  "$tmp/wide.log" || { cat "$tmp/wide.log" >&2; fail "plan took 257 shard jobs (rc $rc)"; }
say "plan refuses a matrix of 257 jobs"

# An entry of include_path suites that read the data dir: shard runs `data fetch` of them first,
# which knew only the tasks dir's suites ("unknown suite", the shard failed). Its suite ships its
# own data (<dir>/data/<dataset.dir>), so the fetch needs no network.
mkdir -p "$tmp/extra/math" "$tmp/extra/data"
cp -r "$root/tasks/samples/gsm8k" "$tmp/extra/data/gsm8k_own"
python3 - "$root/tasks/math/gsm8k.json" "$tmp/extra/math/gsm8k_own.json" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["name"] = spec["dataset"]["dir"] = "gsm8k_own"
spec["prompt"]["num_fewshot"] = 3  # the bundled sample holds 3 train docs
json.dump(spec, open(sys.argv[2], "w"))
EOF
cat >"$tmp/own.json" <<EOF
{"schema": 1, "results": "results", "include_path": ["extra"], "data_dir": "data",
 "entries": [{"name": "own", "backend": "oracle", "suites": ["gsm8k_own"]}]}
EOF
NIGHTLY_CONFIG=$tmp/own.json RUNNER_TEMP=$tmp/own bash "$step" shard own 0/1 >"$tmp/own.log" 2>&1 ||
  { cat "$tmp/own.log" >&2; fail "shard of an include_path suite failed"; }
grep -q 'gsm8k_own: reads its own data in' "$tmp/own.log" ||
  fail "shard of an include_path suite: data fetch did not see its suite"
say "shard runs an include_path suite that ships its data"

# A misspelled entry: one line and exit 2 before anything is fetched. The lookups' failures were
# inside [ ] and <<<, where set -e does not stop: the error came twice, then `data fetch` of every
# dataset (a fresh runner downloads them all), then moebench's own refusal.
rc=0
NIGHTLY_CONFIG=$tmp/own.json bash "$step" shard nosuch 0/1 >"$tmp/nosuch.log" 2>&1 || rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$tmp/nosuch.log")" = 1 ] &&
  grep -q "^ci_step: no entry 'nosuch' in .*own.json" "$tmp/nosuch.log" ||
  { cat "$tmp/nosuch.log" >&2; fail "shard of an unknown entry (rc $rc): not one line and exit 2"; }
say "shard of an unknown entry: one line, exit 2, nothing fetched"
say "PASS in $((SECONDS - kStart))s"
