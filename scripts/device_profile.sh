#!/usr/bin/env bash
# On the GPU machine, after scripts/device_check.sh built build-dev: per-kernel time of decode
# steps of a V2-Lite-shape dummy model under Nsight Compute (clocks left alone), summed by kernel
# name, for batch sizes given as arguments (default 1 64).
set -uo pipefail
out=${OUT:-device-logs}
mkdir -p "$out"
[ -f .deps/env.sh ] && source .deps/env.sh
[ -x build-dev/moebench ] || cmake --build build-dev -j16 >/dev/null 2>&1 ||
  { cmake -S . -B build-dev -DMOEBENCH_CUDA=ON >/dev/null && cmake --build build-dev -j16 >/dev/null; }
[ -d /tmp/v2l ] || build-dev/moebench model init --family deepseek_v2 --preset v2-lite \
  --weights dummy -o /tmp/v2l --force >/dev/null
for b in "${@:-1 64}"; do
  # --prompt 1: the prefill step is itself a one-token decode step (eager), then 1 graph step.
  ncu --clock-control none --metrics gpu__time_duration.sum --csv --print-units base \
    build-dev/moebench model bench /tmp/v2l --device cuda --batch "$b" --prompt 1 --tokens 1 \
    --warmup 0 >"$out/ncu_b$b.csv" 2>"$out/ncu_b$b.err"
  python3 - "$out/ncu_b$b.csv" "$b" <<'PY'
import csv, sys, collections, re
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
head, rows = rows[0], rows[1:]
name_i, val_i = head.index("Kernel Name"), head.index("Metric Value")
times = [(re.sub(r"\(.*", "", r[name_i])[:60], float(r[val_i])) for r in rows]
times = times[12:]  # skip the bandwidth / GEMM measurements
half = times[len(times) // 2:]  # the graph-replayed decode step
agg = collections.defaultdict(lambda: [0.0, 0])
for n, t in half:
    agg[n][0] += t
    agg[n][1] += 1
total = sum(v[0] for v in agg.values())
print(f"batch {sys.argv[2]}: {len(half)} kernels, {total/1e3:.1f} us of kernel time per step")
for n, (t, c) in sorted(agg.items(), key=lambda kv: -kv[1][0])[:18]:
    print(f"  {t/1e3:9.1f} us {100*t/total:5.1f}%  x{c:<4d} {n}")
PY
done
