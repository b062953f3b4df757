#!/usr/bin/env bash
# Scale-out on Slurm, end to end on a throwaway one-host cluster (scripts/slurm/local_cluster.sh):
# scripts/slurm/submit.sh runs the bundled sample suites as a 4-task job array plus the merge job,
# and the merged run must equal an unsharded run (tests/slurm/compare_runs.py): with the oracle;
# with a task killed mid-run (SIGKILL), whose merge then never runs and whose re-submission resumes
# from the shared response cache; and with the tiny built-in model on the CPU engine. Then two
# nightly nights through scripts/slurm/nightly.sh, and a failed cell re-submitted (TASKS=) while
# another cell of the night still runs: the new finish job waits for both.
# Needs root and Debian's slurm-wlm and munge (scripts/setup.sh). Results stay in OUT_DIR.
# usage: slurm_test.sh MOEBENCH_BIN OUT_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: slurm_test.sh MOEBENCH_BIN OUT_DIR" >&2; exit 2; }
bin=$(realpath "$1")
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
readonly kJobTimeoutS=${SLURM_TEST_JOB_TIMEOUT:-600}  # per wait; CI machines are shared and slow
# The oracle's delay per answer in the killed-task step: task 1 (12 answers, 4 at a time) must
# still be running when the test sees its first answers in the cache and kills it.
readonly kDelayMs=${SLURM_TEST_DELAY_MS:-2000}
readonly kStart=$SECONDS

say() { echo "slurm_test [$((SECONDS - kStart))s]: $*"; }
fail() {
  echo "slurm_test: FAIL: $*" >&2
  exit 1
}

[ -x "$bin" ] || fail "no moebench binary at $1"
[ "$(id -u)" -eq 0 ] || fail "needs root (the local cluster runs munged and Slurm as root)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  fail "slurmctld or munged not found ---> HINT: bash scripts/setup.sh (slurm-wlm munge)"
fi

# OUT_DIR is wiped first, so only one that is empty or that this script made is accepted.
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/.slurm-test" ]; then
  fail "$out is not empty and was not made by slurm_test.sh; give a new directory"
fi
rm -rf "$out" && mkdir -p "$out" && touch "$out/.slurm-test"
out=$(realpath "$out")
# NOTE: the cluster lives at a short path (munged's socket path is at most 107 bytes) named after
# OUT_DIR, so daemons left by a run that was killed (ctest's timeout) are stopped by the next one.
cluster=/tmp/moebench-slurm-$(printf %s "$out" | sha1sum | cut -c1-8)

