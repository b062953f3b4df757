#!/usr/bin/env bash
# One night of `moebench nightly` on Slurm, as .github/workflows/nightly.yml runs it on GitHub
# Actions and with the same steps (scripts/nightly/ci_step.sh): plans the shard matrix here, submits
# one job array with a task per matrix cell (scripts/slurm/nightly_shard.sbatch: `ci_step.sh shard
# ENTRY I/N`, which fetches the entry's datasets and runs the cell) and the finish job
# (scripts/slurm/nightly_finish.sbatch: merge, compare with the last night that passed, kernels,
# site, gate) that waits for every task with --dependency=afterok.
#   MOEBENCH=/opt/moebench/build/moebench scripts/slurm/nightly.sh /shared/nightly.json
# The config's `results` (and `data_dir`) must be on a file system every node sees.
# Environment:
#   MOEBENCH     the moebench binary (default: `moebench` on PATH); must be reachable from the nodes
#   NIGHT        the night, YYYY-MM-DD (default: today, UTC); every job runs that night, also one
#                that starts after midnight
#   TASKS        which cells to submit (sbatch --array syntax, default all): re-run failed ones with
#                TASKS=3,5 and the same NIGHT; the new finish job waits for them and for the cells
#                of this night's earlier arrays still pending or running (the old finish job stays
#                pending with Reason=DependencyNeverSatisfied: scancel it)
#   SBATCH_ARGS  extra sbatch arguments for every job, e.g. "--partition=gpu --gres=gpu:1
#                --time=12:00:00" (the finish job benchmarks the kernels when it has a GPU)
# Prints the array and finish job ids; logs go to <results>/slurm/. The jobs run in <results> with
# this environment (--export=ALL: export the API keys and MOEBENCH_DATA first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ci_step=$(cd "$here/../nightly" && pwd)/ci_step.sh

die() {
  echo "nightly.sh: $*" >&2
  exit 1
}

# The sbatch job id of `sbatch --parsable` output ("id" or "id;cluster").
job_id() {
  [[ $1 =~ ^([0-9]+)(;.*)?$ ]] || die "unexpected sbatch output '$1'"
  echo "${BASH_REMATCH[1]}"
}

# Step output $2 of a $GITHUB_OUTPUT file $1.
step_output() { sed -n "s/^$2=//p" "$1" | tail -n 1; }

[ $# -eq 1 ] || die "usage: nightly.sh CONFIG"
[ -f "$1" ] || die "no config '$1'"
command -v sbatch >/dev/null || die "sbatch not found; run on a Slurm login node (or see scripts/slurm/local_cluster.sh)"
bin=$(command -v "${MOEBENCH:-moebench}") ||
  die "MOEBENCH='${MOEBENCH:-moebench}' not found ---> HINT: MOEBENCH=/path/to/build/moebench"
[[ $bin == /* ]] || bin=$PWD/$bin
export MOEBENCH=$bin NIGHTLY_CONFIG NIGHTLY_NIGHT NIGHTLY_CI_STEP=$ci_step NIGHTLY_CELLS
NIGHTLY_CONFIG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
NIGHTLY_NIGHT=${NIGHT:-$(date -u +%F)}

outputs=$(mktemp)
trap 'rm -f "$outputs"' EXIT
GITHUB_OUTPUT=$outputs bash "$ci_step" plan >/dev/null || die "planning $NIGHTLY_CONFIG failed"
results=$(step_output "$outputs" results)
[[ $results == /* ]] || results=$PWD/$results
# One line per cell, "ENTRY I/N"; task k runs line k + 1.
NIGHTLY_CELLS=$(python3 -c 'import json, sys
for c in json.loads(sys.argv[1]): print(c["entry"], c["shard"])' "$(step_output "$outputs" matrix)")
cells=$(wc -l <<<"$NIGHTLY_CELLS")
mkdir -p "$results/slurm"
read -r -a sbatch_extra <<<"${SBATCH_ARGS:-}"

# Every array of this night carries this comment. A re-submission's finish job also waits for the
# night's earlier arrays still in the queue (afterany: a cell still running when a failed one is
# re-submitted; the finish gated the night before its run was in, "no run", and nothing gated it
# again). Their failed cells have ended, so they hold nothing up.
night_tag="moebench-nightly $NIGHTLY_NIGHT $NIGHTLY_CONFIG"
earlier=""
if [ -n "${TASKS:-}" ]; then
  earlier=$(squeue -h -o '%F|%k' | awk -F'|' -v tag="$night_tag" '$2 == tag {print $1}' |
    sort -u | paste -sd: -) || die "squeue failed"
fi
array_id=$(job_id "$(sbatch --parsable --chdir="$results" --export=ALL --comment="$night_tag" \
  --array="${TASKS:-0-$((cells - 1))}" "${sbatch_extra[@]}" "$here/nightly_shard.sbatch")")
echo "array job $array_id: night $NIGHTLY_NIGHT, $cells cells of $NIGHTLY_CONFIG, logs $results/slurm/moebench-nightly-shard_${array_id}_<i>.out"
finish_id=$(job_id "$(sbatch --parsable --chdir="$results" --export=ALL \
  --dependency="afterok:$array_id${earlier:+,afterany:$earlier}" --kill-on-invalid-dep=no \
  "${sbatch_extra[@]}" "$here/nightly_finish.sbatch")")
waits=""
[ -z "$earlier" ] || waits=" and the night's earlier arrays ${earlier//:/, } end"
echo "finish job $finish_id: after every task of $array_id succeeds$waits, gates the night into $results/nights/$NIGHTLY_NIGHT, log $results/slurm/moebench-nightly-finish_$finish_id.out"
