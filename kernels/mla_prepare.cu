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
#include "kernels/ops.h"
#include "kernels/pdl.cuh"
#include "kernels/rmsnorm_device.cuh"
#include "kernels/rope_device.cuh"

namespace moebench {
namespace {

// NOTE: query heads are staged this many f32 at a time (16 KB): the in-place interleaved pairing
// writes element i from elements 2i and 2i + 1 of its head, so a head is read whole before any of
// it is written.
constexpr int kStageFloats = 4096;
constexpr int kMinThreads = 128;

// ----------------------------------------------------------------------------
// GPU kernels

__global__ void mla_prepare_kernel(MlaPrepareArgs a) {
  __shared__ float stage[kStageFloats];
  pdl_wait();
  pdl_trigger();
  const int64_t t = blockIdx.x;
  if (a.q_latent != nullptr) {
    uint16_t* row = a.q_latent + t * a.q_latent_stride;
    // NOTE: row_rms_inv's barrier orders the reads of the sum before the in-place writes.
    row_rms_scale(row, a.q_lora, row_rms_inv(row, a.q_lora, a.eps), a.q_a_norm, row);
  }
  const int half = a.rope_dim / 2;
  const float pos = a.positions != nullptr ? static_cast<float>(a.positions[t]) : 0.0f;
  if (a.kv != nullptr) {
    const uint16_t* src = a.kv + t * a.kv_stride;
    const int64_t slot = a.slots[t];
    const float inv = row_rms_inv(src, a.lora, a.eps);  // every thread: it syncs the block
    if (slot >= 0) {
      uint16_t* dst = a.cache + slot * a.cache_stride;
      row_rms_scale(src, a.lora, inv, a.kv_a_norm, dst);
      // k_pe: read from kv, written to the cache row, so no staging.
      for (int i = threadIdx.x; i < half; i += blockDim.x) {
        const int2 in = rope_in_index(a.pairing, half, i), out = rope_out_index(a.pairing, half, i);
        const float2 r = rope_rotate(bf16_load(src + a.lora + in.x), bf16_load(src + a.lora + in.y),
                                     a.inv_freq[i], pos, a.attention_factor);
        bf16_store(dst + a.lora + out.x, r.x);
        bf16_store(dst + a.lora + out.y, r.y);
      }
    }
  }
  if (a.q != nullptr) {
    const int heads_per_pass = max(1, kStageFloats / a.rope_dim);
    const bool pe_out = t < a.n_pe_rows;
    for (int h0 = 0; h0 < a.n_heads; h0 += heads_per_pass) {
      const int nh = min(heads_per_pass, a.n_heads - h0);
      for (int j = threadIdx.x; j < nh * a.rope_dim; j += blockDim.x) {
        const int h = h0 + j / a.rope_dim;
        stage[j] = bf16_load(a.q + t * a.q_stride + int64_t{h} * a.head_stride + a.rot_offset +
                             j % a.rope_dim);
      }
      __syncthreads();
      for (int j = threadIdx.x; j < nh * half; j += blockDim.x) {
        const int h = h0 + j / half, i = j % half;
        const float* buf = stage + (h - h0) * a.rope_dim;
        const int2 in = rope_in_index(a.pairing, half, i), out = rope_out_index(a.pairing, half, i);
        const float2 r = rope_rotate(buf[in.x], buf[in.y], a.inv_freq[i], pos, a.attention_factor);
        uint16_t* v = a.q + t * a.q_stride + int64_t{h} * a.head_stride + a.rot_offset;
        bf16_store(v + out.x, r.x);
        bf16_store(v + out.y, r.y);
        if (pe_out) {
          uint16_t* o = a.q_pe_out + t * a.q_pe_token_stride + int64_t{h} * a.q_pe_head_stride;
          bf16_store(o + out.x, r.x);
          bf16_store(o + out.y, r.y);
        }
      }
      __syncthreads();  // the stage is free for the next heads
    }
  }
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
