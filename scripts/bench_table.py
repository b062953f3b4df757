#!/usr/bin/env python3
"""The gpu/ microbenchmarks of one Google Benchmark JSON as Markdown: each benchmark's median
beside its ceilings (the counters the gpu/ benchmarks set), then each fused launch beside the
launches it replaces (".../fused..." and ".../separate...", or "fused_" and "split_"), and each
kernel variant beside the kernel it stands in for (".../tc_hot" tensor cores and ".../wgmma_hot"
beside ".../hot"), measured in the same run.

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


# A variant's marker in its name, what replaces it for the kernel it stands in for, its kind.
VARIANTS = [("/tc_", "/", "tensor-core"), ("/wgmma_hot", "/hot", "wgmma")]


def variant_twin(name):
    """(the baseline kernel's benchmark name, the variant's kind) for a variant; None otherwise."""
    for marker, plain, kind in VARIANTS:
        if marker in name:
            return name.replace(marker, plain, 1), kind
    return None


def pair_table(title, pairs, medians):
    """The pairs' table on stdout; their logs of speedups."""
    print()
    print(f"| {title} | µs | baseline | baseline µs | speedup |")
    print("| --- | ---: | --- | ---: | ---: |")
    logs = []
    for new, base in pairs:
        a, b = medians[new]["us"], medians[base]["us"]
        speedup = b / a if a > 0 else float("inf")
        logs.append(math.log(speedup))
        print(f"| {new} | {a:.2f} | {base} | {b:.2f} | {speedup:.2f}x |")
    return logs


def summary(count, what, logs):
    return (f"{count} {what}: geometric-mean speedup {math.exp(sum(logs) / len(logs)):.2f}x, "
            f"range {math.exp(min(logs)):.2f}x to {math.exp(max(logs)):.2f}x")


def variant_pairs(medians):
    """Kernel variants beside their baselines, and a summary line per kind."""
    by_kind = {}
    for n in medians:
        t = variant_twin(n)
        if t is not None and t[0] in medians:
            by_kind.setdefault(t[1], []).append((n, t[0]))
    lines = []
    for kind, pairs in by_kind.items():
        logs = pair_table(f"{kind} variant", pairs, medians)
        lines.append(summary(len(pairs), f"{kind} variant pairs", logs))
    return lines


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
    lines = []
    if pairs:
        logs = pair_table("fused", pairs, medians)
        lines.append(summary(len(pairs), "fused/separate pairs", logs))
    lines += variant_pairs(medians)
    for line in lines:
        print(line, file=sys.stderr)

if __name__ == "__main__":
    main()
