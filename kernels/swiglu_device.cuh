// The SwiGLU activation on the device, one definition for cuda_swiglu and the grouped GEMMs that
// form their input rows from [gate | up] as they load them (so both paths round the same values).
#pragma once

#include <cuda_runtime.h>

namespace moebench {

// silu(g) * u in f32.
// NOTE: expf, not __expf: the CPU engine uses std::exp and the tests compare against it.
__device__ __forceinline__ float swiglu_f32(float g, float u) { return g / (1.0f + expf(-g)) * u; }

}  // namespace moebench
