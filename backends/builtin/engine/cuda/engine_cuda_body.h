// What the CUDA engine's forward body needs: the paged KV pool, the launch context, and the two
// launch sequences (all layers; the lm_head over chosen rows). CUDA builds only.
#pragma once

#include <cstdint>

#include "backends/builtin/engine/cuda/engine_cuda_internal.h"
#include "backends/builtin/engine/cuda/engine_cuda_moe_path.h"
#include "backends/builtin/engine/router_spec.h"
#include "kernels/cuda_stream.h"
#include "kernels/gemm.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"

namespace moebench {

// Every layer's KV pages in one allocation. GQA: a K and a V cache per layer; MLA: one cache of
// [normed latent | roped k_pe] rows per layer, read as both K and V.
struct KvPool {
  DeviceBuffer<bf16_bits> memory;
  bf16_bits* base = nullptr;
  int page_size = 0;
  int64_t n_pages = 0;
  int64_t k_row = 0, v_row = 0;  // values per token per layer
  bool shared_kv = false;        // MLA
  int64_t layer_stride = 0;      // values per layer (K and V)

  bf16_bits* k(int layer) const { return base + layer * layer_stride; }
  bf16_bits* v(int layer) const {
    return shared_kv ? k(layer) : k(layer) + n_pages * page_size * k_row;
  }
};

struct BodyContext {
  const ModelConfig& config;
  const DevModel& model;
  const Workspace& ws;
  const KvPool& kv;
  CublasContext& blas;
  cudaStream_t stream = nullptr;
  const float* inv_freq = nullptr;  // device (rope_dim / 2)
  float attention_factor = 1.0f;
  RopePairing pairing = RopePairing::half;
  float scale = 1.0f;  // softmax scale
  RouterSpec router;
  MoePathRule moe;     // which expert kernels a step's tokens take
  bool fused = false;  // CudaEngineOptions::kernels: fused or wgmma
  bool wgmma = false;  // CudaEngineOptions::kernels: wgmma
};

// Layer pieces engine_cuda_layers.cpp and engine_cuda_moe.cpp share.
// f32 output (router and gate logits). With x_lo, the input is x + x_lo (an f32 input carried as
// two bf16: one pass in the skinny kernel, two GEMMs in cuBLAS).
GemmArgs linear_f32_args(const bf16_bits* x, int64_t rows, const DevLinear& l, float* y,
                         const bf16_bits* x_lo);
void linear_f32(const BodyContext& b, const bf16_bits* x, int64_t rows, const DevLinear& l,
                float* y, const bf16_bits* x_lo = nullptr);
// y (T, hidden) = down(silu(gate(h)) * up(h)) with gate|up stacked.
void swiglu_mlp(const BodyContext& b, int64_t T, const DevLinear& gu, const DevLinear& down,
                bf16_bits* y);
// Routed experts (+ shared) of ws.h into the combine's args (engine_cuda_moe.cpp); norm: the
// post-attention norm, done in the router's launch (from post_norm_args).
MoeCombineArgs moe_layer(const BodyContext& b, const StepView& s, int layer,
                         const RouterNormArgs* norm);
// The post-attention norm as a MoE layer's router launch takes it (decode, fused, up to 4 tokens),
// or x null where the norm runs on its own.
RouterNormArgs post_norm_args(const BodyContext& b, const DevLayer& L, int64_t T);

// Embedding, all layers and the final norm: ws.h holds the final-normed rows afterwards.
void run_body(const BodyContext& b, const StepView& s);
// ws.logits (n_rows, vocab) = lm_head(ws.h[rows[i]]) for device row indices `rows` (nullptr:
// rows 0 .. n_rows - 1, read in place: no gather launch). With
// to_sample and the fused kernels, up to kGemmSkinnyAutoMaxM rows, the GEMV also leaves each row's
// greedy pick in ws.argmax and returns it (for SampleArgs::argmax, which resets it); else nullptr.
uint64_t* run_logits(const BodyContext& b, const int32_t* rows, int64_t n_rows,
                     bool to_sample = false);

}  // namespace moebench
