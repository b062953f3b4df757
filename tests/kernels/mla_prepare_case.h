// Test inputs for cuda_mla_prepare / ref_mla_prepare: host buffers with padded strides, a skipped
// slot and untouched cache rows, and the expected result composed from the separate references
// (ref_rmsnorm_strided, ref_rope_apply, ref_kv_append and a copy), which the fused op must equal.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "kernels/engine_glue.h"
#include "kernels/mla_prepare.h"
#include "kernels/reference.h"
#include "tests/kernels/kernel_compare.h"

namespace moebench::test {

struct MlaPrepareCase {
  MlaPrepareArgs args;  // sizes and strides; the pointers are left null
  MlaPrepareHost host;
};

// T tokens; q_lora 0 leaves the query latent out, n_heads 0 the queries; n_pe_rows of them also
// copy their q_pe out. Token 1 (when T > 1) has slot -1; cache rows are 2T, half never written.
inline MlaPrepareCase mla_prepare_case(int64_t T, int q_lora, int lora, int rope_dim, int n_heads,
                                       int nope, RopePairing pairing, int64_t n_pe_rows,
                                       uint32_t seed) {
  MlaPrepareCase c;
  MlaPrepareArgs& a = c.args;
  MlaPrepareHost& h = c.host;
  a.n_tokens = T;
  a.rope_dim = rope_dim;
  a.pairing = pairing;
  a.attention_factor = 1.25f;
  h.positions.resize(T);
  for (int64_t t = 0; t < T; ++t) h.positions[t] = static_cast<int32_t>((t * 977 + seed) % 4096);
  for (int i = 0; i < rope_dim / 2; ++i) {
    h.inv_freq.push_back(static_cast<float>(std::pow(10000.0, -2.0 * i / rope_dim)));
  }
  if (q_lora > 0) {
    a.q_lora = q_lora;
    a.q_latent_stride = q_lora + 5;
    h.q_latent = random_bf16(T * a.q_latent_stride, seed + 1);
    h.q_a_norm = random_bf16(q_lora, seed + 2, 0.5f, 1.5f);
  }
  a.lora = lora;
  a.kv_stride = lora + rope_dim + 3;
  a.cache_stride = lora + rope_dim + 4;
  h.kv = random_bf16(T * a.kv_stride, seed + 3);
  h.kv_a_norm = random_bf16(lora, seed + 4, 0.5f, 1.5f);
  h.cache.assign(2 * T * a.cache_stride, 7.0f);
  for (int64_t t = 0; t < T; ++t)
    h.slots.push_back(t == 1 ? -1 : static_cast<int32_t>(2 * T - 1 - t));
  if (n_heads > 0) {
    a.n_heads = n_heads;
    a.head_stride = nope + rope_dim;
    a.rot_offset = nope;
    a.q_stride = int64_t{n_heads} * a.head_stride;
    h.q = random_bf16(T * a.q_stride, seed + 5);
    a.n_pe_rows = n_pe_rows;
    a.q_pe_head_stride = rope_dim + 3;
    a.q_pe_token_stride = int64_t{n_heads} * a.q_pe_head_stride + 1;
    if (n_pe_rows > 0) h.q_pe_out.assign(n_pe_rows * a.q_pe_token_stride, 7.0f);
  }
  return c;
}

// What the separate launches leave in each buffer, by their references.
inline MlaPrepareHost mla_prepare_separate(const MlaPrepareCase& c) {
  const MlaPrepareArgs& a = c.args;
  MlaPrepareHost h = c.host;
  const int64_t T = a.n_tokens;
  if (!h.q_latent.empty()) {
    ref_rmsnorm_strided(h.q_latent, a.q_latent_stride, h.q_a_norm, T, 1, a.q_lora, a.eps,
                        h.q_latent, a.q_latent_stride);
  }
  RopeArgs r;
  r.n_tokens = T;
  r.dim = a.rope_dim;
  r.attention_factor = a.attention_factor;
  r.pairing = a.pairing;
  std::vector<float> kv = h.kv;
  ref_rmsnorm_strided(kv, a.kv_stride, h.kv_a_norm, T, 1, a.lora, a.eps, kv, a.kv_stride);
  RopeArgs rk = r;
  rk.token_stride = a.kv_stride;
  rk.n_heads = 1;
  rk.head_stride = static_cast<int>(a.kv_stride);
  rk.rot_offset = a.lora;
  ref_rope_apply(kv, h.positions, h.inv_freq, rk);
  ref_kv_append(kv, a.kv_stride, T, a.lora + a.rope_dim, h.slots, h.cache, a.cache_stride);
  if (!h.q.empty()) {
    RopeArgs rq = r;
    rq.token_stride = a.q_stride;
    rq.n_heads = a.n_heads;
    rq.head_stride = a.head_stride;
    rq.rot_offset = a.rot_offset;
    ref_rope_apply(h.q, h.positions, h.inv_freq, rq);
    for (int64_t t = 0; t < a.n_pe_rows; ++t) {
      for (int hd = 0; hd < a.n_heads; ++hd) {
        for (int i = 0; i < a.rope_dim; ++i) {
          h.q_pe_out[t * a.q_pe_token_stride + int64_t{hd} * a.q_pe_head_stride + i] =
              h.q[t * a.q_stride + int64_t{hd} * a.head_stride + a.rot_offset + i];
        }
      }
    }
  }
  return h;
}

}  // namespace moebench::test
