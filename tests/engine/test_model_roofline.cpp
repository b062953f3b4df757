// Roofline arithmetic against REFERENCE.md's DeepSeek-V2-Lite figures: 2.45B parameters read per
// token at batch 1 (4.9 GB in bf16), every expert touched at batch 64, and prefill FLOPs.
#include <cmath>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/engine/model_roofline.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

ModelConfig v2_lite() {
  return model_config_from_json(model_preset_config(ModelFamily::deepseek_v2, "v2-lite"),
                                "v2-lite");
}

}  // namespace

TEST_CASE("decode bytes of the V2-Lite shape match REFERENCE.md", "[engine]") {
  const ModelConfig c = v2_lite();
  const DecodeBytes b1 = decode_step_bytes(c, 1, 0);
  CHECK(std::abs(b1.experts_touched - 6.0) < 1e-9);
  // 2.45B parameters read per token (REFERENCE.md), in bf16.
  CHECK(b1.weights > 4.8e9);
  CHECK(b1.weights < 5.0e9);
  CHECK(b1.kv == 0);
  // Batch 64 touches nearly all 64 experts: close to the whole 31.4 GB model.
  const DecodeBytes b64 = decode_step_bytes(c, 64, 512);
  CHECK(b64.experts_touched > 63.8);  // 64 (1 - (58/64)^64) = 63.88
  CHECK(b64.weights > 30.5e9);
  CHECK(b64.weights < 31.5e9);
  // Absorbed MLA cache: 576 bf16 values per token per layer.
  CHECK(b64.kv == 2.0 * 64 * 512 * 27 * 576);
}

TEST_CASE("prefill FLOPs count projections, active experts and causal attention", "[engine]") {
  const ModelConfig c = v2_lite();
  const double one = prefill_flops(c, 1);
  const double two = prefill_flops(c, 2);
  // f(T) = 2 P T + A T (T + 1) / 2 + 2 V H with A the FLOPs per attended key: f(1) has one
  // key, f(2) three, so f(2) - f(1) = 2 P + 2 A = (f(1) - 2 V H - A) + 2 A.
  const double A = 2.0 * 16 * (192 + 128) * 27;
  const double lm_head = 2.0 * c.vocab_size * c.hidden_size;
  CHECK(std::abs((two - one) - ((one - lm_head - A) + 2 * A)) < 1e-6 * one);
  // ~2.4B active parameters less the lm_head: about 4.5 GFLOP per token.
  CHECK(one > 4.0e9);
  CHECK(one < 5.5e9);
}
