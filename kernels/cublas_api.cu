// cublas_api: libcublas loaded with dlopen on first use (see cublas_api.h for why).
#include <dlfcn.h>

#include <string>

#include "kernels/cublas_api.h"

#define MOEBENCH_CUBLAS_STR2(x) #x
#define MOEBENCH_CUBLAS_STR(x) MOEBENCH_CUBLAS_STR2(x)

namespace moebench {
namespace {

const char kLibrary[] = "libcublas.so." MOEBENCH_CUBLAS_STR(CUBLAS_VER_MAJOR);

template <typename F>
void resolve(void* lib, const char* library, F& out, const char* symbol) {
  out = reinterpret_cast<F>(dlsym(lib, symbol));
  if (out == nullptr) {
    const char* why = dlerror();
    throw CublasLoadError(std::string("cuBLAS: ") + library + " has no " + symbol + " (" +
                          (why != nullptr ? why : "not found") + ")");
  }
}

// NOTE: cublas_v2.h maps most names to their _v2 symbols by macro; MOEBENCH_CUBLAS_STR expands
// the macro first, so the symbol looked up is the one a linked call would bind.
#define MOEBENCH_CUBLAS_RESOLVE(field, fn) resolve(lib, library, api.field, MOEBENCH_CUBLAS_STR(fn))

}  // namespace

const char* cublas_library_name() { return kLibrary; }

CublasApi cublas_load(const char* library) {
  void* lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    throw CublasLoadError(std::string("cuBLAS: cannot load ") + library + " (" +
                          (why != nullptr ? why : "unknown error") +
                          "); the CUDA engine needs this CUDA toolkit's cuBLAS: add its "
                          "directory (e.g. /usr/local/cuda/lib64) to LD_LIBRARY_PATH");
  }
  CublasApi api{};
  MOEBENCH_CUBLAS_RESOLVE(create, cublasCreate);
  MOEBENCH_CUBLAS_RESOLVE(destroy, cublasDestroy);
  MOEBENCH_CUBLAS_RESOLVE(set_stream, cublasSetStream);
  MOEBENCH_CUBLAS_RESOLVE(set_pointer_mode, cublasSetPointerMode);
  MOEBENCH_CUBLAS_RESOLVE(set_math_mode, cublasSetMathMode);
  MOEBENCH_CUBLAS_RESOLVE(set_workspace, cublasSetWorkspace);
  MOEBENCH_CUBLAS_RESOLVE(gemm_ex, cublasGemmEx);
  MOEBENCH_CUBLAS_RESOLVE(gemm_strided_batched_ex, cublasGemmStridedBatchedEx);
  MOEBENCH_CUBLAS_RESOLVE(status_name, cublasGetStatusName);
  MOEBENCH_CUBLAS_RESOLVE(status_string, cublasGetStatusString);
  return api;  // NOTE: the library stays loaded for the process's life, as a linked one would.
}

const CublasApi& cublas_api() {
  static const CublasApi api = cublas_load(kLibrary);
  return api;
}

}  // namespace moebench
