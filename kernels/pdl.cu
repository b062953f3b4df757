// The set of streams marked for programmatic dependent launch (kernels/pdl.h): a fixed table read
// without a lock on every launch, written under one; and whether the device runs the waits.
#include <cuda_runtime.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "kernels/pdl.h"

namespace moebench {
namespace {

constexpr int kMaxStreams = 64;
std::atomic<cudaStream_t> g_marked[kMaxStreams];
std::atomic<int> g_count{0};  // marked streams: 0 (the usual case) answers without a scan
std::mutex g_write;

// Compiled like every kernel of the build: its PTX version says whether pdl_wait survived.
__global__ void pdl_probe_kernel() {}

}  // namespace

bool cuda_pdl_supported() {
  int device = 0, major = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
    cudaGetLastError();  // NOTE: clear the sticky-free error for the caller's next call
    return false;
  }
  cudaFuncAttributes attr{};
  if (cudaFuncGetAttributes(&attr, pdl_probe_kernel) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return major >= 9 && attr.ptxVersion >= 90;
}

void cuda_stream_set_pdl(cudaStream_t stream, bool on) {
  if (stream == nullptr) {
    if (on) throw std::invalid_argument("cuda_stream_set_pdl: the default stream cannot be marked");
    return;
  }
  std::lock_guard<std::mutex> lock(g_write);
  int free_slot = -1;
  for (int i = 0; i < kMaxStreams; ++i) {
    const cudaStream_t s = g_marked[i].load();
    if (s == stream) {
      if (!on) {
        g_marked[i].store(nullptr);
        g_count.fetch_sub(1);
      }
      return;
    }
    if (s == nullptr && free_slot < 0) free_slot = i;
  }
  if (!on) return;
  if (free_slot < 0) throw std::length_error("cuda_stream_set_pdl: 64 streams already marked");
  g_marked[free_slot].store(stream);
  g_count.fetch_add(1);
}

bool cuda_stream_pdl(cudaStream_t stream) {
  // NOTE: the legacy default stream is never marked.
  if (stream == nullptr || g_count.load(std::memory_order_relaxed) == 0) return false;
  for (int i = 0; i < kMaxStreams; ++i) {
    if (g_marked[i].load(std::memory_order_relaxed) == stream) return true;
  }
  return false;
}

}  // namespace moebench
