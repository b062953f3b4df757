// wgmma_code_present: a one-thread probe kernel per device, cached.
#include <cuda_runtime.h>

#include <mutex>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/wgmma_device.cuh"
#include "kernels/wgmma_probe.h"

namespace moebench {
namespace {

// Writes 1 when this build holds the sm_90a code (the feature macro is set per target).
__global__ void wgmma_probe_kernel(int* out) {
#if defined(MOEBENCH_WGMMA_DEVICE)
  *out = 1;
#else
  *out = 0;
#endif
}

bool probe() {
  int* flag = nullptr;
  CUDA_CHECK(cudaMalloc(&flag, sizeof(int)));
  int host = 0;
  wgmma_probe_kernel<<<1, 1>>>(flag);
  const cudaError_t launched = cudaGetLastError();
  const cudaError_t copied = cudaMemcpy(&host, flag, sizeof(int), cudaMemcpyDeviceToHost);
  cudaFree(flag);
  CUDA_CHECK(launched);
  CUDA_CHECK(copied);
  return host == 1;
}

}  // namespace

bool wgmma_code_present() {
  static std::mutex mu;
  static std::vector<int> known;  // per device: -1 not asked yet, else 0 / 1
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mu);
  if (known.size() <= static_cast<size_t>(device)) known.resize(device + 1, -1);
  if (known[device] < 0) {
    int major = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    known[device] = major == 9 && probe() ? 1 : 0;
  }
  return known[device] == 1;
}

}  // namespace moebench
