#!/usr/bin/env python3
"""Decode and prefill throughput of HF transformers on a moebench checkpoint's architecture.

Reads only config.json of a moebench checkpoint directory (dummy ones included), builds the model
with random bf16 weights directly on the GPU, and times model.generate on random prompt ids, the
baseline the built-in CUDA engine is compared with. Runs offline (no hub access).

  python3 scripts/hf/bench_transformers.py --config models/v2l --batch 1 --batch 8 \\
      --prompt 128 --tokens 64 --out results/hf_bench.json

Per batch size it tries each generate setting (static cache, which transformers compiles with
torch.compile, bounded by --compile-budget seconds of warm-up, unless --no-compile; then the
default dynamic cache, eager), keeps the fastest that ran, and records every attempt and error in
the JSON, with the attention and experts implementations the model ran (config's
_attn_implementation and _experts_implementation).
decode tokens/s = batch * tokens / (generate time - prefill time), as moebench model bench
counts it: --tokens decode steps. generate makes the first new token in its prefill forward, so
it is asked for tokens + 1; the prefill is timed separately as one forward of the prompt that
keeps the last position's logits (as generate's does), each the best of REPEATS runs.
Exit 1 when no batch size produced a figure.
"""

import argparse
import json
import signal
import sys
import time
import traceback

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

# Tried in this order; the fastest that runs is reported for each batch size. The names say only
# what the setting asks for: which attention and experts code ran is read from the model's config.
# NOTE: transformers compiles the decode forward with torch.compile when the cache is static
# (generation_config.compile_config); the default dynamic cache is not compileable and runs eagerly.
SETTINGS = [
    {"name": "static_cache+compile", "generate": {"cache_implementation": "static"}, "budget": True},
    {"name": "dynamic_cache", "generate": {}, "budget": False},
]
# Timed runs of the prefill and of generate; each reports its best, so the two times subtracted
# are the same statistic.
REPEATS = 3


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config", required=True, help="moebench checkpoint dir (config.json only)")
    p.add_argument("--batch", type=int, action="append", help="sequences per generate (repeatable)")
    p.add_argument("--prompt", type=int, default=128, help="prompt tokens per sequence")
    p.add_argument("--tokens", type=int, default=64, help="new tokens per sequence")
    p.add_argument("--out", help="write the results JSON here")
    p.add_argument("--compile-budget", type=float, default=120.0,
                   help="seconds (> 0) a compiled setting's warm-up may take before it is skipped")
    p.add_argument("--no-compile", action="store_true",
                   help="eager only: skip the torch.compile setting (transformers' default path)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    a.batch = a.batch or [1, 8]
    if a.prompt < 1 or a.tokens < 1 or min(a.batch) < 1:
        p.error("--prompt, --tokens and --batch must be >= 1")
    if a.compile_budget <= 0:
        p.error("--compile-budget must be > 0 seconds (use --no-compile to skip compiling)")
    return a


def now():
    torch.cuda.synchronize()
    return time.perf_counter()


class Budget:
    """Raises TimeoutError in the main thread after `seconds` (SIGALRM; compile is Python-heavy,
    so the signal is delivered while it runs). seconds=None disables it."""

    def __init__(self, seconds):
        self.seconds = seconds

    def _fire(self, signum, frame):
        raise TimeoutError(f"warm-up exceeded the {self.seconds:.0f} s compile budget")

    def __enter__(self):
        if self.seconds:
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def build_model(config_dir):
    cfg = AutoConfig.from_pretrained(config_dir, local_files_only=True)
    t0 = time.perf_counter()
    # NOTE: building under the cuda device context allocates and initialises every weight on the
    # GPU (CPU init of 15.7B parameters takes minutes).
    with torch.device("cuda"):
        try:
            model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16,
                                                     attn_implementation="sdpa")
        except TypeError:  # transformers < 4.56 spells it torch_dtype
            model = AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.bfloat16,
                                                     attn_implementation="sdpa")
    model.eval()
    # Never stop early: every sequence decodes exactly --tokens tokens.
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    torch.cuda.synchronize()
    return cfg, model, time.perf_counter() - t0


def implementations(model):
    """The attention and MoE experts code the model runs (transformers may pick another than was
    asked for; _experts_implementation exists from transformers 5, "grouped_mm" by default)."""
    cfg = model.config
    return {"attn_implementation": getattr(cfg, "_attn_implementation", None),
            "experts_implementation": getattr(cfg, "_experts_implementation", None)}


def time_prefill(model, ids, mask):
    # NOTE: logits_to_keep=1 as in generate's prefill: the default (0) computes the logits of
    # every prompt position, a vocab-wide GEMM over the whole prompt that generate never runs.
    with torch.inference_mode():
        t0 = now()
        model(input_ids=ids, attention_mask=mask, use_cache=True, logits_to_keep=1)
        return now() - t0


def run_generate(model, ids, mask, new_tokens, extra):
    with torch.inference_mode():
        t0 = now()
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                             min_new_tokens=new_tokens, do_sample=False, **extra)
        return now() - t0, out.shape[1] - ids.shape[1]


