// The GemmArgs of MLA's per-head absorb GEMMs at decode, in the CUDA engine's layouts, for the
// GEMM tests (pointers left null).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace moebench::test {

// DeepSeek-V2-Lite and V3 share these head dims; kv_b holds per head [W_UK (nope x lora) |
// W_UV (v x lora)] rows, so both weights step (nope + v) * lora between heads.
constexpr int64_t kMlaNope = 128, kMlaRope = 64, kMlaV = 128, kMlaLora = 512;

// q_lat[h] (m, lora) = q_nope[h] (m, nope) · W_UK[h] (nope, lora): B (k, n), not transposed. A is
// the queries (m, heads x (nope + rope)); C the absorbed queries (m, heads x (lora + rope)).
inline GemmArgs mla_q_absorb_args(int heads, int64_t m) {
  GemmArgs g;
  g.m = m;
  g.n = kMlaLora;
  g.k = kMlaNope;
  g.batch = heads;
  g.lda = heads * (kMlaNope + kMlaRope);
  g.stride_a = kMlaNope + kMlaRope;
  g.b_transposed = false;
  g.ldb = kMlaLora;
  g.stride_b = (kMlaNope + kMlaV) * kMlaLora;
  g.ldc = heads * (kMlaLora + kMlaRope);
  g.stride_c = kMlaLora + kMlaRope;
  g.algo = GemmAlgo::skinny;
  return g;
}

// out[h] (m, v) = olat[h] (m, lora) · W_UV[h]^T, W_UV[h] (v, lora): a transposed B. A is the
// attention's latent output (m, heads x lora); C the heads' values (m, heads x v).
inline GemmArgs mla_out_absorb_args(int heads, int64_t m) {
  GemmArgs g;
  g.m = m;
  g.n = kMlaV;
  g.k = kMlaLora;
  g.batch = heads;
  g.lda = heads * kMlaLora;
  g.stride_a = kMlaLora;
  g.ldb = kMlaLora;
  g.stride_b = (kMlaNope + kMlaV) * kMlaLora;
  g.ldc = heads * kMlaV;
  g.stride_c = kMlaV;
  g.algo = GemmAlgo::skinny;
  return g;
}

}  // namespace moebench::test
