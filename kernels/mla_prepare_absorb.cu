// cuda_mla_prepare_absorb: MLA's input preparation and the decode rows' q absorb (a skinny GEMM
// over the (k, n) W_UK) in one launch. Grid row 0 holds the prepare's token blocks
// (mla_prepare_device.cuh's mla_prepare_token, in the GEMM's 256 threads: its norms then take
// their lanes through shared memory); rows 1 .. batch are the GEMM's batch entries, a block per
// column tile (gemm_skinny_kn.cuh's kn_block). Each part runs the code of its own launch: the
// same bits.
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

// Grid row 0: the prepare's tokens (first, so they do not wait behind every GEMM block); rows
// 1 .. batch: the GEMM's batch entries, a block per column tile.
template <int kM, bool kVecB>
__global__ void __launch_bounds__(kThreads)
    mla_prepare_absorb_kernel(SkinnyTile absorb, MlaPrepareArgs prep) {
  __shared__ __align__(16) unsigned char raw[kSharedBytes<kM>];
  if (blockIdx.y > 0) {
    if (blockIdx.x >= kn_col_tiles(absorb.n)) return;  // grid.x also covers the tokens
    kn_block<kM, bf16_bits, kVecB>(absorb, blockIdx.y - 1, blockIdx.x,
                                   *reinterpret_cast<KnShared<kM>*>(raw));
    return;
  }
  if (blockIdx.x >= prep.n_tokens) return;
  pdl_wait();
  pdl_trigger();
  float* stage = reinterpret_cast<float*>(raw);
  mla_prepare_token(prep, blockIdx.x, stage, stage + kMlaStageFloats);
}

// Whether p lies in [base, base + n).
bool inside(const bf16_bits* p, const bf16_bits* base, int64_t n) {
  return base != nullptr && p >= base && p < base + n;
}

// Refuses an absorb whose reads or writes could meet the prepare's: reading q's rows, it must read
// each head's columns before the rotated ones; writing beside q_pe_out, each entry's columns
// before q_pe's, in the same row and entry layout.
void no_overlap_check(const MlaPrepareArgs& p, const GemmArgs& g, const char* fn) {
  if (p.q != nullptr && inside(g.a, p.q, p.n_tokens * p.q_stride)) {
    launch_require(
        g.a == p.q && g.lda == p.q_stride && g.stride_a == p.head_stride && g.k <= p.rot_offset, fn,
        "absorb.a reads q: it must start at q with lda q_stride, stride_a "
        "head_stride and k <= rot_offset (the rotated columns), got lda ",
        g.lda, " stride_a ", g.stride_a, " k ", g.k);
  }
  const auto* c = static_cast<const bf16_bits*>(g.c);
  if (p.q_pe_out != nullptr && p.n_pe_rows > 0 && inside(p.q_pe_out, c, g.m * g.ldc)) {
    const int64_t off = p.q_pe_out - c;
    launch_require(off >= g.n && off + p.rope_dim <= g.stride_c &&
                       p.q_pe_head_stride == g.stride_c && p.q_pe_token_stride == g.ldc,
                   fn,
                   "q_pe_out lies in absorb.c: it must sit past each entry's n columns, "
                   "with head stride stride_c and token stride ldc, got offset ",
                   off);
  }
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
  launch_require(!absorb.b_transposed, fn, "absorb.b_transposed: the absorb's B must be (k, n)");
  launch_require(!absorb.c_f32, fn, "absorb.c_f32: the absorb writes a bf16 c");
  launch_require(absorb.c_argmax == nullptr, fn, "absorb.c_argmax is not served here");
  launch_require(absorb.batch < kGemmSkinnyMaxBatch, fn, "absorb.batch must be < ",
                 kGemmSkinnyMaxBatch, " (the prepare takes a grid row), got ", absorb.batch);
  no_overlap_check(prep, absorb, fn);
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
      pdl_launch(mla_prepare_absorb_kernel<kM, true>, grid, dim3(kThreads), 0, stream, t, prep);
    } else {
      pdl_launch(mla_prepare_absorb_kernel<kM, false>, grid, dim3(kThreads), 0, stream, t, prep);
    }
  });
  KERNEL_CHECK();
}

}  // namespace moebench
