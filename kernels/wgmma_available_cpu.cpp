// The sm_90a kernels' availability for builds without CUDA: none (callers skip or refuse).
#ifndef MOEBENCH_HAVE_CUDA
#include "kernels/attention.h"
#include "kernels/grouped_gemm.h"

namespace moebench {

bool cuda_prefill_attention_wgmma_available() { return false; }
bool cuda_grouped_gemm_wgmma_available() { return false; }

}  // namespace moebench
#endif
