// Encodes the TMA tensor maps of kernels/tma_map.h through the driver's cuTensorMapEncodeTiled,
// found at run time (the build links the CUDA runtime only).
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <mutex>

#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/tma_map_encode.h"

namespace moebench {
namespace {

PFN_cuTensorMapEncodeTiled_v12000 encode_fn() {
  static std::once_flag once;
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  std::call_once(once, [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult found{};
    CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000,
                                                cudaEnableDefault, &found));
    if (found == cudaDriverEntryPointSuccess)
      fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  });
  return fn;
}

}  // namespace

CUtensorMap tma_encode(const void* base, const TmaTensor3& t, const char* entry,
                       const char* field) {
  const std::string problem = tma_problem(t);
  launch_require(problem.empty(), entry, field, ": TMA cannot describe it: ", problem);
  launch_require(reinterpret_cast<uintptr_t>(base) % 16 == 0, entry, field,
                 ": TMA needs a 16-byte aligned address");
  const PFN_cuTensorMapEncodeTiled_v12000 encode = encode_fn();
  launch_require(encode != nullptr, entry, "the driver has no cuTensorMapEncodeTiled (CUDA 12+)");
  const TmaGeometry g = tma_geometry(t);
  const cuuint32_t elem_strides[3] = {1, 1, 1};
  CUtensorMap map{};
  const CUresult r =
      encode(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<void*>(base), g.dims, g.strides,
             g.box, elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
             CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  launch_require(r == CUDA_SUCCESS, entry, field, ": cuTensorMapEncodeTiled failed (CUresult ",
                 static_cast<int>(r), ") for dims (", g.dims[0], ", ", g.dims[1], ", ", g.dims[2],
                 "), byte strides (", g.strides[0], ", ", g.strides[1], ")");
  return map;
}

}  // namespace moebench
