#!/usr/bin/env python3
"""scripts/bench_table.py on a hand-made Google Benchmark JSON: medians of repeated runs beside
their ceilings, fused benchmarks paired with their separate twins (both naming schemes) with the
speedup and its geometric mean, kernel variants (tensor cores, wgmma) beside their baselines,
errored runs listed with their errors, a lone repetition marked, and bad input one line and a
failure."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "bench_table.py")
DEVICE_RUN = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "device_run.sh")


def bench(run_name, us, aggregate="median", **counters):
    b = {"name": run_name + ("_" + aggregate if aggregate else ""), "run_name": run_name,
         "real_time": us * 1000.0, "time_unit": "ns"}
    if aggregate:
        b["aggregate_name"] = aggregate
    b.update(counters)
    return b


def repetition(run_name, us, error=None):
    b = {"name": run_name, "run_name": run_name, "run_type": "iteration",
         "real_time": us * 1000.0, "time_unit": "ns"}
    if error:
        b.update(error_occurred=True, error_message=error)
    return b


class BenchTable(unittest.TestCase):
    def run_table(self, content):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bench.json")
            with open(path, "w") as f:
                f.write(content if isinstance(content, str) else json.dumps(content))
            return subprocess.run([sys.executable, SCRIPT, path], capture_output=True, text=True)

    def bench_counts(self, content):
        """device_run.sh's bench_counts (its summary row's counts) on the same JSON."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bench.json")
            with open(path, "w") as f:
                json.dump(content, f)
            return subprocess.run(
                ["bash", "-c", 'eval "$(sed -n "/^bench_counts() {/,/^}/p" "$1")"; '
                 'bench_counts "$2"', "-", DEVICE_RUN, path],
                capture_output=True, text=True).stdout.strip()

    def test_medians_and_fused_pairs(self):
        rows = [
            bench("gpu/mla_prepare_v2lite/fused/tokens:1/manual_time", 4.0, GB_per_s=100.0),
            bench("gpu/mla_prepare_v2lite/fused/tokens:1/manual_time", 9.0, aggregate="mean"),
            bench("gpu/mla_prepare_v2lite/separate/tokens:1/manual_time", 12.0),
            bench("gpu/grouped_gemm/v2lite_down/ours_fused_swiglu/tokens_per_expert:1/manual_time",
                  10.0, pct_copy_bw=50.0),
            bench("gpu/grouped_gemm/v2lite_down/ours_split_swiglu/tokens_per_expert:1/manual_time",
                  10.0),
            bench("gpu/moe_route_place/v3/fused/tokens:64/manual_time", 3.0),  # no twin: no pair
            # "fused_" opening a segment after "/": its twin is "split_", not "separate_"
            bench("gpu/gemm/v2lite_shared_down/fused_swiglu/m:1/manual_time", 5.0),
            bench("gpu/gemm/v2lite_shared_down/split_swiglu/m:1/manual_time", 10.0),
            bench("gpu/rmsnorm/hot", 2.0, aggregate=None),                     # a single run
        ]
        rows.append(dict(bench("gpu/moe_combine_norm/v3/separate/tokens:1/manual_time", 1.0),
                         error_message="CUDA error"))
        r = self.run_table({"benchmarks": rows})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("| gpu/mla_prepare_v2lite/fused/tokens:1/manual_time | 4.00 | 100.0 |",
                      r.stdout)
        self.assertIn("| gpu/rmsnorm/hot (1 repetition) | 2.00 |", r.stdout)
        self.assertNotIn("9.00", r.stdout)  # the mean is not the median
        # a benchmark failed in every repetition is listed with its error, not left out
        self.assertIn("| gpu/moe_combine_norm/v3/separate/tokens:1/manual_time | CUDA error |",
                      r.stdout)
        self.assertIn("| gpu/mla_prepare_v2lite/fused/tokens:1/manual_time | 4.00 | "
                      "gpu/mla_prepare_v2lite/separate/tokens:1/manual_time | 12.00 | 3.00x |",
                      r.stdout)
        self.assertIn("ours_fused_swiglu/tokens_per_expert:1/manual_time | 10.00 | "
                      "gpu/grouped_gemm/v2lite_down/ours_split_swiglu/tokens_per_expert:1/"
                      "manual_time | 10.00 | 1.00x |", r.stdout)
        self.assertIn("| gpu/gemm/v2lite_shared_down/fused_swiglu/m:1/manual_time | 5.00 | "
                      "gpu/gemm/v2lite_shared_down/split_swiglu/m:1/manual_time | 10.00 | 2.00x |",
                      r.stdout)
        # geometric mean of 3x, 1x and 2x
        self.assertEqual(r.stderr.strip(), "3 fused/separate pairs: geometric-mean speedup 1.82x, "
                                           "range 1.00x to 3.00x")

    def test_kernel_variants_beside_their_baselines(self):
        rows = [
            bench("gpu/decode_attention/v2lite_mla/tc_hot/batch:64/seq:1024/manual_time", 10.0),
            bench("gpu/decode_attention/v2lite_mla/hot/batch:64/seq:1024/manual_time", 40.0),
            bench("gpu/decode_attention/v2lite_mla/tc_cold/batch:1/seq:1024/manual_time", 5.0),
            bench("gpu/decode_attention/v2lite_mla/cold/batch:1/seq:1024/manual_time", 5.0),
            bench("gpu/prefill_attention/v2lite_mla/wgmma_hot/seq:2048/manual_time", 100.0),
            bench("gpu/prefill_attention/v2lite_mla/mma_hot/seq:2048/manual_time", 150.0),
            bench("gpu/prefill_attention/v2lite_mla/hot/seq:2048/manual_time", 300.0),
            bench("gpu/prefill_attention/v2lite_mla/wgmma_hot/seq:512/manual_time", 10.0),  # alone
            bench("gpu/prefill_attention/v2lite_mla/fa3_hot/seq:2048/manual_time", 80.0),
        ]
        r = self.run_table({"benchmarks": rows})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("| tensor-core variant | µs | baseline | baseline µs | speedup |", r.stdout)
        self.assertIn("| gpu/decode_attention/v2lite_mla/tc_hot/batch:64/seq:1024/manual_time | "
                      "10.00 | gpu/decode_attention/v2lite_mla/hot/batch:64/seq:1024/manual_time"
                      " | 40.00 | 4.00x |", r.stdout)
        self.assertIn("| gpu/prefill_attention/v2lite_mla/wgmma_hot/seq:2048/manual_time | 100.00 "
                      "| gpu/prefill_attention/v2lite_mla/hot/seq:2048/manual_time | 300.00 | "
                      "3.00x |", r.stdout)
        self.assertIn("| gpu/prefill_attention/v2lite_mla/fa3_hot/seq:2048/manual_time | 80.00 "
                      "| gpu/prefill_attention/v2lite_mla/wgmma_hot/seq:2048/manual_time | "
                      "100.00 | 1.25x |", r.stdout)
        self.assertNotIn("| fused |", r.stdout)  # no fused/separate pair here
        self.assertEqual(r.stderr.strip().splitlines(), [
            "2 tensor-core variant pairs: geometric-mean speedup 2.00x, range 1.00x to 4.00x",
            "1 wgmma variant pairs: geometric-mean speedup 3.00x, range 3.00x to 3.00x",
            "1 FA3 (TMA, ping-pong) variant pairs, against the cp.async wgmma kernel: "
            "geometric-mean speedup 1.25x, range 1.25x to 1.25x"])

    def test_null_counters_and_zero_times(self):
        # bench_merge.py writes a non-finite counter as null; a median may round to 0 µs
        rows = [
            bench("gpu/swiglu/v3/fused/tokens:1/manual_time", 2.0, GB_per_s=None,
                  pct_copy_bw=50.0),
            bench("gpu/swiglu/v3/separate/tokens:1/manual_time", 0.0),
            bench("gpu/rmsnorm/v3/fused/tokens:1/manual_time", 1.0),
            bench("gpu/rmsnorm/v3/separate/tokens:1/manual_time", 2.0),
        ]
        r = self.run_table({"benchmarks": rows})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("| gpu/swiglu/v3/fused/tokens:1/manual_time | 2.00 | - | 50.0 |  |  |",
                      r.stdout)
        self.assertIn("| gpu/swiglu/v3/fused/tokens:1/manual_time | 2.00 | "
                      "gpu/swiglu/v3/separate/tokens:1/manual_time | 0.00 | - |", r.stdout)
        # the pair with a zero time is listed, left out of the mean and counted as such
        self.assertEqual(r.stderr.strip(), "2 fused/separate pairs: geometric-mean speedup 2.00x, "
                                           "range 2.00x to 2.00x (1 with a zero time left out)")
        r = self.run_table({"benchmarks": rows[:2]})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.strip(), "1 fused/separate pairs: no speedup (1 with a zero "
                                           "time)")

    def test_partly_failed_counts_as_the_table_shows_it(self):
        # one repetition errored of three: the table has its median, so it is not failed
        part = "gpu/nccl/all_reduce/bytes:1024/manual_time"
        rows = [repetition(part, 5.0), repetition(part, 6.0, "NCCL timeout"),
                repetition(part, 7.0), bench(part, 6.0)]
        gone = "gpu/nccl/all_gather/bytes:1024/manual_time"
        rows += [repetition(gone, 0.0, "NCCL error")] * 3
        rows.append(bench("gpu/rmsnorm/hot", 2.0))
        r = self.run_table({"benchmarks": rows})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"| {part} | 6.00 |", r.stdout)
        self.assertIn(f"| {gone} | NCCL error |", r.stdout)
        self.assertEqual(self.bench_counts({"benchmarks": rows}),
                         "2 benchmarks measured (1 partly failed), 1 failed (names in "
                         "kernels_bench.log)")

    def test_bad_input_is_one_line_and_a_failure(self):
        for content, needle in [("{", "bench.json"), ({"context": {}}, "benchmarks"),
                                ({"benchmarks": [{"run_name": "x", "aggregate_name": "median"}]},
                                 "no 'real_time'"),
                                # A null or text real_time was a TypeError traceback.
                                ({"benchmarks": [{"run_name": "x", "real_time": None}]},
                                 "'real_time' is not a number"),
                                ({"benchmarks": [{"run_name": "x", "real_time": "7"}]},
                                 "'real_time' is not a number"),
                                ({"benchmarks": [{"run_name": "x", "real_time": 7,
                                                  "time_unit": "h"}]},
                                 "no 'h'"),
                                ({"benchmarks": [7]}, "not an object")]:
            r = self.run_table(content)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr)


if __name__ == "__main__":
    unittest.main()
