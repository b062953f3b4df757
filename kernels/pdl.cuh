// Programmatic dependent launch on the device side: the wait and the trigger each converted kernel
// calls, an L2 prefetch of the weights it will read before it waits, and the launch helper that
// sets the launch attribute on streams marked by cuda_stream_set_pdl.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/cuda_check.h"
#include "kernels/pdl.h"

namespace moebench {

// Waits until the previous kernel in the stream has completed and its writes are visible. Every
// converted kernel calls it before its first access to data another kernel writes (or reads and
// this one writes). A no-op when the kernel was launched without the attribute.
__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

// Lets the next kernel in the stream launch once every block of this one has called it (or
// exited). Converted kernels call it right after pdl_wait, so at most two kernels overlap.
__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// Pulls [p, p + bytes) into L2, the 128-byte lines it touches spread over the block's threads:
// read-only data (weights) a kernel may fetch before its pdl_wait.
// NOTE: from p's line, so a range starting mid-line also gets its last line; every prefetched
// address lies in a line the range touches.
__device__ __forceinline__ void l2_prefetch(const void* p, size_t bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p), end = begin + bytes;
  for (uintptr_t line = (begin & ~uintptr_t{127}) + static_cast<uintptr_t>(threadIdx.x) * 128;
       line < end; line += static_cast<uintptr_t>(blockDim.x) * 128) {
    asm volatile("prefetch.global.L2 [%0];\n" ::"l"(line));
  }
#endif
}

// Pulls `rows` rows of row_bytes each, ld_bytes apart from p, into L2: a column slice of a
// row-major weight, the 128-byte lines of every row spread over the block's threads.
__device__ __forceinline__ void l2_prefetch_rows(const void* p, size_t ld_bytes, int64_t rows,
                                                 size_t row_bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  // NOTE: a row starting mid-line touches one line more than its length in lines, rounded up.
  const int64_t lines = static_cast<int64_t>((row_bytes + 127) / 128) + 1;
  for (int64_t i = threadIdx.x; i < rows * lines; i += blockDim.x) {
    const uintptr_t row =
        reinterpret_cast<uintptr_t>(p) + static_cast<size_t>(i / lines) * ld_bytes;
    const uintptr_t line = (row & ~uintptr_t{127}) + static_cast<uintptr_t>(i % lines) * 128;
    if (line < row + row_bytes) asm volatile("prefetch.global.L2 [%0];\n" ::"l"(line));
  }
#endif
}

// kernel<<<grid, block, smem, stream>>>(args...), with the programmatic-serialization attribute
// when the stream is marked (cuda_stream_set_pdl). The kernel must call pdl_wait first.
template <typename... KernelArgs, typename... Args>
void pdl_launch(void (*kernel)(KernelArgs...), dim3 grid, dim3 block, size_t smem,
                cudaStream_t stream, Args&&... args) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  if (cuda_stream_pdl(stream)) {
    config.attrs = attr;
    config.numAttrs = 1;
  }
  CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

}  // namespace moebench
