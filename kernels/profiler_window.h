// The window a profiler started with `--profile-from-start off` (Nsight Compute, Nsight Systems)
// records: opened and closed around the work worth profiling, so a run's set-up (weight fill,
// ceilings, prefill) is not profiled. No-ops without a profiler. CUDA builds only (callers guard
// with MOEBENCH_HAVE_CUDA).
#pragma once

namespace moebench {

// open: cudaProfilerStart; !open: cudaProfilerStop. Throws std::runtime_error on a CUDA error.
void cuda_profiler_window(bool open);

}  // namespace moebench
