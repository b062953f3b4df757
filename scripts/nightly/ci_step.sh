#!/usr/bin/env bash
# The shell of every step of .github/workflows/nightly.yml, so that the workflow's `run:` lines
# are one-liners and the same steps run on any machine (tests/nightly/ci_steps_test.sh runs them):
#   ci_step.sh setup [TARGET...]  Debian packages (scripts/setup.sh), then build TARGETs
#                                 (scripts/build.sh; default: moebench)
#   ci_step.sh plan               the shard matrix of the config (`moebench nightly --stage plan`)
#                                 -> outputs matrix (JSON), night, results
#   ci_step.sh shard ENTRY I/N    run shard I/N of ENTRY (`--stage run`), after `moebench data
#                                 fetch` of its suites unless it uses the bundled samples; stages
#                                 its run for upload -> output artifact (a directory laid out as
#                                 the results directory: download it there)
#   ci_step.sh keep ENTRY I/N     after a shard that did not finish (killed, timed out, failed
#                                 before its results): stages what it leaves for a re-run of the
#                                 cell to resume from, its response cache cache/<run>.sqlite and
#                                 its partial run dir -> output resume (laid out as the results
#                                 directory); shard runs it itself when its run wrote no run.json
#   ci_step.sh finish             merge, compare with the previous night, kernels, site, summary
#                                 (`--stage finish`; writes $GITHUB_STEP_SUMMARY itself) -> outputs
#                                 site, night_dir (summary.md, gate.json), summary; exits with
#                                 moebench's code: 1 = a regression or failure, the gate
# Environment:
#   NIGHTLY_CONFIG  the nightly config (default: <repo>/nightly/nightly.json)
#   MOEBENCH        the moebench binary (default: ${MOEBENCH_BUILD:-<repo>/build}/moebench)
#   NIGHTLY_NIGHT   the night, YYYY-MM-DD (default: today, UTC). The workflow passes plan's to
#                   every job, so shards that start after midnight stay in the same night
#   GITHUB_OUTPUT   the step outputs file (set by Actions); unset: outputs are only printed
#   RUNNER_TEMP     where `shard` and `keep` stage (set by Actions; unset: nothing is staged,
#                   the run stays in the results directory, as on Slurm: scripts/slurm/nightly.sh)
# Paths in outputs are relative to the current directory when under it (the workflow runs in the
# checkout), so actions/cache keys them the same on every runner.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

die() {
  echo "ci_step: $*" >&2
  exit 2
}

# Writes output NAME=VALUE to $GITHUB_OUTPUT (when set) and prints it.
step_output() {
  echo "ci_step: output $1=$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
}

# A path as the outputs give it: relative to the current directory when under it.
step_path() {
  python3 -c 'import os, sys
p = os.path.abspath(sys.argv[1])
r = os.path.relpath(p)
print(p if r == ".." or r.startswith("../") else r)' "$1"
}

# Field $1 of the config: results (the directory, config-relative resolved), or
# entry.NAME.samples / entry.NAME.suites (comma-separated) / data_dir / include_path (a line per
# dir). Mirrors nightly_config_read: results defaults to "nightly", paths are relative to the
# config's directory.
config_field() {
  python3 - "$config" "$1" <<'EOF'
import json, os, sys
path, field = sys.argv[1], sys.argv[2]
try:
    c = json.load(open(path))
except (OSError, ValueError) as e:
    print(f"ci_step: cannot read {path}: {e}", file=sys.stderr)
    sys.exit(2)
base = os.path.dirname(path) or "."
def resolve(p):
    return p if os.path.isabs(p) else os.path.join(base, p)
if field == "results":
    print(resolve(c.get("results", "nightly")))
elif field == "data_dir":
    print(resolve(c["data_dir"]) if c.get("data_dir") else "")
elif field == "include_path":
    for d in c.get("include_path", []):
        print(resolve(d))
else:
    _, name, key = field.split(".", 2)
    entry = next((e for e in c.get("entries", []) if e.get("name") == name), None)
    if entry is None:
        print(f"ci_step: no entry '{name}' in {path}", file=sys.stderr)
        sys.exit(2)
    print(str(entry.get("samples", False)).lower() if key == "samples" else ",".join(entry[key]))
EOF
}

step_setup() {
  local targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=(moebench)
  bash "$root/scripts/setup.sh"
  bash "$root/scripts/build.sh" --target "${targets[@]}"
}

