// Encoding a TMA tensor map (CUDA builds): kernels/tma_map.cu.
#pragma once

#include <cuda.h>

#include "kernels/tma_map.h"

namespace moebench {

// The tensor map of rows starting at base (16-byte aligned), tiled, 128B-swizzled, zeros out of
// bounds. Throws std::invalid_argument naming entry and field where TMA cannot describe rows
// (tma_rows_problem) or the driver refuses them.
CUtensorMap tma_encode_rows(const void* base, const TmaRows& rows, const char* entry,
                            const char* field);

}  // namespace moebench
