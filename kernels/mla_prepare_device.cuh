// cuda_mla_prepare's work for one token, by a whole block: its own kernel (a block per token)
// and the launch beside the q absorb's GEMV blocks (mla_prepare_absorb.cu) both run it, so both
// give the same bits.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/mla_prepare.h"
#include "kernels/rmsnorm_device.cuh"
#include "kernels/rope_device.cuh"

namespace moebench {

// NOTE: query heads are staged this many f32 at a time (16 KB): the in-place interleaved pairing
// writes element i from elements 2i and 2i + 1 of its head, so a head is read whole before any of
// it is written.
constexpr int kMlaStageFloats = 4096;
// Floats of lane partials a block with fewer threads than a norm's lanes needs (row_rms_inv_lanes).
constexpr int kMlaNormLanes = 1024;

// A latent row's norm scale: row_rms_inv when the block has its lanes, else through part.
__device__ __forceinline__ float mla_rms_inv(const uint16_t* x, int dim, float eps, float* part) {
  return static_cast<int>(blockDim.x) >= rmsnorm_row_threads(dim)
             ? row_rms_inv(x, dim, eps)
             : row_rms_inv_lanes(x, dim, eps, part);
}

// Token t of a (the latents' norms, k_pe's rotation and cache append, the queries' rotation), by
// every thread of a block of any multiple of 32 threads. stage: kMlaStageFloats floats of shared
// memory; part: kMlaNormLanes more, read only when the block has fewer threads than a norm's lanes
// (may be null otherwise).
__device__ __forceinline__ void mla_prepare_token(const MlaPrepareArgs& a, int64_t t, float* stage,
                                                  float* part) {
  if (a.q_latent != nullptr) {
    uint16_t* row = a.q_latent + t * a.q_latent_stride;
    // NOTE: the norm's last barrier orders the reads of the sum before the in-place writes.
    row_rms_scale(row, a.q_lora, mla_rms_inv(row, a.q_lora, a.eps, part), a.q_a_norm, row);
  }
  const int half = a.rope_dim / 2;
  const float pos = a.positions != nullptr ? static_cast<float>(a.positions[t]) : 0.0f;
  if (a.kv != nullptr) {
    const uint16_t* src = a.kv + t * a.kv_stride;
    const int64_t slot = a.slots[t];
    const float inv = mla_rms_inv(src, a.lora, a.eps, part);  // every thread: it syncs the block
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
    const int heads_per_pass = max(1, kMlaStageFloats / a.rope_dim);
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

}  // namespace moebench