# On failure: the queue and the last lines of every job log and daemon log.
show_logs() {
  echo "--- squeue --states=all" >&2
  squeue --states=all --format='%.12i %.16j %.10T %.8M %r' >&2 2>/dev/null || true
  for f in "$out"/*/slurm/*.out "$cluster"/log/*.log; do
    [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
  done
}
cleanup() {
  local rc=$?
  [ $rc -eq 0 ] || show_logs
  "$root/scripts/slurm/local_cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
  rm -rf "$cluster"
  [ $rc -eq 0 ] || echo "slurm_test: failed after $((SECONDS - kStart))s; results in $out" >&2
}
trap cleanup EXIT

# The JobState of job $1 (one line per array task); nothing while scontrol does not answer.
job_states() {
  scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true
}

# Waits until every task of job $1 has ended; $2 names it.
wait_ended() {
  local id=$1 what=$2 states="" i
  for ((i = 0; i < kJobTimeoutS * 2; i++)); do
    states=$(job_states "$id")
    if [ -n "$states" ] && ! grep -qvE '^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)$' <<<"$states"; then
      return 0
    fi
    sleep 0.5
  done
  fail "$what (job $id) not finished after ${kJobTimeoutS}s: $(paste -sd' ' <<<"$states")"
}

# Waits until job $1 ($2 names it) has ended; every task must have ended COMPLETED.
wait_completed() {
  local states
  wait_ended "$1" "$2"
  states=$(job_states "$1")
  grep -qvx COMPLETED <<<"$states" && fail "$2 (job $1) ended $(paste -sd' ' <<<"$states")"
  say "$2 (job $1): $(wc -l <<<"$states") x COMPLETED"
}

# Runs scripts/slurm/submit.sh with the environment given as arguments (NAME=value ...) and sets
# array_job and merge_job from what it prints.
submit() {
  local printed
  printed=$(env MOEBENCH="$bin" "$@" "$root/scripts/slurm/submit.sh") || fail "submit.sh $* failed"
  echo "$printed"
  array_job=$(awk '/^array job/ {sub(":", "", $3); print $3}' <<<"$printed")
  merge_job=$(awk '/^merge job/ {sub(":", "", $3); print $3}' <<<"$printed")
  [ -n "$array_job" ] || fail "no array job id in submit.sh's output"
}

# moebench run without Slurm, quietly; the log is OUT_DIR/<name>.log.
run_direct() {
  local name=$1
  shift
  "$bin" run --no-progress "$@" >"$out/$name.log" 2>&1 ||
    { tail -n 15 "$out/$name.log" >&2; fail "moebench run ($name) failed; log $out/$name.log"; }
}

# tests/slurm/compare_runs.py REF MERGED, its output indented.
compare() {
  python3 "$here/compare_runs.py" "$1" "$2" | sed 's/^/  /' ||
    fail "merged run $2 differs from the unsharded $1"
}

# Submits SHARDS=4 of MOEBENCH_ARGS $3 as run $2 into OUT_DIR/$1, waits for the merge, checks
# every shard and the merged run exist and equal the reference run $4.
sharded_equals_reference() {
  local results=$out/$1 run=$2 args=$3 ref=$4 i
  say "submit: 4 shards of '$args' as $run into $results"
  submit SHARDS=4 RUN="$run" RESULTS="$results" MOEBENCH_ARGS="$args"
  wait_completed "$array_job" "array $run"
  wait_completed "$merge_job" "merge of $run"
  for i in 0 1 2 3; do
    [ -f "$results/$run-shard$i/run.json" ] || fail "no shard run $results/$run-shard$i/run.json"
  done
  [ -f "$results/$run/samples.jsonl" ] || fail "no merged run $results/$run"
  compare "$ref" "$results/$run"
}

# How many of the request hashes in file $2 (one a line) have an answer in the cache $1.
cache_answers_of() {
  python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
from pathlib import Path
hashes = Path(sys.argv[2]).read_text().split()
try:
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
    stored = {h for (h,) in db.execute("SELECT hash FROM responses")}
except sqlite3.Error:  # not created yet, or no table yet
    stored = set()
print(sum(h in stored for h in hashes))
EOF
}

# A field of run.json $1 by a dotted path $2, e.g. requests.cache_hits.
run_json_field() {
  python3 -c 'import functools, json, sys
print(functools.reduce(lambda d, k: d[k], sys.argv[2].split("."), json.load(open(sys.argv[1]))))' "$1" "$2"
}

# Waits until task 1 of the array job $1 (run slow in OUT_DIR/R3) has at least 3 of its answers
# in the cache (sets `stored`), kills it with SIGKILL, checks it ended FAILED with no run written
# and no moebench left.
kill_task_1_mid_run() {
  local array=$1 state exit_code i
  stored=0
  for ((i = 0; i < kJobTimeoutS * 5; i++)); do
    stored=$(cache_answers_of "$out/R3/cache/slow.sqlite" "$out/shard1.hashes")
    [ "$stored" -ge 3 ] && break
    [ ! -f "$out/R3/slow-shard1/run.json" ] ||
      fail "task 1 finished before it was seen in the cache ---> HINT: raise SLURM_TEST_DELAY_MS (now $kDelayMs)"
    sleep 0.2
  done
  [ "$stored" -ge 3 ] || fail "task 1 stored $stored answers in ${kJobTimeoutS}s"
  # NOTE: --batch: SIGKILL to the batch step's process, which is moebench (eval_array.sbatch execs
  # it), at once. Without --batch, scancel --signal=KILL cancels the job: SIGTERM, then SIGKILL
  # after KillWait, and moebench gets the time to finish the requests it has sent.
  say "task 1 has $stored of $(wc -l <"$out/shard1.hashes") answers in the cache: scancel --batch --signal=KILL ${array}_1"
  scancel --batch --signal=KILL "${array}_1"
  wait_ended "${array}_1" "killed task 1"
  state=$(job_states "${array}_1")
  if [ "$state" = COMPLETED ] || [ -f "$out/R3/slow-shard1/run.json" ]; then
    fail "task 1 finished before it was killed ---> HINT: raise SLURM_TEST_DELAY_MS (now $kDelayMs)"
  fi
  exit_code=$(scontrol -o show job "${array}_1" | grep -o 'ExitCode=[0-9:]*' | cut -d= -f2)
  [ "$state $exit_code" = "FAILED 0:9" ] ||
    fail "task 1 ended $state $exit_code; expected FAILED 0:9 (SIGKILL)"
  for ((i = 0; i < 100; i++)); do
    pgrep -f -- "--run-id slow-shard1" >/dev/null || break
    sleep 0.1
  done
  pgrep -af -- "--run-id slow-shard1" && fail "moebench of the killed task 1 is still running"
  say "task 1 ended $state (exit $exit_code); its moebench is gone and wrote no run"
}

# The merge job $1 of an array with a killed task stays pending, DependencyNeverSatisfied; then
# cancels it.
merge_never_runs() {
  local merge=$1 reason="" expected="JobState=PENDING Reason=DependencyNeverSatisfied" i
  for ((i = 0; i < kJobTimeoutS * 2; i++)); do
    reason=$(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z]* Reason=[A-Za-z]*' || true)
    [ "$reason" = "$expected" ] && break
    sleep 0.5
  done
  [ "$reason" = "$expected" ] || fail "merge job $merge: '$reason', expected '$expected'"
  say "merge job $merge never runs: $reason; scancel"
  scancel "$merge"
  wait_ended "$merge" "cancelled merge"
  [ ! -e "$out/R3/slow" ] || fail "the merge after a killed task wrote $out/R3/slow"
}

say "cluster in $cluster, results in $out, moebench $bin"
"$root/scripts/slurm/local_cluster.sh" start "$cluster" >/dev/null
# shellcheck source=/dev/null  # written by local_cluster.sh start
source "$cluster/env.sh"
say "cluster up: $(sinfo --noheader --format='%P %t %D node(s) %c CPUs')"

# a, b, c: the oracle over 4 shards equals the unsharded run.
suites=gsm8k,mmlu,humaneval
say "a: unsharded reference run ($suites)"
run_direct ref-oracle --backend oracle --samples --suites "$suites" --run-id ref \
  --results-dir "$out/R1" --cache "$out/R1/cache.sqlite"
sharded_equals_reference R2 oracle "--backend oracle --samples --suites $suites" "$out/R1/ref"
# The next run of the same arguments (the next night) asks the backend afresh: a cache shared by
# every run replayed run oracle's answers, so a redeployed model was never asked again.
say "b2: the next run into R2 takes no answer from run oracle's cache"
submit SHARDS=4 RUN=next RESULTS="$out/R2" MOEBENCH_ARGS="--backend oracle --samples --suites $suites" \
  TASKS=0 NO_MERGE=1
wait_completed "$array_job" "array next"
hits=$(run_json_field "$out/R2/next-shard0/run.json" requests.cache_hits)
[ "$hits" -eq 0 ] || fail "run next took $hits answers from run oracle's cache"

# d: task 1 killed mid-run: the merge never runs; task 1 re-submitted resumes from the cache.
say "d: unsharded reference run (every sample suite), and the requests of shard 1/4"
run_direct ref-all --backend oracle --samples --run-id ref --results-dir "$out/R3ref" --no-cache
run_direct ref-shard1 --backend oracle --samples --shard 1/4 --run-id shard1 \
  --results-dir "$out/R3ref" --no-cache
python3 -c 'import json, sys
for line in open(sys.argv[1]): print(json.loads(line)["request_hash"])' \
  "$out/R3ref/shard1/samples.jsonl" >"$out/shard1.hashes"
args="--backend oracle --samples --backend-opt delay_ms=$kDelayMs"
submit SHARDS=4 RUN=slow RESULTS="$out/R3" MOEBENCH_ARGS="$args"
kill_task_1_mid_run "$array_job"
wait_ended "$array_job" "array slow"
for t in 0 2 3; do wait_completed "${array_job}_$t" "task $t"; done
merge_never_runs "$merge_job"
say "re-submit task 1 only (TASKS=1), and a merge after it"
submit SHARDS=4 RUN=slow RESULTS="$out/R3" MOEBENCH_ARGS="$args" TASKS=1
wait_completed "$array_job" "re-submitted task 1"
wait_completed "$merge_job" "merge of slow"
hits=$(run_json_field "$out/R3/slow-shard1/run.json" requests.cache_hits)
sent=$(run_json_field "$out/R3/slow-shard1/run.json" requests.sent)
say "re-submitted task 1: $hits answers from the cache, $sent requests sent"
[ "$hits" -ge "$stored" ] || fail "re-submitted task 1 took $hits answers from the cache; $stored were there"
compare "$out/R3ref/ref" "$out/R3/slow"
# A requeued task writes to the same log: the earlier try's log (why it failed) must stay.
log=$out/R3/slurm/moebench-eval_${array_job}_1.out
scontrol requeue "${array_job}_1"
wait_completed "${array_job}_1" "requeued task 1"
tries=$(grep -c '^moebench-eval: shard 1/4 of slow' "$log" || true)
[ "$tries" = 2 ] || fail "the requeued task's log $log holds $tries tries; expected both"
say "requeued task 1: its log keeps both tries"

# e: the tiny built-in model (random weights, CPU engine, greedy) over 4 shards.
# NOTE: --batch-size 1 on both sides: the CPU engine is deterministic for a given batch, but a
# request's log-likelihoods change in the 9th digit with the batch it is in (-13.5223805349 in the
# unsharded run's batch of 4 mmlu docs, -13.5223805279 alone), and shards batch differently.
say "e: tiny built-in model, unsharded reference run (gsm8k,mmlu,humaneval)"
model=$out/tiny-deepseek_v3
"$bin" model init --family deepseek_v3 --preset tiny -o "$model" --force >"$out/model-init.log" 2>&1 ||
  fail "moebench model init failed; log $out/model-init.log"
args="--backend builtin:$model --samples --suites gsm8k,mmlu,humaneval --batch-size 1"
read -r -a ref_args <<<"$args"
run_direct ref-builtin "${ref_args[@]}" --run-id ref --results-dir "$out/R4ref" --no-cache
sharded_equals_reference R4 tiny "$args" "$out/R4ref/ref"

# f: a nightly on Slurm (scripts/slurm/nightly.sh): a task per shard-matrix cell, then the finish
# job gates the night; two nights, the second compared with the first.
say "f: two nights of a nightly config on Slurm"
mkdir -p "$out/R5"
cat >"$out/R5/nightly.json" <<EOF
{"schema": 1, "results": "results", "kernels": {"run": "never"},
 "entries": [
  {"name": "sharded", "backend": "oracle", "samples": true, "shards": 2, "suites": ["gsm8k", "mmlu"]},
  {"name": "chat", "backend": "oracle-chat", "samples": true, "suites": ["gsm8k"]}]}
EOF
for night in 2025-01-01 2025-01-02; do
  printed=$(MOEBENCH="$bin" NIGHT=$night "$root/scripts/slurm/nightly.sh" "$out/R5/nightly.json") ||
    fail "nightly.sh failed"
  echo "$printed"
  array_job=$(awk '/^array job/ {sub(":", "", $3); print $3}' <<<"$printed")
  finish_job=$(awk '/^finish job/ {sub(":", "", $3); print $3}' <<<"$printed")
  wait_completed "$array_job" "nightly $night shards"
  wait_completed "$finish_job" "nightly $night finish"
  gate=$out/R5/results/nights/$night/gate.json
  python3 -c 'import json, sys
g = json.load(open(sys.argv[1]))
assert g["failures"] == 0 and {e["entry"] for e in g["entries"]} == {"sharded", "chat"}, g' \
    "$gate" ||
    fail "night $night: $gate is not a passed gate of both entries"
done
grep -q 'sharded-2025-01-01' "$out/R5/results/nights/2025-01-02/summary.md" ||
  fail "night 2 was not compared with night 1"
[ -f "$out/R5/results/site/index.html" ] || fail "the nightly on Slurm wrote no site"
say "two nights on Slurm: shards, finish, gate passed, night 2 compared with night 1"

# g: a failed cell re-submitted (TASKS=) while another cell of the night still runs: the new finish
# job waits for that cell too. It waited for the re-submitted cells only, so it gated the night at
# once ("slow failed: no run ...") and nothing gated the night again.
say "g: a failed nightly cell re-submitted while another cell of the night still runs"
r6=$out/R6
mkdir -p "$r6"
# moebench, but the "slow" cell's run waits for $r6/release: it is still running when the failed
# cell is re-submitted, however loaded the machine.
cat >"$r6/moebench" <<EOF
#!/usr/bin/env bash
if [[ " \$* " == *" --stage run "*" --entry slow "* ]]; then
  while [ ! -f "$r6/release" ]; do sleep 0.2; done
fi
exec "$bin" "\$@"
EOF
chmod +x "$r6/moebench"
cat >"$r6/nightly.json" <<EOF
{"schema": 1, "results": "results", "kernels": {"run": "never"},
 "entries": [
  {"name": "slow", "backend": "oracle", "samples": true, "suites": ["gsm8k"]},
  {"name": "fast", "backend": "replay:$r6/answers.jsonl", "samples": true, "suites": ["gsm8k"]}]}
EOF
# nightly.sh for night 2025-01-03 with the environment given as arguments (NAME=value ...); sets
# array_job and finish_job from what it prints.
nightly_submit() {
  local printed
  printed=$(env MOEBENCH="$r6/moebench" NIGHT=2025-01-03 "$@" "$root/scripts/slurm/nightly.sh" \
    "$r6/nightly.json") || fail "nightly.sh $* failed"
  echo "$printed"
  array_job=$(awk '/^array job/ {sub(":", "", $3); print $3}' <<<"$printed")
  finish_job=$(awk '/^finish job/ {sub(":", "", $3); print $3}' <<<"$printed")
}
nightly_submit
first_array=$array_job
wait_ended "${first_array}_1" "cell fast (no replay file yet)"
[ "$(job_states "${first_array}_1")" = FAILED ] || fail "cell fast did not fail without its replay file"
run_direct r6-answers --backend oracle-chat --samples --suites gsm8k --run-id src \
  --results-dir "$r6/src"
cp "$r6/src/src/samples.jsonl" "$r6/answers.jsonl"
scancel "$finish_job"
nightly_submit TASKS=1
wait_completed "$array_job" "re-submitted cell fast"
dependency=$(scontrol -o show job "$finish_job" | grep -o 'Dependency=[^ ]*' || true)
[[ $dependency == *"afterany:${first_array}_*(unfulfilled)"* ]] ||
  fail "the new finish job $finish_job does not wait for the running cell slow: $dependency"
touch "$r6/release"
wait_ended "$first_array" "cell slow"
wait_completed "$finish_job" "finish after the re-submitted cell"
python3 -c 'import json, sys
g = json.load(open(sys.argv[1]))
assert g["failures"] == 0 and sorted(e["entry"] for e in g["entries"] if not e["error"]) == ["fast", "slow"], g' \
  "$r6/results/nights/2025-01-03/gate.json" || fail "the re-submitted night was not gated as passed"
say "re-submitted cell: the finish waited for the night's running cell; gate passed"

say "PASS in $((SECONDS - kStart))s"
