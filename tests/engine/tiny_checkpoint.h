// A family's tiny checkpoint in bf16 (`model init --preset tiny`), so the CPU and CUDA engines hold
// the same weight values, and the CUDA engine options, for the [gpu] engine tests.
#pragma once

#include <filesystem>
#include <string>

#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/engine/cuda/engine_cuda.h"
#include "tests/runner/cli_harness.h"

namespace moebench::testing {

// all_experts: every token routes to every expert (top_k = experts, all groups kept), so no
// expert choice can flip between two engines and only arithmetic differences remain. extra: more
// config.json overrides, under a directory of its own named by tag.
inline std::filesystem::path tiny_bf16(const std::string& family, bool all_experts = false,
                                       const nlohmann::json& extra = nlohmann::json::object(),
                                       const std::string& tag = "") {
  ModelInitOptions o;
  o.family = model_family_parse(family, "test");
  o.preset = "tiny";
  o.dtype = "bf16";
  if (all_experts) {
    o.overrides["num_experts_per_tok"] = 8;  // tiny presets have 8 experts
    if (family == "deepseek_v3") o.overrides["topk_group"] = 4;
  }
  o.overrides.update(extra);
  o.out_dir = temp_dir(std::string("cuda-engine-") + (all_experts ? "all-" : "") + family +
                       (tag.empty() ? "" : "-" + tag)) /
              "model";
  o.training_text_dir = std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  o.force = true;
  model_init_write(o);
  return o.out_dir;
}

// The engine tests' CUDA engine: 16-token pages (a 128-token prompt spans 8), a small KV pool,
// steps of max_step_tokens (200: four 128-token prompts run as 3 steps, one prompt split).
inline CudaEngineOptions tiny_cuda_options(int max_batch = 8, int max_step_tokens = 200,
                                           int max_context = 1024,
                                           KernelSet kernels = KernelSet::separate) {
  CudaEngineOptions opt;
  opt.page_size = 16;
  opt.max_batch = max_batch;
  opt.max_step_tokens = max_step_tokens;
  opt.max_context = max_context;
  opt.kv_memory_fraction = 0.05;
  opt.kernels = kernels;
  return opt;
}

}  // namespace moebench::testing
