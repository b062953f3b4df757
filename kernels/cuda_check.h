// CUDA_CHECK / CUBLAS_CHECK / KERNEL_CHECK: the one error family for CUDA code. Each failure names
// the statement, file:line and current device, and throws std::runtime_error.
#pragma once

#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace moebench {

[[noreturn]] inline void cuda_throw(const char* what, const std::string& err, const char* file,
                                    int line) {
  int device = -1;
  cudaGetDevice(&device);
  throw std::runtime_error(std::string(what) + " failed: " + err + " at " + file + ":" +
                           std::to_string(line) + " (device " + std::to_string(device) + ")");
}

}  // namespace moebench

#define CUDA_CHECK(stmt)                                                                    \
  do {                                                                                      \
    const cudaError_t moebench_err_ = (stmt);                                               \
    if (moebench_err_ != cudaSuccess) {                                                     \
      ::moebench::cuda_throw(#stmt, cudaGetErrorString(moebench_err_), __FILE__, __LINE__); \
    }                                                                                       \
  } while (0)

#define CUBLAS_CHECK(stmt)                                                                        \
  do {                                                                                            \
    const cublasStatus_t moebench_st_ = (stmt);                                                   \
    if (moebench_st_ != CUBLAS_STATUS_SUCCESS) {                                                  \
      ::moebench::cuda_throw(#stmt, std::string("cuBLAS status ") + std::to_string(moebench_st_), \
                             __FILE__, __LINE__);                                                 \
    }                                                                                             \
  } while (0)

// After every <<<...>>>: launch-configuration errors surface here, not at the next sync.
#define KERNEL_CHECK() CUDA_CHECK(cudaGetLastError())
