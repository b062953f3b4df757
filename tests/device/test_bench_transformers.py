#!/usr/bin/env python3
"""scripts/hf/bench_transformers.py against stub torch and transformers modules (no GPU, no
torch here) on a fake clock: a prefill forward costs 50 ms and each decode step 10 ms, so decode
is 100 tokens/s per sequence, counted over --tokens decode steps as moebench model bench counts
them; the prefill forward keeps the last position's logits only, as generate's does; the JSON
names the attention and experts implementations the model ran; no batch that ran is exit 1; the
device run's summary takes the result lines only."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import types
import unittest
from unittest import mock

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(ROOT, "scripts", "hf", "bench_transformers.py")
PREFILL_S, STEP_S = 0.050, 0.010


class Clock:
    def __init__(self):
        self.t = 1000.0

    def perf_counter(self):
        return self.t


class Tensor:
    def __init__(self, shape):
        self.shape = shape


class OutOfMemoryError(RuntimeError):
    pass


class Model:
    """A forward over the prompt costs PREFILL_S; generate of N new tokens makes the first inside
    its prefill and N - 1 in decode steps of STEP_S each. One timed generate in `slow` takes
    20 ms longer (a stray pause), which a best-of-3 does not see."""

    def __init__(self, clock, config, fail=False):
        self.clock, self.config, self.fail = clock, config, fail
        self.generation_config = types.SimpleNamespace()
        self.forward_kwargs, self.generates = [], 0

    def eval(self):
        return self

    def parameters(self):
        return [types.SimpleNamespace(numel=lambda: 1000)]

    def __call__(self, **kwargs):
        self.forward_kwargs.append(kwargs)
        self.clock.t += PREFILL_S

    def generate(self, input_ids, max_new_tokens, **kwargs):
        if self.fail:
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.generates += 1
        self.clock.t += PREFILL_S + (max_new_tokens - 1) * STEP_S
        if self.generates == 2:  # the first generate after the warm-up one
            self.clock.t += 0.020
        batch, prompt = input_ids.shape
        return Tensor((batch, prompt + max_new_tokens))


def stub_modules(clock, fail=False):
    """torch and transformers with what the script calls; the model built is kept in `built`."""
    torch = types.ModuleType("torch")
    torch.__version__ = "0.0-stub"
    torch.bfloat16 = "bf16"
    torch.cuda = types.SimpleNamespace(
        synchronize=lambda: None, is_available=lambda: True, get_device_name=lambda: "stub GPU",
        reset_peak_memory_stats=lambda: None, max_memory_allocated=lambda: 2**30,
        memory_allocated=lambda: 2**30, empty_cache=lambda: None,
        OutOfMemoryError=OutOfMemoryError)
    torch._dynamo = types.SimpleNamespace(reset=lambda: None)
    torch.device = lambda name: mock.MagicMock()
    torch.inference_mode = lambda: mock.MagicMock()
    torch.Generator = lambda device: types.SimpleNamespace(manual_seed=lambda s: None)
    torch.randint = lambda lo, hi, shape, **kw: Tensor(shape)
    torch.ones_like = lambda t: Tensor(t.shape)
    config = types.SimpleNamespace(model_type="deepseek_v2", vocab_size=100,
                                   _attn_implementation="sdpa",
                                   _experts_implementation="grouped_mm")
    built = []

    def from_config(cfg, **kwargs):
        built.append(Model(clock, cfg, fail))
        return built[-1]

    transformers = types.ModuleType("transformers")
    transformers.__version__ = "5.0-stub"
    transformers.AutoConfig = types.SimpleNamespace(from_pretrained=lambda d, **kw: config)
    transformers.AutoModelForCausalLM = types.SimpleNamespace(from_config=from_config)
    return {"torch": torch, "transformers": transformers}, built


def run_main(argv, fail=False):
    """(exit code, JSON written, the models built, stdout) of main() under the stubs."""
    clock = Clock()
    modules, built = stub_modules(clock, fail)
    with mock.patch.dict(sys.modules, modules):
        spec = importlib.util.spec_from_file_location("bench_transformers", SCRIPT)
        bt = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bt)
        bt.time = clock  # the script's clock: perf_counter only
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "hf.json")
            with mock.patch.object(sys, "argv", ["bench_transformers.py", "--config", d,
                                                 "--out", out, "--no-compile", *argv]), \
                    mock.patch("sys.stdout", new_callable=__import__("io").StringIO) as stdout:
                rc = bt.main()
            with open(out) as f:
                return rc, json.load(f), built, stdout.getvalue()


class BenchTransformers(unittest.TestCase):
    def test_decode_rate_counts_decode_steps_only(self):
        rc, doc, built, _ = run_main(["--batch", "1", "--batch", "4", "--prompt", "8",
                                      "--tokens", "32"])
        self.assertEqual(rc, 0)
        runs = {r["batch"]: r for r in doc["runs"]}
        # 32 decode steps of 10 ms: 100 tokens/s per sequence, 10 ms a step
        self.assertAlmostEqual(runs[1]["decode_tokens_per_s"], 100.0, places=6)
        self.assertAlmostEqual(runs[4]["decode_tokens_per_s"], 400.0, places=6)
        self.assertAlmostEqual(runs[1]["ms_per_step"], 10.0, places=6)
        self.assertAlmostEqual(runs[1]["prefill_tokens_per_s"], 8 / PREFILL_S, places=6)
        # the prefill forward computes the last position's logits only, as generate's does
        self.assertTrue(built[0].forward_kwargs)
        for kwargs in built[0].forward_kwargs:
            self.assertEqual(kwargs.get("logits_to_keep"), 1)

    def test_the_implementations_that_ran_are_recorded(self):
        _, doc, _, _ = run_main(["--batch", "1", "--tokens", "4"])
        self.assertEqual(doc["attn_implementation"], "sdpa")
        self.assertEqual(doc["experts_implementation"], "grouped_mm")
        self.assertNotIn("sdpa", doc["runs"][0]["settings"])  # not a label that may be wrong

    def test_no_batch_ran_is_a_failure(self):
        rc, doc, _, _ = run_main(["--batch", "1", "--batch", "8", "--tokens", "4"], fail=True)
        self.assertNotEqual(rc, 0)
        self.assertTrue(all("error" in r for r in doc["runs"]))
        self.assertIn("OutOfMemoryError", doc["runs"][0]["error"])

    def test_device_run_summary_takes_the_result_lines_only(self):
        _, _, _, stdout = run_main(["--batch", "1", "--batch", "4", "--tokens", "32"])
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "hf.log")
            with open(log, "w") as f:
                f.write(stdout + "  batch 64 dynamic_cache: OutOfMemoryError: out of memory\n")
            figure = subprocess.run(
                ["bash", "-c", 'eval "$(sed -n "/^hf_figure() {/,/^}/p" "$1")"; hf_figure "$2"',
                 "-", os.path.join(ROOT, "scripts", "device_run.sh"), log],
                capture_output=True, text=True)
        self.assertEqual(figure.returncode, 0, figure.stderr)
        self.assertEqual(figure.stdout.strip(), "batch 1 dynamic_cache: 100.0 decode tok/s; "
                                                "batch 4 dynamic_cache: 400.0 decode tok/s")


if __name__ == "__main__":
    unittest.main()
