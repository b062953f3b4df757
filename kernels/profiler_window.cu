// cuda_profiler_window: cudaProfilerStart / cudaProfilerStop.
#include <cuda_profiler_api.h>
#include <cuda_runtime.h>

#include "kernels/cuda_check.h"
#include "kernels/profiler_window.h"

namespace moebench {

void cuda_profiler_window(bool open) {
  if (open) {
    CUDA_CHECK(cudaProfilerStart());
  } else {
    CUDA_CHECK(cudaProfilerStop());
  }
}

}  // namespace moebench
