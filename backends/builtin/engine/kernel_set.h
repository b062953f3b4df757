// Which launches the CUDA engine runs: the separate kernels, the fused ones, or the fused ones with
// the routed experts on Hopper's wgmma grouped GEMM. One name for the flags (--kernels,
// --backend-opt kernels=), the engine options and the records.
#pragma once

#include <optional>
#include <string_view>

namespace moebench {

enum class KernelSet {
  separate,  // one kernel per operation: the reference launch sequence
  fused,     // the fused launches, the same bits as separate by construction
  // fused, plus the kernels that sum in another order: from 16 tokens a step (batch decode,
  // prefill) the routed experts on cuda_grouped_gemm_wgmma with the SwiGLU in its epilogue (no
  // host sync per MoE layer in prefill) and the shared experts as its dense GEMM in the same two
  // launches, the router GEMV and its routing in one launch at any
  // batch (the skinny tile where cuBLAS ran twice), up to 4 the MLA absorb GEMMs on the skinny
  // kernels instead of cuBLAS (the q absorb in the input preparation's launch), prefill attention
  // on the FlashAttention-3 kernel (cuda_prefill_attention_fa3: TMA, warpgroup MMA, ping-pong)
  // and MLA decode attention on tensor cores (DecodeAttentionArgs::tensor_cores). Needs an sm_90a
  // build on a Hopper GPU. Not bit-equal to the others, within the engine's bf16 tolerance.
  wgmma,
};

// "separate", "fused", "wgmma".
const char* kernel_set_name(KernelSet k);

// The set a flag value names; nullopt for anything else.
std::optional<KernelSet> kernel_set_parse(std::string_view name);

// The names kernel_set_parse takes, for messages: "separate, fused or wgmma".
constexpr const char* kKernelSetChoices = "separate, fused or wgmma";

}  // namespace moebench
