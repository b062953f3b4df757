#!/usr/bin/env python3
"""The gpu/ microbenchmarks of one Google Benchmark JSON as Markdown: each benchmark's median
beside its ceilings (the counters the gpu/ benchmarks set; one successful repetition is marked,
failed benchmarks are listed with their errors), then each fused launch beside the
launches it replaces (".../fused/..." and ".../separate/...", or "fused_" and "split_" within a
segment), and each kernel variant beside the kernel it stands in for (".../tc_hot" tensor cores
and ".../wgmma_hot" beside ".../hot", ".../fa3_hot" beside ".../wgmma_hot"), measured in the same
run.

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


# How a benchmark names the launches it stands in for, matched within one "/" segment of its
# name: the marker, the baseline's text in its place, and the table (and summary) the pair goes
# to, in the order the tables print.
RULES = [(r"^fused$", "separate", "fused"), (r"(^|_)fused(_|$)", r"\1split\2", "fused"),
         (r"^tc_", "", "tensor-core variant"), (r"^wgmma_hot$", "hot", "wgmma variant"),
         (r"^fa3_hot$", "wgmma_hot", "FA3 variant")]
SUMMARY = {"fused": "fused/separate pairs", "tensor-core variant": "tensor-core variant pairs",
           "wgmma variant": "wgmma variant pairs", "FA3 variant": "FA3 (TMA, ping-pong) variant "
           "pairs, against the cp.async wgmma kernel"}


def baseline(name):
    """(the baseline's benchmark name, its table) for a fused launch or a kernel variant; None
    for any other."""
    segments = name.split("/")
    for marker, plain, table in RULES:
        for i, segment in enumerate(segments):
            if re.search(marker, segment):
                segments[i] = re.sub(marker, plain, segment, count=1)
                return "/".join(segments), table
    return None


def pair_table(title, pairs, medians):
    """The pairs' table on stdout; their logs of speedups (None for a pair with a zero time)."""
    print()
    print(f"| {title} | µs | baseline | baseline µs | speedup |")
    print("| --- | ---: | --- | ---: | ---: |")
    logs = []
    for new, base in pairs:
        a, b = medians[new]["us"], medians[base]["us"]
        # NOTE: a median under the timer's resolution is 0: no ratio, but the row is kept.
        speedup = b / a if a > 0 and b > 0 else None
        logs.append(math.log(speedup) if speedup else None)
        shown = f"{speedup:.2f}x" if speedup else "-"
        print(f"| {new} | {a:.2f} | {base} | {b:.2f} | {shown} |")
    return logs


def summary(count, what, logs):
    ratios = [x for x in logs if x is not None]
    zero = count - len(ratios)
    if not ratios:
        return f"{count} {what}: no speedup ({zero} with a zero time)"
    return (f"{count} {what}: geometric-mean speedup {math.exp(sum(ratios) / len(ratios)):.2f}x, "
            f"range {math.exp(min(ratios)):.2f}x to {math.exp(max(ratios)):.2f}x"
            + (f" ({zero} with a zero time left out)" if zero else ""))


def pair_tables(medians):
    """Each fused launch and kernel variant beside its baseline, a table and a summary line per
    kind."""
    by_table = {table: [] for _, _, table in RULES}
    for n in medians:
        t = baseline(n)
        if t is not None and t[0] in medians:
            by_table[t[1]].append((n, t[0]))
    lines = []
    for table, pairs in by_table.items():
        if pairs:
            logs = pair_table(table, pairs, medians)
            lines.append(summary(len(pairs), SUMMARY[table], logs))
    return lines


def select_medians(benchmarks):
    """({run name: its median entry, with "us"}, {run name: error message}) in the file's order.
    Repetitions give a median aggregate; a benchmark with one successful repetition (no
    aggregate) keeps it, marked "lone"; one that failed in every repetition is an error."""
    medians, lone, errors = {}, {}, {}
    for i, b in enumerate(benchmarks):
        if not isinstance(b, dict):
            fail(f"{sys.argv[1]}: benchmarks[{i}] is not an object")
        name = b.get("run_name", b.get("name", ""))
        if b.get("error_occurred") or "error_message" in b:
            errors.setdefault(name, b.get("error_message", "error"))
            continue
        try:
            time = b["real_time"]
            if isinstance(time, bool) or not isinstance(time, (int, float)):
                fail(f"{sys.argv[1]}: benchmark {name}: 'real_time' is not a number: {time!r}")
            entry = dict(b, us=time * UNITS[b.get("time_unit", "ns")])
        except KeyError as e:
            fail(f"{sys.argv[1]}: benchmark {name}: no {e}")
        aggregate = b.get("aggregate_name")
        if aggregate == "median" and b.get("run_type") != "iteration":
            medians[name] = entry
        elif aggregate is None or b.get("run_type") == "iteration":
            lone.setdefault(name, []).append(entry)
    for name, entries in lone.items():
        if name not in medians:
            entries.sort(key=lambda e: e["us"])
            medians[name] = dict(entries[len(entries) // 2], lone=len(entries) == 1)
    return medians, {n: m for n, m in errors.items() if n not in medians}


def main():
    if len(sys.argv) != 2:
        fail("usage: bench_table.py BENCH_JSON")
    try:
        with open(sys.argv[1]) as f:
            benchmarks = json.load(f)["benchmarks"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(f"{sys.argv[1]}: {e}")
    medians, errors = select_medians(benchmarks)
    print("| benchmark | µs | GB/s | % copy BW | TFLOP/s | % GEMM |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, b in medians.items():
        # NOTE: bench_merge.py writes a non-finite counter (NaN, Infinity) as null: "-".
        f = lambda k: "" if k not in b else "-" if b[k] is None else f"{b[k]:.1f}"
        label = name + (" (1 repetition)" if b.get("lone") else "")
        print(f"| {label} | {b['us']:.2f} | {f('GB_per_s')} | {f('pct_copy_bw')} | "
              f"{f('TFLOP_per_s')} | {f('pct_gemm_flops')} |")
    if errors:
        print()
        print("| failed benchmark | error |")
        print("| --- | --- |")
        for name, message in errors.items():
            print(f"| {name} | {message} |")
    for line in pair_tables(medians):
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
