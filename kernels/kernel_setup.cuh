// One-time, per-device kernel setup shared by the tensor-core kernels: opting in to more than
// 48 KB of dynamic shared memory and refusing a build for a virtual arch below compute_80.
#pragma once

#include <cuda_runtime.h>

#include <mutex>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"

namespace moebench {

// Runs setup() once per device for each call site (each lambda type has its own flags), under a
// lock so concurrent first calls are safe. Do the first call outside CUDA graph capture.
template <typename Setup>
void once_per_device(Setup setup) {
  static std::mutex mu;
  static std::vector<bool> done;
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mu);
  if (done.size() <= static_cast<size_t>(device)) done.resize(device + 1, false);
  if (done[device]) return;
  setup();
  done[device] = true;
}

// Throws std::invalid_argument naming entry when kernel was built for a virtual arch below
// compute_80 (bf16 wmma would trap), with a configure hint.
inline void require_bf16_tensor_cores(const void* kernel, const char* entry) {
  cudaFuncAttributes attr{};
  CUDA_CHECK(cudaFuncGetAttributes(&attr, kernel));
  launch_require(attr.ptxVersion >= 80, entry, "kernel built for compute_", attr.ptxVersion,
                 ", needs >= 80 (bf16 tensor cores) ---> HINT: configure with "
                 "-DCMAKE_CUDA_ARCHITECTURES=90");
}

}  // namespace moebench
