// The CUDA engine: bf16 weights in one device allocation, f32 accumulation, a paged KV cache
// shared by all sequences, GPU sampling, and CUDA graphs for decode steps. Declared for every
// build; defined only when built with CUDA (MOEBENCH_HAVE_CUDA).
#pragma once

#include <filesystem>
#include <memory>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/engine.h"
#include "backends/builtin/engine/kernel_set.h"

namespace moebench {

struct CudaEngineOptions {
  int device = 0;                   // CUDA device ordinal
  double kv_memory_fraction = 0.9;  // of the memory free after weights and workspaces
  int page_size = 64;               // tokens per KV page
  int max_batch = 256;              // sequences per decode step (CUDA graph sizes up to this)
  int max_step_tokens = 16384;      // tokens per forward (prefill chunks are split above this)
  int max_context = 32768;          // longest sequence; 0 = the model's max_position_embeddings
  bool cuda_graphs = true;
  // fused: the fused launches (MLA's norm + rope + cache append in one kernel; decode's routing
  // and placement in one, with the router GEMV up to 4 tokens; the permute's gather inside the
  // routed experts' up GEMM and the SwiGLU inside their down GEMM, and in the shared and dense
  // MLPs' down GEMV up to 4 tokens; the combine inside the next norm; decode attention's chunk
  // merge in its last partial block) instead of the separate ones. Both give the same bits by
  // construction; the separate path is the default until a device run has verified the fused one
  // (tests/engine/test_cuda_engine_fused.cpp, scripts/device_run.sh). wgmma: fused, and from
  // 16 tokens a step the routed experts on cuda_grouped_gemm_wgmma, up to 4 the MLA absorb
  // GEMMs on the skinny kernels, prefill attention on register tiles (see KernelSet); the engine
  // refuses it at load without sm_90a code.
  KernelSet kernels = KernelSet::separate;
  // Programmatic dependent launch on the engine's stream (kernels/pdl.h): each converted kernel
  // starts while the one before it finishes (a GEMV pulling its weights toward L2 meanwhile) and
  // waits for it before reading its output; the same values, shorter gaps. Off until a device
  // run has measured and verified it.
  bool programmatic_launch = false;
};

// True when this build has CUDA and a device is present.
bool cuda_engine_available();

// Loads the checkpoint in `dir` (config already parsed) straight to the GPU in bf16. Throws
// InputError naming the tensor on a bad checkpoint, std::runtime_error on CUDA failures.
std::unique_ptr<Engine> make_cuda_engine(const ModelConfig& config,
                                         const std::filesystem::path& dir,
                                         const CudaEngineOptions& options);

}  // namespace moebench
