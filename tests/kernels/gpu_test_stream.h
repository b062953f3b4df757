// A CUDA stream per [gpu] test, so the launchers' stream argument is exercised rather than only
// the default stream. CUDA builds only.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"

namespace moebench {

struct TestStream {
  cudaStream_t s = nullptr;
  TestStream() { CUDA_CHECK(cudaStreamCreate(&s)); }
  ~TestStream() { cudaStreamDestroy(s); }
  TestStream(const TestStream&) = delete;
  TestStream& operator=(const TestStream&) = delete;
  void sync() const { CUDA_CHECK(cudaStreamSynchronize(s)); }
};

}  // namespace moebench
