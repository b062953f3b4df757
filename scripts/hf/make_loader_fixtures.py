#!/usr/bin/env python3
"""Makes tests/fixtures/hf/loader: tiny random checkpoints of every family written by
transformers' save_pretrained (5.17 made the committed ones), one of them sharded, so the C++
loader is checked against real HF output on every commit without PyTorch.

    python3 scripts/hf/make_loader_fixtures.py tests/fixtures/hf/loader
"""
import os
import sys
import traceback

import torch
from transformers import AutoConfig, AutoModelForCausalLM

V = 64
SPECS = {
    "deepseek_v3": dict(model_type="deepseek_v3", hidden_size=16, intermediate_size=24, moe_intermediate_size=8,
        num_hidden_layers=2, first_k_dense_replace=1, num_attention_heads=2, num_key_value_heads=2,
        n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2, n_group=2, topk_group=1,
        q_lora_rank=8, kv_lora_rank=8, qk_nope_head_dim=4, qk_rope_head_dim=4, v_head_dim=4,
        max_position_embeddings=128, rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=4.0,
        original_max_position_embeddings=32, beta_fast=32.0, beta_slow=1.0, mscale=1.0, mscale_all_dim=1.0)),
    "deepseek_v2": dict(model_type="deepseek_v2", hidden_size=16, intermediate_size=24, moe_intermediate_size=8,
        num_hidden_layers=2, first_k_dense_replace=1, num_attention_heads=2, num_key_value_heads=2,
        n_routed_experts=4, n_shared_experts=2, num_experts_per_tok=2, topk_method="group_limited_greedy",
        n_group=2, topk_group=1, q_lora_rank=None, kv_lora_rank=8, qk_nope_head_dim=4, qk_rope_head_dim=4,
        v_head_dim=4, max_position_embeddings=128),
    "qwen3_moe": dict(model_type="qwen3_moe", hidden_size=16, intermediate_size=24, moe_intermediate_size=8,
        num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=12, num_experts=4,
        num_experts_per_tok=2, mlp_only_layers=[1], attention_bias=True, max_position_embeddings=128),
    "qwen2_moe": dict(model_type="qwen2_moe", hidden_size=16, intermediate_size=24, moe_intermediate_size=8,
        shared_expert_intermediate_size=20, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
        num_experts=4, num_experts_per_tok=2, decoder_sparse_step=1, mlp_only_layers=[0],
        max_position_embeddings=128),
    "mixtral": dict(model_type="mixtral", hidden_size=16, intermediate_size=24, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, num_local_experts=4, num_experts_per_tok=2,
        max_position_embeddings=128),
    "olmoe": dict(model_type="olmoe", hidden_size=16, intermediate_size=8, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, num_experts=4, num_experts_per_tok=2,
        max_position_embeddings=128),
}
hf = sys.argv[1]
for name, spec in SPECS.items():
    try:
        spec = dict(spec)
        mt = spec.pop("model_type")
        cfg = AutoConfig.for_model(mt, vocab_size=V, bos_token_id=0, eos_token_id=1, pad_token_id=None,
                                   tie_word_embeddings=False, **spec)
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
        with torch.no_grad():
            for n, b in model.named_buffers():
                if n.endswith("e_score_correction_bias"):
                    b.copy_(0.01 * torch.rand(b.shape))
        model.save_pretrained(os.path.join(hf, name))
        if name == "mixtral":
            model.save_pretrained(os.path.join(hf, "mixtral_sharded"), max_shard_size="20KB")
            os.remove(os.path.join(hf, "mixtral_sharded", "generation_config.json"))
        os.remove(os.path.join(hf, name, "generation_config.json"))
    except Exception:
        traceback.print_exc()
