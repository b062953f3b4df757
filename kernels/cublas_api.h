// cublas_api: the cuBLAS entry points moebench calls, resolved from libcublas.so.<major> on first
// use instead of linked. A linked cuBLAS made every process load libcublasLt (541 MB) and run its
// initializers at start, GPU or not: about 0.4 s of CPU (over 1 s on a loaded 2-core machine) for
// each `moebench` and test process, most of which never multiply on a GPU.
#pragma once

#include <cublas_v2.h>

#include "common/error.h"

namespace moebench {

// cuBLAS could not be loaded: the library is not on the loader's path, or is not the one the
// headers name (an entry point missing). The system's doing, neither bad input nor a bug: an
// EnvironmentError, which the CLI reports as "moebench: error: ..." with exit 6. The CUDA engine
// loads it when it starts (its cuBLAS handle), so a run, `serve` or `model bench` stops there.
class CublasLoadError : public EnvironmentError {
 public:
  using EnvironmentError::EnvironmentError;
};

// NOTE: cublas_api.h overloads these two in C++ (the legacy cublasDataType_t forms), so decltype
// cannot name them: the C entry points' own signatures.
using CublasGemmEx = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int,
                                        int, int, const void*, const void*, cudaDataType, int,
                                        const void*, cudaDataType, int, const void*, void*,
                                        cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
using CublasGemmStridedBatchedEx = cublasStatus_t (*)(
    cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*, const void*,
    cudaDataType, int, long long, const void*, cudaDataType, int, long long, const void*, void*,
    cudaDataType, int, long long, int, cublasComputeType_t, cublasGemmAlgo_t);

struct CublasApi {
  decltype(&cublasCreate) create;
  decltype(&cublasDestroy) destroy;
  decltype(&cublasSetStream) set_stream;
  decltype(&cublasSetPointerMode) set_pointer_mode;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasSetWorkspace) set_workspace;
  CublasGemmEx gemm_ex;
  CublasGemmStridedBatchedEx gemm_strided_batched_ex;
  decltype(&cublasGetStatusName) status_name;
  decltype(&cublasGetStatusString) status_string;
};

// The library file it loads: libcublas.so.<CUBLAS_VER_MAJOR> of the headers built against.
const char* cublas_library_name();

// Loads `library` (dlopen's name or path) and resolves every entry point. Throws CublasLoadError
// naming the file and the loader's error. (cublas_api() loads cublas_library_name(); tests name
// a file that is not there.)
CublasApi cublas_load(const char* library);

// cublas_load(cublas_library_name()) on the first call (thread-safe; a failed load is tried again
// on the next call), the library then loaded for the process's life.
const CublasApi& cublas_api();

}  // namespace moebench
