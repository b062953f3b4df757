#!/usr/bin/env python3
"""Checks that a merged sharded run equals the unsharded reference run (stdlib only).

    compare_runs.py REF_RUN_DIR MERGED_RUN_DIR

samples.jsonl must be equal line by line once the per-sample fields that change from run to run
(timings, cache hits, retries) are dropped; run.json's suites.<name>.metrics, .groups and .n_docs
must be exactly equal. Prints each suite's primary metric on both sides; exits 1 at the first
difference, naming it.
"""
import json
import sys
from pathlib import Path

# Per-sample fields that differ between two runs of the same answers: timings, and whether the
# answer came from the cache or needed retries.
VOLATILE_SAMPLE_FIELDS = ("latency_s", "ttft_s", "tpot_s", "itl_s", "cached", "retries")
COMPARED_SUITE_FIELDS = ("metrics", "groups", "n_docs")


def fail(message):
    print(f"compare_runs: FAIL: {message}")
    sys.exit(1)


def load_samples(run_dir):
    path = run_dir / "samples.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        fail(f"cannot read {path}: {e}")
    samples = []
    for number, line in enumerate(lines, 1):
        try:
            sample = json.loads(line)
        except ValueError as e:
            fail(f"{path}:{number}: not JSON: {e}")
        for field in VOLATILE_SAMPLE_FIELDS:
            sample.pop(field, None)
        samples.append(sample)
    return samples


def load_suites(run_dir):
    path = run_dir / "run.json"
    try:
        suites = json.loads(path.read_text(encoding="utf-8"))["suites"]
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot read suites from {path}: {e}")
    return suites


# The first key path where a and b differ, e.g. "metrics.acc,none.stderr", or None if equal.
def first_difference(a, b, where=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            here = f"{where}.{key}" if where else key
            if key not in a or key not in b:
                return f"{here} (only in {'merged' if key not in a else 'reference'})"
            found = first_difference(a[key], b[key], here)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b and type(a) is type(b) else f"{where or '(value)'}: {a!r} != {b!r}"


def primary_value(suite):
    name = suite.get("primary_metric")
    mean = suite.get("metrics", {}).get(name, {}).get("mean")
    return name, mean


def compare_suites(ref, merged):
    if sorted(ref) != sorted(merged):
        fail(f"suites differ: reference {sorted(ref)}, merged {sorted(merged)}")
    print(f"{'suite':<24} {'primary metric':<32} {'reference':>10} {'merged':>10} {'n_docs':>9}")
    for name in ref:
        metric, ref_value = primary_value(ref[name])
        _, merged_value = primary_value(merged[name])
        n_docs = f"{ref[name].get('n_docs')}/{merged[name].get('n_docs')}"
        print(f"{name:<24} {str(metric):<32} {ref_value!s:>10} {merged_value!s:>10} {n_docs:>9}")
    for name in ref:
        for field in COMPARED_SUITE_FIELDS:
            found = first_difference(ref[name].get(field), merged[name].get(field), field)
            if found:
                fail(f"run.json suites.{name}: {found}")


def compare_samples(ref, merged):
    for number, (a, b) in enumerate(zip(ref, merged), 1):
        found = first_difference(a, b)
        if found:
            fail(f"samples.jsonl line {number} ({a.get('suite')} {a.get('doc_id')}): {found}")
    if len(ref) != len(merged):
        fail(f"samples.jsonl: reference has {len(ref)} lines, merged {len(merged)}")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ref_dir, merged_dir = Path(sys.argv[1]), Path(sys.argv[2])
    compare_suites(load_suites(ref_dir), load_suites(merged_dir))
    ref_samples, merged_samples = load_samples(ref_dir), load_samples(merged_dir)
    compare_samples(ref_samples, merged_samples)
    print(f"compare_runs: OK: {merged_dir} equals {ref_dir} "
          f"({len(ref_samples)} samples, suites' metrics, groups and n_docs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