def timed_runs(model, setting, ids, mask, args):
    """The figures of one setting: --tokens decode steps, as moebench model bench times them.
    generate's first new token comes out of its prefill, so it makes tokens + 1 and the time past
    the prefill's is `tokens` decode steps."""
    steps = args.tokens
    prefill_s = min(time_prefill(model, ids, mask) for _ in range(REPEATS))
    gens = [run_generate(model, ids, mask, steps + 1, setting["generate"])
            for _ in range(REPEATS)]
    gen_s = min(t for t, _ in gens)
    bad = [new for _, new in gens if new != steps + 1]
    if bad:
        raise RuntimeError(f"generate produced {bad[0]} new tokens, expected {steps + 1}")
    batch = ids.shape[0]
    decode_s = gen_s - prefill_s
    return {
        "ok": True,
        "prefill_s": prefill_s,
        "generate_s": gen_s,
        "new_tokens": steps + 1,
        "decode_steps": steps,
        "prefill_tokens_per_s": batch * args.prompt / prefill_s,
        "decode_tokens_per_s": batch * steps / decode_s if decode_s > 0 else None,
        "ms_per_step": 1e3 * decode_s / steps,
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
    }


def attempt(model, setting, ids, mask, args):
    """One setting at one batch size: warm-up (bounded when compiled), then timed runs."""
    rec = {"settings": setting["name"], "generate_kwargs": setting["generate"], "ok": False}
    try:
        with Budget(args.compile_budget if setting["budget"] else None):
            t0 = time.perf_counter()
            time_prefill(model, ids, mask)
            run_generate(model, ids, mask, args.tokens + 1, setting["generate"])
            rec["warmup_s"] = time.perf_counter() - t0
        torch.cuda.reset_peak_memory_stats()
        rec.update(timed_runs(model, setting, ids, mask, args))
    except Exception as e:  # noqa: BLE001 - every failure becomes data; the run goes on
        rec["error"] = f"{type(e).__name__}: {e}"
        rec["traceback"] = traceback.format_exc(limit=8)
        if isinstance(e, torch.cuda.OutOfMemoryError) or "out of memory" in str(e):
            torch.cuda.empty_cache()
        if setting["budget"]:
            torch._dynamo.reset()
    return rec


def bench_batch(model, cfg, batch, args):
    row = {"batch": batch, "prompt": args.prompt, "tokens": args.tokens, "attempts": []}
    try:
        g = torch.Generator(device="cuda").manual_seed(args.seed + batch)
        ids = torch.randint(0, cfg.vocab_size, (batch, args.prompt), device="cuda", generator=g)
        mask = torch.ones_like(ids)
        for setting in [x for x in SETTINGS if not (args.no_compile and x["budget"])]:
            rec = attempt(model, setting, ids, mask, args)
            row["attempts"].append(rec)
            status = (f"{rec['decode_tokens_per_s'] or 0:.1f} decode tok/s" if rec["ok"] else
                      rec["error"])
            print(f"  batch {batch} {setting['name']}: {status}", flush=True)
        ok = [r for r in row["attempts"] if r["ok"] and r["decode_tokens_per_s"]]
        if ok:
            best = max(ok, key=lambda r: r["decode_tokens_per_s"])
            row.update({k: best[k] for k in ("settings", "prefill_tokens_per_s",
                                             "decode_tokens_per_s", "ms_per_step",
                                             "peak_memory_gib", "prefill_s", "generate_s")})
        else:
            row["error"] = "no setting ran: " + "; ".join(r.get("error", "?")
                                                          for r in row["attempts"])
    except Exception as e:  # noqa: BLE001
        row["error"] = f"{type(e).__name__}: {e}"
    return row


def write(out, result):
    if out:
        with open(out, "w") as f:
            json.dump(result, f, indent=2)


def main():
    args = parse_args()
    result = {
        "engine": "transformers",
        "config_dir": args.config,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "prompt": args.prompt,
        "tokens": args.tokens,
        "compile_budget_s": None if args.no_compile else args.compile_budget,
        "runs": [],
    }
    if not torch.cuda.is_available():
        result["error"] = "no CUDA device"
        write(args.out, result)
        print(result["error"], file=sys.stderr)
        return 1
    result["device"] = torch.cuda.get_device_name()
    try:
        cfg, model, build_s = build_model(args.config)
    except Exception as e:  # noqa: BLE001
        result["error"] = f"model build failed: {type(e).__name__}: {e}"
        result["traceback"] = traceback.format_exc(limit=8)
        write(args.out, result)
        print(result["error"], file=sys.stderr)
        return 1
    result.update(implementations(model))
    result.update({
        "model_type": cfg.model_type,
        "params": sum(p.numel() for p in model.parameters()),
        "build_s": build_s,
        "weights_memory_gib": torch.cuda.memory_allocated() / 2**30,
    })
    print(f"{cfg.model_type}: {result['params'] / 1e9:.2f}B parameters built in {build_s:.1f} s "
          f"on {result['device']}; attention {result['attn_implementation']}, experts "
          f"{result['experts_implementation']}", flush=True)
    for batch in args.batch:
        result["runs"].append(bench_batch(model, cfg, batch, args))
        write(args.out, result)  # partial results survive a later crash
    print(f"{'batch':>6} {'settings':>22} {'prefill tok/s':>14} {'decode tok/s':>13} "
          f"{'ms/step':>9} {'peak GiB':>9}")
    for r in result["runs"]:
        if "decode_tokens_per_s" in r:
            print(f"{r['batch']:>6} {r['settings']:>22} {r['prefill_tokens_per_s']:>14.0f} "
                  f"{r['decode_tokens_per_s']:>13.1f} {r['ms_per_step']:>9.2f} "
                  f"{r['peak_memory_gib']:>9.1f}")
        else:
            print(f"{r['batch']:>6} error: {r.get('error')}")
    write(args.out, result)
    # NOTE: every batch failing (out of memory, say) is a failed stage, not an empty table.
    return 0 if any("decode_tokens_per_s" in r for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
