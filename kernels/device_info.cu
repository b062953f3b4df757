// gpu_list() through the CUDA runtime.
#include <cuda_runtime.h>

#include "kernels/device_info.h"

namespace moebench {

std::vector<GpuInfo> gpu_list(std::string* reason) {
  std::vector<GpuInfo> out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (reason) *reason = cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error so later CUDA users start clean
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out.push_back(
        {i, prop.name, prop.totalGlobalMem, prop.multiProcessorCount, prop.major, prop.minor});
  }
  if (out.empty() && reason) *reason = "no CUDA device";
  return out;
}

}  // namespace moebench
