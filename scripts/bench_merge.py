#!/usr/bin/env python3
"""Merges Google Benchmark JSON files (the device run's groups of gpu/ microbenchmarks, each from
its own process) into one: the first file's context, every file's benchmarks in order. Files that
are missing or unreadable (a group cut off by the time limit) are left out and named on stderr.
Google Benchmark writes a non-finite counter as NaN or Infinity, which strict JSON readers
(moebench compare and report) refuse: such values become null.

Exit 0 when every file was merged, 3 when some were left out (the merged file is still written),
1 when none was readable.

Usage: bench_merge.py OUT_JSON IN_JSON...
"""
import json
import math
import sys


def finite(value):
    """value with every non-finite float replaced by None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def main(out_path, in_paths):
    merged, missing = None, []
    for path in in_paths:
        try:
            with open(path) as f:
                doc = json.load(f)
            benchmarks = doc["benchmarks"]
        except (OSError, ValueError, KeyError, TypeError):
            missing.append(path)
            continue
        if merged is None:
            merged = {"context": doc.get("context", {}), "benchmarks": []}
        merged["benchmarks"].extend(benchmarks)
    if missing:
        print("bench_merge.py: left out " + ", ".join(missing), file=sys.stderr)
    if merged is None:
        print("bench_merge.py: no readable benchmark file", file=sys.stderr)
        return 1
    with open(out_path, "w") as f:
        json.dump(finite(merged), f, indent=1, allow_nan=False)
    return 3 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
