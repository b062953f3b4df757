#!/usr/bin/env python3
"""The gpu/ microbenchmarks of one Google Benchmark JSON as Markdown: each benchmark's median
beside its ceilings (the counters the gpu/ benchmarks set), then each fused launch beside the
launches it replaces (".../fused..." and ".../separate...", or "fused_" and "split_"), measured in
the same run.

Usage: bench_table.py BENCH_JSON        (the table on stdout; the pairs' summary line on stderr)
"""
import json
import math
import re
import sys

UNITS = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def fail(message):
    print(f"bench_table: {message}", file=sys.stderr)
    sys.exit(1)


def twin(name):
    """The separate launches' benchmark name for a fused one; None for any other."""
    if "/fused" in name:
        return name.replace("/fused", "/separate", 1)
    if "fused_" in name:
        return name.replace("fused_", "split_", 1)
    return None


def main():
    if len(sys.argv) != 2:
        fail("usage: bench_table.py BENCH_JSON")
    try:
        with open(sys.argv[1]) as f:
            benchmarks = json.load(f)["benchmarks"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(f"{sys.argv[1]}: {e}")
    medians = {}
    for b in benchmarks:
        # Repetitions give aggregates (use the median); a single run has none.
        if b.get("aggregate_name", "median") != "median" or "error_message" in b:
            continue
        name = re.sub(r"_median$", "", b.get("run_name", b.get("name", "")))
        try:
            medians[name] = dict(b, us=b["real_time"] * UNITS[b.get("time_unit", "ns")])
        except KeyError as e:
            fail(f"{sys.argv[1]}: benchmark {name}: no {e}")
    print("| benchmark | µs | GB/s | % copy BW | TFLOP/s | % GEMM |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, b in medians.items():
        f = lambda k: f"{b[k]:.1f}" if k in b else ""
        print(f"| {name} | {b['us']:.2f} | {f('GB_per_s')} | {f('pct_copy_bw')} | "
              f"{f('TFLOP_per_s')} | {f('pct_gemm_flops')} |")
    pairs = [(n, twin(n)) for n in medians if twin(n) in medians]
    if not pairs:
        return
    print()
    print("| fused | µs | separate µs | speedup |")
    print("| --- | ---: | ---: | ---: |")
    logs = []
    for fused, separate in pairs:
        a, b = medians[fused]["us"], medians[separate]["us"]
        speedup = b / a if a > 0 else float("inf")
        logs.append(math.log(speedup))
        print(f"| {fused} | {a:.2f} | {b:.2f} | {speedup:.2f}x |")
    print(f"{len(pairs)} fused/separate pairs: geometric-mean speedup "
          f"{math.exp(sum(logs) / len(logs)):.2f}x, range {math.exp(min(logs)):.2f}x to "
          f"{math.exp(max(logs)):.2f}x", file=sys.stderr)


if __name__ == "__main__":
    main()
