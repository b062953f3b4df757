// Which expert path a MoE step of the CUDA engine takes, and the permuted rows it stages: one rule
// for the step (engine_cuda_moe.cpp) and for the workspace sized ahead of it (engine_cuda.cpp).
// Host only, no CUDA.
#pragma once

#include <cstdint>

namespace moebench {

// kernels=wgmma runs the routed experts on the wgmma grouped GEMM from this many tokens a step.
// NOTE: below it an expert holds ~top_k * tokens / experts rows (one or two at V2-Lite's 64
// experts): the 16-row tensor-core and CUDA-core kernels waste less of each tile.
constexpr int64_t kWgmmaMinTokens = 16;

enum class MoePath {
  wgmma,   // cuda_grouped_gemm_wgmma: gathers h's rows as it loads, SwiGLU in its epilogue
  device,  // device offsets (graph-capturable): cuda_grouped_gemm or its 16-row tensor-core tiles
  host,    // the experts' row counts copied to the host, a cuBLAS GEMM per expert
};

// What decides the path: the engine's kernel set and sizes.
struct MoePathRule {
  bool fused = false;  // kernels fused or wgmma
  bool wgmma = false;  // kernels wgmma
  int64_t max_batch = 1;
  int top_k = 1;
};

// The routed rows up to which a step runs on the device-offset kernels: a decode step of up to
// max_batch tokens (no host sync in a captured graph); under wgmma also every step below
// kWgmmaMinTokens, so no wgmma step stages gathered rows.
int64_t moe_device_rows(const MoePathRule& r);

// The path of a step of `tokens` rows.
MoePath moe_path(const MoePathRule& r, int64_t tokens);

// Permuted rows of hidden width (x_perm, gathered by cuda_moe_permute) and of [gate | up] width
// (gu_perm) that a step or a workspace holds.
struct MoeStagedRows {
  int64_t gathered = 0;
  int64_t staged = 0;
};

// What a step of `tokens` rows writes: the wgmma path neither; the device path with the fused
// kernels gathers as the up GEMM loads (no x_perm).
MoeStagedRows moe_step_rows(const MoePathRule& r, int64_t tokens);

// What a workspace for steps of up to max_tokens rows holds: at least moe_step_rows of each.
MoeStagedRows moe_workspace_rows(const MoePathRule& r, int64_t max_tokens);

}  // namespace moebench
