import torch, json, os, sys
from transformers import AutoConfig, AutoModelForCausalLM
from safetensors import safe_open
out = os.environ["OUT"]
cfgs = {
 "mixtral": dict(model_type="mixtral", vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1, num_local_experts=4, num_experts_per_tok=2),
 "deepseek_v3": dict(model_type="deepseek_v3", vocab_size=64, hidden_size=16, intermediate_size=32, moe_intermediate_size=8, num_hidden_layers=2, first_k_dense_replace=1, num_attention_heads=2, num_key_value_heads=2, n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2, n_group=2, topk_group=1, q_lora_rank=8, kv_lora_rank=8, qk_nope_head_dim=4, qk_rope_head_dim=4, v_head_dim=4),
}
for name, c in cfgs.items():
    mt = c.pop("model_type")
    cfg = AutoConfig.for_model(mt, **c)
    m = AutoModelForCausalLM.from_config(cfg)
    d = f"{out}/{name}"
    m.save_pretrained(d)
    with safe_open(f"{d}/model.safetensors", "pt") as f:
        print(name, sorted(f.keys()))
    print(open(f"{d}/config.json").read())
