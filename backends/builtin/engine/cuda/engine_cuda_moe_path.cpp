// The CUDA engine's expert path per MoE step and the permuted rows it stages.
#include "backends/builtin/engine/cuda/engine_cuda_moe_path.h"

#include <algorithm>

namespace moebench {

int64_t moe_device_rows(const MoePathRule& r) {
  const int64_t batch = r.wgmma ? std::max(r.max_batch, kWgmmaMinTokens - 1) : r.max_batch;
  return batch * r.top_k;
}

MoePath moe_path(const MoePathRule& r, int64_t tokens) {
  if (r.wgmma && tokens >= kWgmmaMinTokens) return MoePath::wgmma;
  return tokens * r.top_k <= moe_device_rows(r) ? MoePath::device : MoePath::host;
}

MoeStagedRows moe_step_rows(const MoePathRule& r, int64_t tokens) {
  const int64_t rows = tokens * r.top_k;
  switch (moe_path(r, tokens)) {
    case MoePath::wgmma:
      return {};
    case MoePath::device:
      return {r.fused ? 0 : rows, rows};
    case MoePath::host:
      break;
  }
  return {rows, rows};
}

MoeStagedRows moe_workspace_rows(const MoePathRule& r, int64_t max_tokens) {
  // NOTE: wgmma: steps below kWgmmaMinTokens run on the device path, fused (moe_device_rows).
  if (r.wgmma) return {0, std::min(max_tokens, kWgmmaMinTokens - 1) * r.top_k};
  return {max_tokens * r.top_k, max_tokens * r.top_k};
}

}  // namespace moebench