step_plan() {
  local matrix
  matrix=$("$bin" nightly "$config" --stage plan --night "$night")
  # One line of JSON for $GITHUB_OUTPUT, checked to be what the shard job's matrix expects.
  matrix=$(python3 -c 'import json, sys
m = json.loads(sys.argv[1])
assert isinstance(m, list) and m, "not a non-empty list"
for cell in m:
    assert set(cell) == {"entry", "shard"}, f"cell {cell}: expected entry and shard"
print(json.dumps(m, separators=(",", ":")))' "$matrix") ||
    die "moebench nightly --stage plan printed no shard matrix: $matrix"
  # NOTE: GitHub refuses a matrix of more jobs (after this job, failing the whole night); the
  # Slurm recipe (scripts/slurm) has no such cap.
  local jobs
  jobs=$(python3 -c 'import json, sys; print(len(json.loads(sys.argv[1])))' "$matrix")
  [ "$jobs" -le 256 ] || die "$jobs shard jobs: a GitHub Actions matrix runs at most 256 (lower \
the entries' shards in $config)"
  step_output matrix "$matrix"
  step_output night "$night"
  step_output results "$(step_path "$results")"
}

# The run id moebench gives shard $2 (I/N) of entry $1 (nightly_stages.cpp: shard_run_id).
shard_run() {
  [[ $2 =~ ^([0-9]+)/([0-9]+)$ ]] || die "shard '$2': expected I/N"
  if [ "${BASH_REMATCH[2]}" -eq 1 ]; then
    echo "$1-$night"
  else
    echo "$1-$night-shard${BASH_REMATCH[1]}"
  fi
}

# Stages what an unfinished run $1 left (its response cache, with SQLite's -wal and -shm files,
# and its partial directory .$1.partial) in $RUNNER_TEMP/nightly-resume, laid out as the results
# directory, and outputs resume. A run with run.json finished: nothing to keep.
keep_unfinished() {
  local run=$1 stage f
  [ -n "${RUNNER_TEMP:-}" ] && [ ! -f "$results/$run/run.json" ] || return 0
  stage=$RUNNER_TEMP/nightly-resume
  rm -rf "$stage" && mkdir -p "$stage/cache"
  for f in "$results/cache/$run.sqlite" "$results/cache/$run.sqlite-wal" \
    "$results/cache/$run.sqlite-shm"; do
    [ ! -f "$f" ] || cp -a "$f" "$stage/cache/"
  done
  [ ! -d "$results/.$run.partial" ] || cp -a "$results/.$run.partial" "$stage/"
  if [ -f "$stage/cache/$run.sqlite" ]; then
    echo "ci_step: $run did not finish: its answers so far are kept for a re-run to resume from"
    step_output resume "$(step_path "$stage")"
  fi
}

step_keep() {
  [ $# -eq 2 ] || die "usage: ci_step.sh keep ENTRY I/N"
  local run
  run=$(shard_run "$1" "$2") || exit $?
  keep_unfinished "$run"
}

step_shard() {
  [ $# -eq 2 ] || die "usage: ci_step.sh shard ENTRY I/N"
  local entry=$1 shard=$2 rc=0 run stage data_dir suites samples list dirs
  run=$(shard_run "$entry" "$shard") || exit $?
  # NOTE: each lookup is its own assignment: a failure inside [ ] or <<< does not stop set -e
  # (an unknown entry fetched every dataset before moebench refused it).
  samples=$(config_field "entry.$entry.samples") || exit $?
  if [ "$samples" != true ]; then
    data_dir=$(config_field data_dir) || exit $?
    list=$(config_field "entry.$entry.suites") || exit $?
    IFS=, read -r -a suites <<<"$list"
    dirs=$(config_field include_path) || exit $?
    local include=() dir
    while IFS= read -r dir; do
      [ -z "$dir" ] || include+=(--include-path "$dir")
    done <<<"$dirs"
    # Idempotent: datasets already in the data dir are checked, not fetched again.
    "$bin" data fetch ${data_dir:+--data-dir "$data_dir"} "${include[@]}" --no-progress \
      "${suites[@]}"
  fi
  "$bin" nightly "$config" --stage run --night "$night" --entry "$entry" --shard "$shard" || rc=$?
  # A run that ended without its results (killed, failed): keep its answers for the re-run.
  keep_unfinished "$run"
  # A failed run that still wrote its results (exit 4: too many failed samples) is uploaded too,
  # for the record; the job fails all the same, so the finish job does not run on it.
  if [ -n "${RUNNER_TEMP:-}" ] && [ -f "$results/$run/run.json" ]; then
    stage=$RUNNER_TEMP/nightly-artifact
    rm -rf "$stage" && mkdir -p "$stage"
    cp -a "$results/$run" "$stage/"
    step_output artifact "$(step_path "$stage")"
  fi
  return $rc
}

step_finish() {
  local rc=0
  # NOTE: run directly, not in a pipe or subshell: moebench appends the Markdown summary to
  # $GITHUB_STEP_SUMMARY itself, and its exit code is the gate.
  "$bin" nightly "$config" --stage finish --night "$night" || rc=$?
  # The site and summary are written on a regression too (the site shows it): publish them.
  [ ! -f "$results/site/index.html" ] || step_output site "$(step_path "$results/site")"
  if [ -f "$results/nights/$night/summary.md" ]; then
    step_output night_dir "$(step_path "$results/nights/$night")"
    step_output summary "$(step_path "$results/nights/$night/summary.md")"
  fi
  return $rc
}

[ $# -ge 1 ] ||
  die "usage: ci_step.sh setup [TARGET...] | plan | shard ENTRY I/N | keep ENTRY I/N | finish"
step=$1
shift
if [ "$step" = setup ]; then
  step_setup "$@"
  exit 0
fi
config=${NIGHTLY_CONFIG:-$root/nightly/nightly.json}
[ -f "$config" ] || die "no nightly config at '$config' ---> HINT: set NIGHTLY_CONFIG"
bin=${MOEBENCH:-${MOEBENCH_BUILD:-$root/build}/moebench}
# keep needs no binary: it runs after a failed setup too.
[ "$step" = keep ] || [ -x "$bin" ] ||
  die "no moebench binary at '$bin' ---> HINT: ci_step.sh setup, or set MOEBENCH"
night=${NIGHTLY_NIGHT:-$(date -u +%F)}
[[ $night =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "NIGHTLY_NIGHT '$night': expected YYYY-MM-DD"
results=$(config_field results)
case $step in
  plan) [ $# -eq 0 ] || die "usage: ci_step.sh plan"; step_plan ;;
  shard) step_shard "$@" ;;
  keep) step_keep "$@" ;;
  finish) [ $# -eq 0 ] || die "usage: ci_step.sh finish"; step_finish ;;
  *) die "unknown step '$step' (setup, plan, shard, keep, finish)" ;;
esac
