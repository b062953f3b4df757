// What GPUs this process can see, for run.json's host record. Empty without CUDA or a device.
#pragma once

#include <string>
#include <vector>

namespace moebench {

struct GpuInfo {
  int index = 0;
  std::string name;
  size_t memory_bytes = 0;
  int sm_count = 0;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
};

// Never throws: a CUDA error (no driver, no device) yields an empty list and a reason.
std::vector<GpuInfo> gpu_list(std::string* reason = nullptr);

}  // namespace moebench
