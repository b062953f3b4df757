// A family's tiny checkpoint in bf16 (`model init --preset tiny`), so the CPU and CUDA engines hold
// the same weight values, for the [gpu] engine tests.
#pragma once

#include <filesystem>
#include <string>

#include "backends/builtin/checkpoint/model_init.h"
#include "tests/runner/cli_harness.h"

namespace moebench::testing {

// all_experts: every token routes to every expert (top_k = experts, all groups kept), so no
// expert choice can flip between two engines and only arithmetic differences remain.
inline std::filesystem::path tiny_bf16(const std::string& family, bool all_experts = false) {
  ModelInitOptions o;
  o.family = model_family_parse(family, "test");
  o.preset = "tiny";
  o.dtype = "bf16";
  if (all_experts) {
    o.overrides["num_experts_per_tok"] = 8;  // tiny presets have 8 experts
    if (family == "deepseek_v3") o.overrides["topk_group"] = 4;
  }
  o.out_dir =
      temp_dir(std::string("cuda-engine-") + (all_experts ? "all-" : "") + family) / "model";
  o.training_text_dir = std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  o.force = true;
  model_init_write(o);
  return o.out_dir;
}

}  // namespace moebench::testing
