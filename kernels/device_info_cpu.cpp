// gpu_list() for builds without CUDA.
#include "kernels/device_info.h"

#ifndef MOEBENCH_HAVE_CUDA
namespace moebench {

std::vector<GpuInfo> gpu_list(std::string* reason) {
  if (reason) *reason = "built without CUDA (MOEBENCH_CUDA=OFF or no nvcc)";
  return {};
}

}  // namespace moebench
#endif
