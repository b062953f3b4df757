#!/usr/bin/env python3
"""The ctest case "bench: cpu smoke": runs moebench-kernels' cpu/ benchmarks briefly and checks the
JSON: at least 8 cpu/ runs, none with an error, and the GPU they ran beside named in the context
("gpu": a device name or "none"; the reports compare kernel times on the same GPU only).

    python3 kernels/bench/bench_smoke.py BUILD/moebench-kernels OUT.json
"""
import json
import subprocess
import sys

exe, out = sys.argv[1], sys.argv[2]
# NOTE: "0.01", not "0.01s": Google Benchmark 1.7.1 (Debian 12) takes a plain number of seconds.
subprocess.run([exe, "--benchmark_filter=^cpu/", "--benchmark_min_time=0.01",
                "--benchmark_out=" + out, "--benchmark_out_format=json"], check=True)
doc = json.load(open(out))
runs = doc["benchmarks"]
if not isinstance(doc["context"].get("gpu"), str) or not doc["context"]["gpu"]:
    sys.exit("bench smoke failed: the JSON context has no 'gpu' string")
cpu = [r for r in runs if r["name"].startswith("cpu/")]
bad = [r["name"] + ": " + r.get("error_message", "") for r in runs if r.get("error_occurred")]
print(len(cpu), "cpu/ benchmarks,", len(bad), "with errors")
if len(cpu) < 8 or bad:
    sys.exit("bench smoke failed: want >= 8 cpu/ benchmarks and no error_occurred; " + "; ".join(bad))
