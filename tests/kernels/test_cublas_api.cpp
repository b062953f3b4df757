// kernels/cublas_api: cuBLAS resolved from its library on first use, not linked. Loading it needs
// no GPU, so this runs on the CPU machine too.
#include <string>

#include "tests/catch.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "common/error.h"
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

// A GPU run without libcublas on the loader's path said "internal error" (exit 1: a bug) where
// the system lacks a library (reviewer 90, K1): the load's error is an EnvironmentError, which
// the CLI reports as "moebench: error: ..." with exit 6 (cli_report_error), at the CUDA engine's
// start (its cuBLAS handle), before `serve` listens or a run sends a request.
TEST_CASE("a cuBLAS that cannot be loaded is an environment error naming the file", "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("built without CUDA: no cuBLAS to load");
#else
  const char* missing = "libcublas.so.0-moebench-test-missing";
  try {
    cublas_load(missing);
    FAIL("loaded " << missing);
  } catch (const EnvironmentError& e) {
    const std::string what = e.what();
    CHECK(what.rfind(std::string("cuBLAS: cannot load ") + missing + " (", 0) == 0);
    CHECK(what.find("LD_LIBRARY_PATH") != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  } catch (const std::exception& e) {
    FAIL("not an EnvironmentError: " << e.what());
  }
#endif
}

}  // namespace moebench
