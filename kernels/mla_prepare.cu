// cuda_mla_prepare: MLA's latent norms, k_pe rotation + cache append and the queries' rotation in
// one launch, a block per token, on the same device maths as the separate kernels
// (rmsnorm_device.cuh, rope_device.cuh), so the values match them bit for bit; and
// cuda_mla_prepare_separate, those separate launches.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/engine_glue.h"
#include "kernels/launch_check.h"
#include "kernels/mla_prepare.h"
#include "kernels/mla_prepare_device.cuh"
#include "kernels/ops.h"
#include "kernels/pdl.cuh"
#include "kernels/rmsnorm_device.cuh"
#include "kernels/rope_device.cuh"

namespace moebench {
namespace {

constexpr int kMinThreads = 128;

// ----------------------------------------------------------------------------
// GPU kernel

// A block per token, with at least every norm's lanes (prepare_threads).
__global__ void mla_prepare_kernel(MlaPrepareArgs a) {
  __shared__ float stage[kMlaStageFloats];
  pdl_wait();
  pdl_trigger();
  mla_prepare_token(a, blockIdx.x, stage, nullptr);
}

// ----------------------------------------------------------------------------
// Launcher

// At least as many threads as each norm's partial-sum layout (row_rms_inv needs them all).
int prepare_threads(const MlaPrepareArgs& a) {
  int threads = kMinThreads;
  if (a.q_latent != nullptr) threads = std::max(threads, rmsnorm_row_threads(a.q_lora));
  if (a.kv != nullptr) threads = std::max(threads, rmsnorm_row_threads(a.lora));
  return threads;
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_mla_prepare(const MlaPrepareArgs& args, cudaStream_t stream) {
  mla_prepare_args_check(args, "cuda_mla_prepare");
  if (args.n_tokens == 0) return;
  pdl_launch(mla_prepare_kernel, dim3(static_cast<unsigned>(args.n_tokens)),
             dim3(prepare_threads(args)), 0, stream, args);
}

void cuda_mla_prepare_separate(const MlaPrepareArgs& a, cudaStream_t stream) {
  mla_prepare_args_check(a, "cuda_mla_prepare_separate");
  const int64_t T = a.n_tokens;
  if (T == 0) return;
  if (a.q_latent != nullptr) {
    cuda_rmsnorm_strided(a.q_latent, a.q_latent_stride, a.q_a_norm, T, 1, a.q_lora, a.eps,
                         a.q_latent, a.q_latent_stride, stream);
  }
  RopeArgs r;
  r.positions = a.positions;
  r.inv_freq = a.inv_freq;
  r.n_tokens = T;
  r.dim = a.rope_dim;
  r.attention_factor = a.attention_factor;
  r.pairing = a.pairing;
  if (a.kv != nullptr) {
    cuda_rmsnorm_strided(a.kv, a.kv_stride, a.kv_a_norm, T, 1, a.lora, a.eps, a.kv, a.kv_stride,
                         stream);
    RopeArgs rk = r;
    rk.x = a.kv + a.lora;
    rk.token_stride = a.kv_stride;
    rk.n_heads = 1;
    rk.head_stride = a.rope_dim;
    cuda_rope_apply(rk, stream);
    cuda_kv_append(a.kv, a.kv_stride, T, a.lora + a.rope_dim, a.slots, a.cache, a.cache_stride,
                   stream);
  }
  if (a.q == nullptr) return;
  RopeArgs rq = r;
  rq.x = a.q;
  rq.token_stride = a.q_stride;
  rq.n_heads = a.n_heads;
  rq.head_stride = a.head_stride;
  rq.rot_offset = a.rot_offset;
  cuda_rope_apply(rq, stream);
  if (a.n_pe_rows == 0) return;
  CopyHeadsArgs cp;
  cp.src = a.q + a.rot_offset;
  cp.src_token_stride = a.q_stride;
  cp.src_head_stride = a.head_stride;
  cp.dst = a.q_pe_out;
  cp.dst_token_stride = a.q_pe_token_stride;
  cp.dst_head_stride = a.q_pe_head_stride;
  cp.tokens = a.n_pe_rows;
  cp.heads = a.n_heads;
  cp.width = a.rope_dim;
  cuda_copy_heads(cp, stream);
}

}  // namespace moebench
