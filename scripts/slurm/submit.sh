#!/usr/bin/env bash
# Scale-out on Slurm: submits a `moebench run` over SHARDS shards as one job array
# (scripts/slurm/eval_array.sbatch), then the merge job (scripts/slurm/merge.sbatch) that waits
# for every task with --dependency=afterok and writes the merged run $RESULTS/$RUN.
#   SHARDS=8 RUN=qwen-0610 RESULTS=/shared/results \
#     MOEBENCH_ARGS="--backend api:qwen --suites gsm8k,mmlu" scripts/slurm/submit.sh
# Environment:
#   MOEBENCH       the moebench binary (default: `moebench` on PATH); must be reachable from the nodes
#   SHARDS         number of shards N; task i runs `moebench run --shard i/N` (required)
#   RUN            run name; shards are written as $RUN-shard<i>, the merged run as $RUN (required)
#   RESULTS        results directory on a file system every node sees (required)
#   CACHE          response cache (default: $RESULTS/cache/$RUN.sqlite, shared by the shards); "%a"
#                  in it becomes the task id: CACHE=/local/moebench-%a.sqlite gives each shard its
#                  own. SQLite in WAL mode: the tasks sharing one cache file must run on one host
#                  (WAL does not work across hosts over NFS); on a multi-node cluster use a cache
#                  per shard (a re-run task lands on any node: keep those on shared storage, one
#                  file each), or run the array on one node (SBATCH_ARGS=--nodelist=...)
#   MOEBENCH_ARGS  extra `moebench run` arguments, split on whitespace, e.g.
#                  "--backend oracle --suites gsm8k,mmlu --samples"
#   MAX_ERROR_RATE the merge job fails (exit 4) when more than this share of the merged samples
#                  failed (default 0.05, `moebench run`'s); the shards themselves run with
#                  --max-error-rate 1, as one shard's share of a few failures is noise
#   TASKS          which tasks to submit (sbatch --array syntax, default 0-<N-1>); re-run killed or
#                  failed ones with TASKS=1,5: each resumes from CACHE, and the new merge job waits
#                  for them only. The old merge job stays pending with Reason=DependencyNeverSatisfied
#                  (--kill-on-invalid-dep=no): scancel it
#   NO_MERGE       1: submit no merge job
#   SBATCH_ARGS    extra sbatch arguments for both jobs (a task gets 1 CPU by default), e.g.
#                  "--partition=gpu --gres=gpu:1 --cpus-per-task=8 --time=4:00:00"
# Prints the array and merge job ids; logs go to $RESULTS/slurm/. The jobs run in $RESULTS with
# this environment (--export=ALL).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

die() {
  echo "submit: $*" >&2
  exit 1
}

# The sbatch job id of `sbatch --parsable` output ("id" or "id;cluster").
submit_job_id() {
  local out=$1
  [[ $out =~ ^([0-9]+)(;.*)?$ ]] || die "unexpected sbatch output '$out'"
  echo "${BASH_REMATCH[1]}"
}

: "${SHARDS:?SHARDS (number of shards) is required}"
: "${RUN:?RUN (run name) is required}"
: "${RESULTS:?RESULTS (shared results directory) is required}"
[[ $SHARDS =~ ^[1-9][0-9]*$ ]] || die "SHARDS='$SHARDS': expected a positive integer"
[[ $RUN =~ ^[A-Za-z0-9._-]+$ ]] || die "RUN='$RUN': letters, digits, '.', '_', '-' only"
command -v sbatch >/dev/null || die "sbatch not found; run on a Slurm login node (or see scripts/slurm/local_cluster.sh)"
bin=$(command -v "${MOEBENCH:-moebench}") ||
  die "MOEBENCH='${MOEBENCH:-moebench}' not found ---> HINT: MOEBENCH=/path/to/build/moebench"
[[ $bin == /* ]] || bin=$PWD/$bin
MOEBENCH=$bin
mkdir -p "$RESULTS/slurm"
RESULTS=$(cd "$RESULTS" && pwd)
# NOTE: one cache per RUN: a re-submitted task of this run resumes from it, and the next run (the
# next night) asks the backend afresh. A cache shared by every run replayed the previous run's
# answers, so a model redeployed under the same name was never asked again.
CACHE=${CACHE:-$RESULTS/cache/$RUN.sqlite}
[[ $CACHE == /* ]] || CACHE=$PWD/$CACHE
mkdir -p "$(dirname "$CACHE")"
TASKS=${TASKS:-0-$((SHARDS - 1))}
MOEBENCH_ARGS=${MOEBENCH_ARGS:-}
[[ " $MOEBENCH_ARGS" != *" --max-error-rate"* ]] ||
  die "MOEBENCH_ARGS has --max-error-rate: set MAX_ERROR_RATE instead (the merge job applies it to the whole run)"
export MOEBENCH SHARDS RUN RESULTS CACHE MOEBENCH_ARGS MAX_ERROR_RATE
read -r -a sbatch_extra <<<"${SBATCH_ARGS:-}"

array_id=$(submit_job_id "$(sbatch --parsable --chdir="$RESULTS" --export=ALL --array="$TASKS" \
  "${sbatch_extra[@]}" "$here/eval_array.sbatch")")
echo "array job $array_id: tasks $TASKS of $SHARDS, runs $RESULTS/$RUN-shard<i>, logs $RESULTS/slurm/moebench-eval_${array_id}_<i>.out"
if [ "${NO_MERGE:-0}" = 1 ]; then
  exit 0
fi
merge_id=$(submit_job_id "$(sbatch --parsable --chdir="$RESULTS" --export=ALL \
  --dependency="afterok:$array_id" --kill-on-invalid-dep=no "${sbatch_extra[@]}" \
  "$here/merge.sbatch")")
echo "merge job $merge_id: after every task of $array_id succeeds, writes $RESULTS/$RUN, log $RESULTS/slurm/moebench-merge_$merge_id.out"
