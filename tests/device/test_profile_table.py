#!/usr/bin/env python3
"""scripts/profile_table.py on a hand-made Nsight Compute CSV: the step is the last
kernels_per_step kernels, times and DRAM bytes add up per kernel name, rates are beside the copy
bandwidth, values are converted from the unit ncu printed them in (an unknown one is an error),
kernels add up by their full name, and bad input is one line naming the file and a non-zero
exit."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "profile_table.py")
HEAD = ('"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream",'
        '"Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit",'
        '"Metric Value"')


def row(i, name, metric, unit, value):
    return (f'"{i}","1","moebench","h","{name}","1","7","(128, 1, 1)","(8, 1, 1)","0","9.0",'
            f'"Command line profiler metrics","{metric}","{unit}","{value}"')


def kernel_rows(i, name, ns, read, write, time_unit="nsecond", byte_unit="byte"):
    return [row(i, name, "dram__bytes_read.sum", byte_unit, read),
            row(i, name, "dram__bytes_write.sum", byte_unit, write),
            row(i, name, "gpu__time_duration.sum", time_unit, ns)]


SKINNY = ("void moebench::(anonymous namespace)::gemm_skinny_kernel<1, 1, float, true, true>"
          "(moebench::(anonymous namespace)::SkinnyTile)")
NORM = "void moebench::(anonymous namespace)::rmsnorm_residual_f32_kernel<false, true>(const unsigned short *)"


class ProfileTable(unittest.TestCase):
    def run_table(self, lines, bench):
        with tempfile.TemporaryDirectory() as d:
            csv_path, json_path = os.path.join(d, "ncu.csv"), os.path.join(d, "bench.json")
            with open(csv_path, "w") as f:
                f.write("\n".join(lines) + "\n")
            with open(json_path, "w") as f:
                f.write(bench if isinstance(bench, str) else json.dumps(bench))
            return subprocess.run([sys.executable, SCRIPT, csv_path, json_path, "fused batch 1"],
                                  capture_output=True, text=True)

    def test_the_step_is_the_last_graph_kernels(self):
        lines = ["engine cuda:0 (NVIDIA H200), kernels fused", HEAD]
        lines += kernel_rows(1, "cublas_warmup_kernel()", 9e6, 1e9, 1e9)  # before the step
        lines += kernel_rows(2, SKINNY, 2000, "8,000,000", 0)             # thousands separators
        lines += kernel_rows(3, NORM, 1000, 100000, 100000)
        lines += kernel_rows(4, SKINNY, 2000, 8000000, 0)
        lines.append("1      1       1         12345         678     1.000     2.000")
        r = self.run_table(lines, {"runs": [{"kernels_per_step": 3}], "copy_bytes_per_s": 4e12})
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.splitlines()
        # 5 us, 16.2 MB, 3.24 TB/s = 81% of 4 TB/s; the warm-up kernel is not in the step.
        self.assertEqual(out[0], "fused batch 1: 3 kernels, 5.0 us of kernel time, 16.2 MB moved "
                                 "at 81% of the copy bandwidth")
        self.assertIn("us", out[1])
        skinny = out[2].split()
        self.assertEqual(skinny[:6], ["4.0", "80.0", "16.00", "4000", "100.0", "2"])
        self.assertEqual(" ".join(skinny[6:]), "gemm_skinny_kernel<1, 1, float, true, true>")
        self.assertTrue(out[3].endswith("  rmsnorm_residual_f32_kernel<false, true>"), out[3])
        self.assertNotIn("cublas_warmup", r.stdout)

    def test_units_as_ncu_scales_them(self):
        # ncu without --print-units base: the same kernels as in the test above, scaled
        lines = [HEAD]
        lines += kernel_rows(2, SKINNY, 2, 8, 0, "usecond", "Mbyte")
        lines += kernel_rows(3, NORM, "0.001", 100, 100, "msecond", "Kbyte")
        lines += kernel_rows(4, SKINNY, "0.000002", "0.008", 0, "second", "Gbyte")
        r = self.run_table(lines, {"runs": [{"kernels_per_step": 3}], "copy_bytes_per_s": 4e12})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0],
                         "fused batch 1: 3 kernels, 5.0 us of kernel time, 16.2 MB moved at 81% "
                         "of the copy bandwidth")
        for unit in ("Pbyte", "cycle"):
            r = self.run_table([HEAD] + kernel_rows(1, NORM, 1000, 1, 1, byte_unit=unit),
                               {"runs": [{"kernels_per_step": 1}]})
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(f"unknown unit '{unit}'", r.stderr)
            self.assertEqual(r.stdout, "")

    def test_template_instances_are_kept_apart(self):
        # two instances alike in their first 60 characters: two rows, not one of count 2
        a = "void moebench::grouped_gemm_kernel<" + "128, " * 12 + "true>(int)"
        b = "void moebench::grouped_gemm_kernel<" + "128, " * 12 + "false>(int)"
        lines = [HEAD] + kernel_rows(1, a, 3000, 0, 0) + kernel_rows(2, b, 1000, 0, 0)
        r = self.run_table(lines, {"runs": [{"kernels_per_step": 2}]})
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = r.stdout.splitlines()[2:]
        self.assertEqual([x.split()[:2] + [x.split()[5]] for x in rows],
                         [["3.0", "75.0", "1"], ["1.0", "25.0", "1"]])
        self.assertTrue(rows[0].endswith("  grouped_gemm_kernel<128, 128, 128, 128, 128, 128, "
                                         "128, 12..."), rows[0])

    def test_bad_input_is_one_line_and_a_failure(self):
        lines = [HEAD] + kernel_rows(1, SKINNY, 10, 10, 10)
        cases = [
            ({"runs": [{"kernels_per_step": 2}]}, "fewer than the step's 2"),
            ({"runs": [{}]}, "no kernels_per_step"),
            ("{not json", "bench.json"),
        ]
        for bench, needle in cases:
            r = self.run_table(lines, bench)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr)
        r = self.run_table([HEAD, row("x", SKINNY, "gpu__time_duration.sum", "nsecond", "5")],
                           {"runs": [{"kernels_per_step": 1}]})
        self.assertIn("CSV row 2", r.stderr)


if __name__ == "__main__":
    unittest.main()
