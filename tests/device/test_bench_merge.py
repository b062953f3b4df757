#!/usr/bin/env python3
"""scripts/bench_merge.py (the device run's groups of microbenchmarks into one JSON: the first
file's context, every file's benchmarks in order, a missing or broken group named and left out)
and scripts/model_bench_ratio.py (a model bench variant's summary line beside the separate
launches': tokens/s ratios, kernels per step, the prefill's share of cuBLAS; one line on bad
input)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = os.path.join(os.path.dirname(__file__), "..", "..", "scripts")


def run(script, *args):
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, script), *args],
                          capture_output=True, text=True)


class BenchMerge(unittest.TestCase):
    def test_groups_merge_in_order_and_a_missing_one_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            a, b, broken = (os.path.join(d, n) for n in ("1.json", "2.json", "3.json"))
            with open(a, "w") as f:
                json.dump({"context": {"host_name": "h200"}, "benchmarks": [{"name": "x"}]}, f)
            with open(b, "w") as f:
                json.dump({"context": {"host_name": "other"},
                           "benchmarks": [{"name": "y"}, {"name": "z"}]}, f)
            with open(broken, "w") as f:
                f.write("{cut off")
            out = os.path.join(d, "out.json")
            r = run("bench_merge.py", out, a, os.path.join(d, "missing.json"), broken, b)
            self.assertEqual(r.returncode, 3, r.stderr)  # merged, but groups were lost
            self.assertIn("missing.json", r.stderr)
            self.assertIn("3.json", r.stderr)
            with open(out) as f:
                doc = json.load(f)
            self.assertEqual(doc["context"], {"host_name": "h200"})
            self.assertEqual([x["name"] for x in doc["benchmarks"]], ["x", "y", "z"])

    def test_non_finite_counters_become_null(self):
        with tempfile.TemporaryDirectory() as d:
            a = os.path.join(d, "1.json")
            with open(a, "w") as f:  # as Google Benchmark writes them
                f.write('{"benchmarks": [{"name": "x", "real_time": 1.0, "pct_gemm_flops": NaN, '
                        '"GB_per_s": Infinity}]}')
            out = os.path.join(d, "out.json")
            r = run("bench_merge.py", out, a)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                text = f.read()
            self.assertNotIn("NaN", text)
            self.assertNotIn("Infinity", text)
            self.assertEqual(json.loads(text)["benchmarks"][0]["GB_per_s"], None)

    def test_no_readable_group_fails(self):
        with tempfile.TemporaryDirectory() as d:
            r = run("bench_merge.py", os.path.join(d, "out.json"), os.path.join(d, "none.json"))
            self.assertEqual(r.returncode, 1)
            self.assertFalse(os.path.exists(os.path.join(d, "out.json")))


class ModelBenchRatio(unittest.TestCase):
    def test_ratio_line(self):
        sep = {"runs": [{"batch": 1, "prompt": 128, "decode_tokens_per_s": 200.0,
                         "kernels_per_step": 600},
                        {"batch": 64, "prompt": 128, "decode_tokens_per_s": 4000.0}],
               "prefill": {"tokens_per_s": 1000.0}}
        var = {"runs": [{"batch": 1, "prompt": 128, "decode_tokens_per_s": 300.0,
                         "kernels_per_step": 300}],
               "prefill": {"tokens_per_s": 1500.0, "gemm_fraction": 0.4}}
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, doc in (("sep.json", sep), ("var.json", var)):
                paths.append(os.path.join(d, name))
                with open(paths[-1], "w") as f:
                    json.dump(doc, f)
            r = run("model_bench_ratio.py", *paths)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(),
                             "b1 300 tok/s = 1.500x separate, 300 vs 600 kernels a step; "
                             "prefill 1500 tok/s = 1.500x separate, 40.0% of cuBLAS")
            r = run("model_bench_ratio.py", paths[0], os.path.join(d, "missing.json"))
            self.assertEqual(r.returncode, 1)
            self.assertTrue(r.stdout.startswith("no ratio: "))
            self.assertEqual(len(r.stdout.strip().splitlines()), 1)

    def test_own_figures(self):
        doc = {"copy_bytes_per_s": 4.3e12, "gemm_flops_per_s": 7.9e14,
               "runs": [{"batch": 1, "prompt": 128, "decode_tokens_per_s": 620.0,
                         "roofline_fraction": 0.708},
                        {"batch": 64, "prompt": 128, "decode_tokens_per_s": 7100.0}],
               "prefill": {"seqs": 8, "len": 2048, "tokens_per_s": 90000.0,
                           "gemm_fraction": 0.553}}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model_bench.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            r = run("model_bench_ratio.py", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(),
                             "copy 4.30 TB/s, cuBLAS 790 TFLOP/s; b1 620 tok/s = 70.8% of "
                             "roofline; b64 7100 tok/s; prefill 8x2048 90000 tok/s = 55.3% of "
                             "cuBLAS")
            r = run("model_bench_ratio.py", os.path.join(d, "missing.json"))
            self.assertEqual(r.returncode, 1)
            self.assertTrue(r.stdout.startswith("no figures: "))

    def test_rows_of_several_prompts_are_told_apart(self):
        # With several --prompt values two rows were both "b1", and a prefill without a
        # gemm_fraction (a CPU bench) read "0.0% of cuBLAS".
        doc = {"runs": [{"batch": 1, "prompt": 16, "decode_tokens_per_s": 100.0},
                        {"batch": 1, "prompt": 64, "decode_tokens_per_s": 80.0}],
               "prefill": {"seqs": 2, "len": 32, "tokens_per_s": 500.0}}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cpu.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            r = run("model_bench_ratio.py", path)
            self.assertEqual(r.stdout.strip(), "b1 p16 100 tok/s; b1 p64 80 tok/s; "
                             "prefill 2x32 500 tok/s")
            r = run("model_bench_ratio.py", path, path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(),
                             "b1 p16 100 tok/s = 1.000x separate, 0 vs 0 kernels a step; "
                             "b1 p64 80 tok/s = 1.000x separate, 0 vs 0 kernels a step; "
                             "prefill 500 tok/s = 1.000x separate")

    def test_no_common_row_is_a_failure(self):
        # It printed an empty line and exited 0.
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, batch in (("sep.json", 1), ("var.json", 2)):
                paths.append(os.path.join(d, name))
                with open(paths[-1], "w") as f:
                    json.dump({"runs": [{"batch": batch, "prompt": 16,
                                         "decode_tokens_per_s": 10.0}]}, f)
            r = run("model_bench_ratio.py", *paths)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout.strip(),
                             "no ratio: no (batch, prompt) of var.json is in sep.json")


if __name__ == "__main__":
    unittest.main()
