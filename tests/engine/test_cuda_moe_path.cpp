// The CUDA engine's MoE path rule against the workspace it sizes: every step shape fits, no
// decode step of a captured graph takes the host path (a host sync), and kernels=wgmma never
// stages gathered rows (its workspace holds none).
#include <vector>

#include "backends/builtin/engine/cuda/engine_cuda_moe_path.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

struct Set {
  const char* name;
  bool fused, wgmma;
};
const Set kSets[] = {{"separate", false, false}, {"fused", true, false}, {"wgmma", true, true}};

}  // namespace

TEST_CASE("cuda moe path: every step's staged rows fit the workspace", "[engine]") {
  for (const Set& set : kSets) {
    for (int64_t max_batch : {1, 2, 4, 8, 14, 15, 16, 64, 256}) {
      for (int top_k : {1, 2, 6, 8}) {
        for (int64_t max_tokens : {1, 8, 15, 16, 17, 64, 512}) {
          if (max_tokens < max_batch) continue;  // the engine refuses max_batch > max_step_tokens
          const MoePathRule r{set.fused, set.wgmma, max_batch, top_k};
          const MoeStagedRows ws = moe_workspace_rows(r, max_tokens);
          for (int64_t t = 1; t <= max_tokens; ++t) {
            INFO(set.name << " max_batch " << max_batch << " top_k " << top_k << " max_tokens "
                          << max_tokens << " tokens " << t);
            const MoeStagedRows need = moe_step_rows(r, t);
            REQUIRE(need.gathered <= ws.gathered);
            REQUIRE(need.staged <= ws.staged);
            if (t <= max_batch) REQUIRE(moe_path(r, t) != MoePath::host);
            if (set.wgmma) REQUIRE(need.gathered == 0);
          }
        }
      }
    }
  }
}

TEST_CASE("cuda moe path: which kernels a step runs", "[engine]") {
  const MoePathRule separate{false, false, 8, 6}, fused{true, false, 8, 6}, wgmma{true, true, 8, 6};
  CHECK(moe_path(separate, 8) == MoePath::device);
  CHECK(moe_path(separate, 9) == MoePath::host);
  CHECK(moe_step_rows(separate, 8).gathered == 48);
  CHECK(moe_step_rows(fused, 8).gathered == 0);  // the up GEMM gathers as it loads
  CHECK(moe_step_rows(fused, 8).staged == 48);
  CHECK(moe_step_rows(fused, 9).gathered == 54);
  // wgmma from kWgmmaMinTokens; below it the device path even past max_batch (a 12-token prompt
  // of a max_batch 8 engine), where the host path would gather into an x_perm wgmma never holds.
  CHECK(moe_path(wgmma, 12) == MoePath::device);
  CHECK(moe_path(wgmma, kWgmmaMinTokens) == MoePath::wgmma);
  CHECK(moe_path(wgmma, 4096) == MoePath::wgmma);
  CHECK(moe_step_rows(wgmma, 4096).staged == 0);  // SwiGLU in the epilogue: no [gate | up] rows
  CHECK(moe_workspace_rows(wgmma, 4096).staged == (kWgmmaMinTokens - 1) * 6);
  CHECK(moe_device_rows(MoePathRule{true, true, 64, 6}) == 64 * 6);
}
