// kernels/cublas_api: cuBLAS resolved from its library on first use, not linked. Loading it needs
// no GPU, so this runs on the CPU machine too.
#include <string>

#include "tests/catch.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/cublas_api.h"
#endif

namespace moebench {

TEST_CASE("cublas_api loads this toolkit's cuBLAS and resolves every entry point", "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("built without CUDA: no cuBLAS to load");
#else
  CHECK(std::string(cublas_library_name()) == "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR));
  const CublasApi& api = cublas_api();
  CHECK(&api == &cublas_api());  // loaded once
  CHECK(api.create != nullptr);
  CHECK(api.destroy != nullptr);
  CHECK(api.set_stream != nullptr);
  CHECK(api.set_pointer_mode != nullptr);
  CHECK(api.set_math_mode != nullptr);
  CHECK(api.set_workspace != nullptr);
  CHECK(api.gemm_ex != nullptr);
  CHECK(api.gemm_strided_batched_ex != nullptr);
  // Calls that need no device: the resolved functions are cuBLAS's own.
  CHECK(std::string(api.status_name(CUBLAS_STATUS_NOT_INITIALIZED)) ==
        "CUBLAS_STATUS_NOT_INITIALIZED");
  CHECK(std::string(api.status_string(CUBLAS_STATUS_SUCCESS)).find("success") != std::string::npos);
#endif
}

}  // namespace moebench
