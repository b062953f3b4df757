#!/usr/bin/env python3
"""One summary line: a model bench variant's decode tokens/s beside the separate launches' (same
batch and prompt), its kernels per step beside theirs, and its prefill rate and share of cuBLAS;
or, given one JSON, its own figures: the measured ceilings, each row's decode tokens/s and share
of its roofline, and the prefill's share of cuBLAS.

Usage: model_bench_ratio.py SEPARATE_JSON [VARIANT_JSON]
"""
import json
import os
import sys


def label(r, runs):
    """A row's name: its batch, and its prompt length when the file has several."""
    several = len({x["prompt"] for x in runs}) > 1
    return f"b{r['batch']}" + (f" p{r['prompt']}" if several else "")


def figures(path):
    """The ceilings, each row's decode rate against its roofline, the prefill against cuBLAS."""
    try:
        with open(path) as f:
            doc = json.load(f)
        runs = doc["runs"]
    except (OSError, ValueError, KeyError, TypeError) as e:  # one line in the summary table
        print(f"no figures: {e}")
        return 1
    parts = []
    if "copy_bytes_per_s" in doc:
        parts.append(f"copy {doc['copy_bytes_per_s'] / 1e12:.2f} TB/s, cuBLAS "
                     f"{doc.get('gemm_flops_per_s', 0) / 1e12:.0f} TFLOP/s")
    for r in runs:
        row = f"{label(r, runs)} {r['decode_tokens_per_s']:.0f} tok/s"
        if "roofline_fraction" in r:
            row += f" = {100 * r['roofline_fraction']:.1f}% of roofline"
        parts.append(row)
    if "prefill" in doc:
        p = doc["prefill"]
        parts.append(f"prefill {p['seqs']}x{p['len']} {p['tokens_per_s']:.0f} tok/s"
                     + (f" = {100 * p['gemm_fraction']:.1f}% of cuBLAS"
                        if "gemm_fraction" in p else ""))
    print("; ".join(parts))
    return 0


def main(sep_path, var_path=None):
    if var_path is None:
        return figures(sep_path)
    try:
        with open(sep_path) as f:
            sep_doc = json.load(f)
        with open(var_path) as f:
            var_doc = json.load(f)
        sep, var = sep_doc["runs"], var_doc["runs"]
    except (OSError, ValueError, KeyError, TypeError) as e:  # one line in the summary table
        print(f"no ratio: {e}")
        return 1
    key = lambda r: (r["batch"], r["prompt"])
    base = {key(r): r["decode_tokens_per_s"] for r in sep}
    kern = {key(r): r.get("kernels_per_step", 0) for r in sep}
    parts = [f"{label(r, var)} {r['decode_tokens_per_s']:.0f} tok/s = "
             f"{r['decode_tokens_per_s'] / base[key(r)]:.3f}x separate, "
             f"{r.get('kernels_per_step', 0)} vs {kern[key(r)]} kernels a step"
             for r in var if key(r) in base]
    if not parts:  # nothing to compare is a failed summary, not an empty one
        print(f"no ratio: no (batch, prompt) of {os.path.basename(var_path)} is in "
              f"{os.path.basename(sep_path)}")
        return 1
    if "prefill" in var_doc and "prefill" in sep_doc:
        a, b = var_doc["prefill"], sep_doc["prefill"]
        parts.append(f"prefill {a['tokens_per_s']:.0f} tok/s = "
                     f"{a['tokens_per_s'] / b['tokens_per_s']:.3f}x separate"
                     + (f", {100 * a['gemm_fraction']:.1f}% of cuBLAS"
                        if "gemm_fraction" in a else ""))
    print("; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]) if len(sys.argv) in (2, 3) else print(__doc__) or 2)
