// cuda_mla_prepare_absorb: MLA's input preparation and the decode rows' q absorb (a skinny GEMM
// over the (k, n) W_UK) in one launch. Grid rows [0, batch) are the GEMM's batch entries, a block
// per column tile (gemm_skinny_kn.cuh's kn_block); the last row holds the prepare's token blocks
// (mla_prepare_device.cuh's mla_prepare_token, in the GEMM's 256 threads: its norms then take
// their lanes through shared memory). Each part runs the code of its own launch: the same bits.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/gemm.h"
#include "kernels/gemm_skinny.cuh"
#include "kernels/gemm_skinny_kn.cuh"
#include "kernels/launch_check.h"
#include "kernels/mla_prepare.h"
#include "kernels/mla_prepare_device.cuh"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

using namespace skinny_kn;

// The block's shared memory: the GEMM's, or the prepare's stage and norm lanes.
template <int kM>
constexpr size_t kSharedBytes = std::max(sizeof(KnShared<kM>),
                                         sizeof(float) * (kMlaStageFloats + kMlaNormLanes));

// ----------------------------------------------------------------------------
// GPU kernel

template <int kM, bool kVecB>
__global__ void __launch_bounds__(kThreads)
    mla_prepare_absorb_kernel(SkinnyTile absorb, int batch, MlaPrepareArgs prep) {
  __shared__ __align__(16) unsigned char raw[kSharedBytes<kM>];
  if (static_cast<int>(blockIdx.y) < batch) {
    if (blockIdx.x >= kn_col_tiles(absorb.n)) return;  // grid.x also covers the tokens
    kn_block<kM, bf16_bits, kVecB>(absorb, blockIdx.y, blockIdx.x,
                                   *reinterpret_cast<KnShared<kM>*>(raw));
    return;
  }
  if (blockIdx.x >= prep.n_tokens) return;
  pdl_wait();
  pdl_trigger();
  float* stage = reinterpret_cast<float*>(raw);
  mla_prepare_token(prep, blockIdx.x, stage, stage + kMlaStageFloats);
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_mla_prepare_absorb(const MlaPrepareArgs& prep, const GemmArgs& absorb,
                             cudaStream_t stream) {
  const char* fn = "cuda_mla_prepare_absorb";
  mla_prepare_args_check(prep, fn);
  gemm_args_check(absorb, fn, true);
  gemm_skinny_check(absorb, fn);
  launch_require(!absorb.b_transposed && !absorb.c_f32 && absorb.c_argmax == nullptr, fn,
                 "absorb must be a (k, n) B into a bf16 c without c_argmax, got b_transposed ",
                 absorb.b_transposed, " c_f32 ", absorb.c_f32);
  launch_require(absorb.batch < kGemmSkinnyMaxBatch, fn, "absorb.batch must be < ",
                 kGemmSkinnyMaxBatch, " (the prepare takes a grid row), got ", absorb.batch);
  if (absorb.m == 0) {
    cuda_mla_prepare(prep, stream);
    return;
  }
  const SkinnyTile t = skinny_tile(absorb, stream);
  const bool vec = skinny_b_vec(absorb);
  const dim3 grid(static_cast<unsigned>(std::max<int64_t>(kn_col_tiles(t.n), prep.n_tokens)),
                  static_cast<unsigned>(absorb.batch + 1));
  skinny_rows_dispatch(t.m, [&](auto r) {
    constexpr int kM = decltype(r)::value;
    if (vec) {
      pdl_launch(mla_prepare_absorb_kernel<kM, true>, grid, dim3(kThreads), 0, stream, t,
                 absorb.batch, prep);
    } else {
      pdl_launch(mla_prepare_absorb_kernel<kM, false>, grid, dim3(kThreads), 0, stream, t,
                 absorb.batch, prep);
    }
  });
  KERNEL_CHECK();
}

}  // namespace moebench
