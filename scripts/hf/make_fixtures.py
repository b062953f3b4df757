#!/usr/bin/env python3
"""Builds the HF-parity fixtures (tests/fixtures/hf/parity; the loader's are made by
make_loader_fixtures.py): for each family a tiny random model made by transformers and
saved with save_pretrained (f32), three prompts, their last-position logits and 32-token greedy
continuations. moebench's CPU engine is checked against these on every commit
(tests/engine/test_hf_parity.cpp) without needing PyTorch.

Runs where torch + transformers are installed (the GPU machine):
    python3 scripts/hf/make_fixtures.py tests/fixtures/hf/parity
Writes OUT_DIR/<name>/{config.json, model.safetensors, reference.json}.
"""
import json
import math
import os
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

VOCAB = 96
PROMPT_LENGTHS = (5, 17, 40)
GREEDY_TOKENS = 32
MIN_MARGIN = 2e-3

# Tiny shapes that still exercise every feature of each family (GQA, MLA with and without
# q_lora, YaRN, dense first layers, shared experts, groups, biases, q/k norms).
FIXTURES = {
    "deepseek_v3": dict(
        model_type="deepseek_v3", hidden_size=32, intermediate_size=48, moe_intermediate_size=16,
        num_hidden_layers=3, first_k_dense_replace=1, num_attention_heads=4, num_key_value_heads=4,
        n_routed_experts=8, n_shared_experts=1, num_experts_per_tok=2, n_group=4, topk_group=2,
        q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=4, v_head_dim=8,
        routed_scaling_factor=2.5, norm_topk_prob=True, max_position_embeddings=256,
        rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=4.0,
                             original_max_position_embeddings=64, beta_fast=32.0, beta_slow=1.0,
                             mscale=1.0, mscale_all_dim=1.0)),
    "deepseek_v3_noqlora": dict(
        model_type="deepseek_v3", hidden_size=32, intermediate_size=48, moe_intermediate_size=16,
        num_hidden_layers=2, first_k_dense_replace=0, num_attention_heads=2, num_key_value_heads=2,
        n_routed_experts=8, n_shared_experts=2, num_experts_per_tok=3, n_group=1, topk_group=1,
        q_lora_rank=None, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=4,
        routed_scaling_factor=1.5, norm_topk_prob=False, max_position_embeddings=256,
        rope_parameters=dict(rope_type="default", rope_theta=10000.0)),
    "deepseek_v2": dict(
        model_type="deepseek_v2", hidden_size=32, intermediate_size=48, moe_intermediate_size=16,
        num_hidden_layers=3, first_k_dense_replace=1, num_attention_heads=4, num_key_value_heads=4,
        n_routed_experts=8, n_shared_experts=2, num_experts_per_tok=3, topk_method="greedy",
        n_group=1, topk_group=1, q_lora_rank=None, kv_lora_rank=16, qk_nope_head_dim=8,
        qk_rope_head_dim=4, v_head_dim=8, routed_scaling_factor=1.0, norm_topk_prob=False,
        max_position_embeddings=256,
        rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=8.0,
                             original_max_position_embeddings=32, beta_fast=32.0, beta_slow=1.0,
                             mscale=0.707, mscale_all_dim=0.707)),
    "deepseek_v2_group": dict(
        model_type="deepseek_v2", hidden_size=32, intermediate_size=48, moe_intermediate_size=16,
        num_hidden_layers=2, first_k_dense_replace=0, num_attention_heads=2, num_key_value_heads=2,
        n_routed_experts=8, n_shared_experts=1, num_experts_per_tok=2,
        topk_method="group_limited_greedy", n_group=4, topk_group=2, q_lora_rank=12,
        kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=4, v_head_dim=8,
        routed_scaling_factor=2.0, max_position_embeddings=256,
        rope_parameters=dict(rope_type="default", rope_theta=10000.0)),
    "qwen3_moe": dict(
        model_type="qwen3_moe", hidden_size=32, intermediate_size=48, moe_intermediate_size=16,
        num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=12,
        num_experts=8, num_experts_per_tok=2, norm_topk_prob=True, decoder_sparse_step=1,
        mlp_only_layers=[1], max_position_embeddings=256,
        rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
    "qwen2_moe": dict(
        model_type="qwen2_moe", hidden_size=32, intermediate_size=48, moe_intermediate_size=16,
        shared_expert_intermediate_size=40, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=2, num_experts=8, num_experts_per_tok=2, norm_topk_prob=False,
        decoder_sparse_step=1, mlp_only_layers=[0], max_position_embeddings=256,
        rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
    "mixtral": dict(
        model_type="mixtral", hidden_size=32, intermediate_size=40, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, num_local_experts=6, num_experts_per_tok=2,
        max_position_embeddings=256,
        rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
    "olmoe": dict(
        model_type="olmoe", hidden_size=32, intermediate_size=16, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, num_experts=8, num_experts_per_tok=3,
        norm_topk_prob=False, max_position_embeddings=256,
        rope_parameters=dict(rope_type="default", rope_theta=10000.0)),
}


def randomize(model, gen):
    """Weights with O(1) activations so logits are well separated (HF's std 0.02 init gives
    near-uniform logits whose greedy argmax would hinge on rounding)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen))
            elif name.endswith("e_score_correction_bias"):
                # Positive biases, as trained V3 routers mostly have. (transformers 5.17 masks
                # dropped groups with -inf like DeepSeek's reference; 4.x used 0.0, which
                # differs from it only when biased scores go negative.)
                p.copy_(0.1 * torch.rand(p.shape, generator=gen))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() >= 2:
                fan_in = p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
        for buf_name, buf in model.named_buffers():
            if buf_name.endswith("e_score_correction_bias"):
                buf.copy_(0.1 * torch.rand(buf.shape, generator=gen))


def greedy(model, ids, n):
    """Plain greedy decoding, recomputing the full prefix each step (no cache)."""
    seq = list(ids)
    margins = []
    for _ in range(n):
        logits = model(torch.tensor([seq])).logits[0, -1].double()
        top2 = torch.topk(logits, 2)
        margins.append(float(top2.values[0] - top2.values[1]))
        seq.append(int(top2.indices[0]))
    return seq[len(ids):], min(margins)


def build(name, spec, out_dir):
    spec = dict(spec)
    model_type = spec.pop("model_type")
    config = AutoConfig.for_model(model_type, vocab_size=VOCAB, bos_token_id=0, eos_token_id=1,
                                  pad_token_id=None, tie_word_embeddings=False, **spec)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32,
                                             attn_implementation="eager",
                                             experts_implementation="eager")
    model.eval()
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    randomize(model, gen)
    target = os.path.join(out_dir, name)
    model.save_pretrained(target, safe_serialization=True)
    for extra in ("generation_config.json",):
        path = os.path.join(target, extra)
        if os.path.exists(path):
            os.remove(path)

    model64 = AutoModelForCausalLM.from_pretrained(target, dtype=torch.float64,
                                                   attn_implementation="eager",
                                                   experts_implementation="eager")
    model64.eval()
    prompts = []
    with torch.no_grad():
        for i, length in enumerate(PROMPT_LENGTHS):
            # NOTE: prompts whose greedy path has a near-tie (top-2 logits closer than
            # MIN_MARGIN, ~1000x the f32 rounding of these logits) are redrawn: at a tie the
            # argmax is decided by rounding, not by the implementation under test.
            for _ in range(200):
                ids = torch.randint(2, VOCAB, (length,), generator=gen).tolist()
                cont, margin = greedy(model, ids, GREEDY_TOKENS)
                if margin >= MIN_MARGIN:
                    break
            else:
                raise SystemExit(f"{name}: no prompt of length {length} without a near-tie")
            logits = model(torch.tensor([ids])).logits[0, -1]
            logits64 = model64(torch.tensor([ids])).logits[0, -1]
            hf_err = float((logits.double() - logits64).abs().max() / logits64.abs().max())
            prompts.append(dict(input_ids=ids, last_logits=[float(x) for x in logits],
                                greedy=cont, greedy_min_margin=margin,
                                hf_f32_vs_f64_rel_err=hf_err))
    ref = dict(name=name, model_type=model_type, transformers_version=transformers.__version__,
               torch_version=torch.__version__, vocab_size=VOCAB, prompts=prompts)
    with open(os.path.join(target, "reference.json"), "w") as f:
        json.dump(ref, f)
    size = sum(os.path.getsize(os.path.join(target, x)) for x in os.listdir(target))
    print(f"{name}: {size / 1024:.0f} KiB, f32-vs-f64 rel err "
          f"{max(p['hf_f32_vs_f64_rel_err'] for p in prompts):.2e}, min greedy margin "
          f"{min(p['greedy_min_margin'] for p in prompts):.3f}")


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(4)
    for name, spec in FIXTURES.items():
        build(name, spec, out_dir)


if __name__ == "__main__":
    main()
