// The device's measured ceilings, taken in the same run as a benchmark so ratios compare like
// with like (REFERENCE.md): device-to-device copy bandwidth (read + write bytes per second) and
// the cuBLAS bf16 GEMM rate. CUDA builds only (callers guard with MOEBENCH_HAVE_CUDA).
#pragma once

#include <cstddef>
#include <cstdint>

namespace moebench {

class CublasContext;

// Best of `reps` cudaMemcpy device-to-device copies of `bytes`, counted as 2 * bytes moved.
double measure_copy_bandwidth(size_t bytes = size_t{2} << 30, int reps = 10);

// Best of `reps` cuBLAS bf16 GEMMs (m, n, k) with f32 accumulation, in FLOP/s (2 m n k / s).
double measure_gemm_flops(CublasContext& ctx, int64_t m = 8192, int64_t n = 8192, int64_t k = 8192,
                          int reps = 10);

}  // namespace moebench
