// The skinny GEMM over a (k, n) B (cuda_gemm_skinny with b_transposed false; MLA's per-head q
// absorb at decode): a block per (column tile, batch entry) runs gemm_skinny_kn.cuh's kn_block.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/gemm.h"
#include "kernels/gemm_skinny.cuh"
#include "kernels/gemm_skinny_kn.cuh"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

using namespace skinny_kn;

// ----------------------------------------------------------------------------
// GPU kernel

// grid.x = ceil(n / kCols) column tiles, grid.y = batch entries.
template <int kM, typename OutT, bool kVecB>
__global__ void __launch_bounds__(kThreads) gemm_skinny_kn_kernel(SkinnyTile batched) {
  __shared__ __align__(16) KnShared<kM> sh;
  kn_block<kM, OutT, kVecB>(batched, blockIdx.y, blockIdx.x, sh);
}

// ----------------------------------------------------------------------------
// Launchers

template <typename OutT, bool kVecB>
void gemm_skinny_kn_launch_t(const SkinnyTile& t, int batch, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(kn_col_tiles(t.n)), static_cast<unsigned>(batch));
  const dim3 block(kThreads);
  skinny_rows_dispatch(t.m, [&](auto r) {
    constexpr int kM = decltype(r)::value;
    pdl_launch(gemm_skinny_kn_kernel<kM, OutT, kVecB>, grid, block, 0, stream, t);
  });
  KERNEL_CHECK();
}

}  // namespace

void gemm_skinny_kn_launch(const GemmArgs& g, cudaStream_t stream) {
  const SkinnyTile t = skinny_tile(g, stream);
  // NOTE: A goes through shared memory with element loads, so only B's layout picks the path.
  const bool vec = skinny_b_vec(g);
  if (g.c_f32) {
    vec ? gemm_skinny_kn_launch_t<float, true>(t, g.batch, stream)
        : gemm_skinny_kn_launch_t<float, false>(t, g.batch, stream);
  } else {
    vec ? gemm_skinny_kn_launch_t<bf16_bits, true>(t, g.batch, stream)
        : gemm_skinny_kn_launch_t<bf16_bits, false>(t, g.batch, stream);
  }
}

}  // namespace moebench
