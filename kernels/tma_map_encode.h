// Encoding a TMA tensor map (CUDA builds): kernels/tma_map.cu.
#pragma once

#include <cuda.h>

#include "kernels/tma_map.h"

namespace moebench {

// The tensor map of t starting at base (16-byte aligned), tiled, 128B-swizzled, zeros out of
// bounds. Throws std::invalid_argument naming entry and field where TMA cannot describe t
// (tma_problem) or the driver refuses it.
CUtensorMap tma_encode(const void* base, const TmaTensor3& t, const char* entry, const char* field);

}  // namespace moebench
