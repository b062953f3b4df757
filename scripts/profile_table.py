#!/usr/bin/env python3
"""One decode step's kernels from an Nsight Compute CSV: time, DRAM bytes, and their rate beside
the copy bandwidth model bench measured in the same run.

Usage: profile_table.py NCU_CSV MODEL_BENCH_JSON LABEL

NCU_CSV is the output of
  ncu --csv --print-units base \
      --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum \
      moebench model bench DIR --device cuda --batch B --prompt 1 --tokens 1 --warmup 0 \
      --json MODEL_BENCH_JSON
(the program's own output lines in it are skipped). The step is the last kernels_per_step kernels
profiled: model bench reports the kernel nodes of its decode graph, replayed last. Values are
converted from the CSV's Metric Unit column (ncu scales them unless --print-units base); a unit
not known here is an error. Kernels are added up by their full name (template arguments and all)
and shortened only when printed.
"""
import collections
import csv
import json
import re
import sys

# Each unit ncu may print for the metrics read, as a factor to nanoseconds or bytes. ncu's
# prefixes are SI (Kbyte = 1000 byte); the binary ones are taken too, should a version print them.
NANOSECONDS = {"nsecond": 1.0, "usecond": 1e3, "msecond": 1e6, "second": 1e9}
BYTES = {"byte": 1.0, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "Tbyte": 1e12,
         "KiB": 2.0**10, "MiB": 2.0**20, "GiB": 2.0**30}
# metric -> (the kernel's field, the units it may come in)
METRICS = {
    "gpu__time_duration.sum": ("ns", NANOSECONDS),
    "dram__bytes_read.sum": ("read", BYTES),
    "dram__bytes_write.sum": ("write", BYTES),
}
NAME_WIDTH = 60


def fail(message):
    print(f"profile_table: {message}", file=sys.stderr)
    sys.exit(1)


def short_name(name):
    """'void ns::(anonymous namespace)::f<1, true>(Args)' -> 'f<1, true>', at most NAME_WIDTH
    chars (a cut one ends in '...'), for printing only: two template instances may share it."""
    name = name.replace("(anonymous namespace)::", "")
    name = re.sub(r"^void ", "", name)
    depth, cut = 0, len(name)
    for i, ch in enumerate(name):  # the parameter list: the first '(' outside template brackets
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "(" and depth == 0:
            cut = i
            break
    name = name[:cut]
    base = name.split("<", 1)
    base[0] = base[0].rsplit("::", 1)[-1]
    name = "<".join(base)
    return name if len(name) <= NAME_WIDTH else name[:NAME_WIDTH - 3] + "..."


def number(text):
    return float(text.replace(",", ""))


def scaled(path, line, metric, unit, text):
    """The value in nanoseconds or bytes; an unknown unit fails, never read as the base one."""
    field, units = METRICS[metric]
    if unit not in units:
        fail(f"{path}: CSV row {line}: {metric} in unknown unit '{unit}' (known: "
             f"{', '.join(units)})")
    return field, number(text) * units[unit]


def kernels(path):
    """The profiled kernel instances in launch order: {name (ncu's full name), ns, read,
    write}."""
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if len(r) > 10]
    if not rows:
        fail(f"{path}: no Nsight Compute CSV rows")
    head = rows[0]
    try:
        id_i, name_i, metric_i, unit_i, value_i = (head.index(k) for k in (
            "ID", "Kernel Name", "Metric Name", "Metric Unit", "Metric Value"))
    except ValueError:
        fail(f"{path}: the header lacks ID, Kernel Name, Metric Name, Metric Unit or Metric Value")
    out = {}
    for line, r in enumerate(rows[1:], start=2):
        if r[metric_i] not in METRICS:
            continue
        try:
            k = out.setdefault(int(r[id_i]), {"name": r[name_i]})
            field, value = scaled(path, line, r[metric_i], r[unit_i], r[value_i])
            k[field] = value
        except ValueError:
            fail(f"{path}: CSV row {line}: ID '{r[id_i]}' or value '{r[value_i]}' is not a number")
    return [out[i] for i in sorted(out)]


def main():
    if len(sys.argv) != 4:
        fail("usage: profile_table.py NCU_CSV MODEL_BENCH_JSON LABEL")
    csv_path, json_path, label = sys.argv[1:]
    try:
        with open(json_path) as f:
            bench = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{json_path}: {e}")
    runs = bench.get("runs") or [{}]
    n = int(runs[0].get("kernels_per_step", 0))
    if n <= 0:
        fail(f"{json_path}: no kernels_per_step (no CUDA graph decode step was captured)")
    profiled = kernels(csv_path)
    if len(profiled) < n:
        fail(f"{csv_path}: {len(profiled)} kernels profiled, fewer than the step's {n}")
    step = profiled[-n:]
    bw = float(bench.get("copy_bytes_per_s", 0.0))
    total_ns = sum(k.get("ns", 0.0) for k in step)
    total_b = sum(k.get("read", 0.0) + k.get("write", 0.0) for k in step)
    rate = total_b / (total_ns * 1e-9) if total_ns > 0 else 0.0
    summary = f"{label}: {n} kernels, {total_ns / 1e3:.1f} us of kernel time, {total_b / 1e6:.1f} MB"
    if bw > 0 and total_ns > 0:
        summary += f" moved at {100 * rate / bw:.0f}% of the copy bandwidth"
    print(summary)
    agg = collections.OrderedDict()
    for k in step:
        a = agg.setdefault(k["name"], [0.0, 0.0, 0])
        a[0] += k.get("ns", 0.0)
        a[1] += k.get("read", 0.0) + k.get("write", 0.0)
        a[2] += 1
    print(f"{'us':>9} {'%time':>6} {'MB':>8} {'GB/s':>7} {'%copy':>6} {'count':>5}  kernel")
    for name, (ns, b, count) in sorted(agg.items(), key=lambda kv: -kv[1][0]):
        gbs = b / ns if ns > 0 else 0.0  # bytes per ns = GB/s
        pct = f"{100 * gbs * 1e9 / bw:6.1f}" if bw > 0 else f"{'-':>6}"
        share = 100 * ns / total_ns if total_ns > 0 else 0.0
        print(f"{ns / 1e3:9.1f} {share:6.1f} {b / 1e6:8.2f} {gbs:7.0f} {pct} {count:5d}  "
              f"{short_name(name)}")


if __name__ == "__main__":
    main()
