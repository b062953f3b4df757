// The host side of the TMA loads: a 3-D bf16 tensor as the driver's tiled tensor map sees it, its
// checks against the driver's documented limits, and its geometry. Pure arithmetic here (the CPU
// tests check it); the encoding asks the driver (kernels/tma_map_encode.h).
#pragma once

#include <cstdint>
#include <string>

namespace moebench {

// A 3-D bf16 tensor, innermost dimension first: element (i0, i1, i2) at i0 + i1 * strides[0] +
// i2 * strides[1] elements from its base. Boxes of box[0] x box[1] x box[2] elements land in
// shared memory as box[1] * box[2] rows of box[0] values (128 bytes: one 128B-swizzle row).
// names: the dimensions' names for messages (e.g. "head dim", "head", "token").
struct TmaTensor3 {
  int64_t dims[3] = {0, 0, 0};
  int64_t strides[2] = {0, 0};
  int box[3] = {64, 1, 1};
  const char* names[3] = {"dim 0", "dim 1", "dim 2"};
};

// The driver's sizes: globalDim, globalStrides (bytes) and boxDim, innermost first.
struct TmaGeometry {
  uint64_t dims[3] = {0, 0, 0};
  uint64_t strides[2] = {0, 0};
  uint32_t box[3] = {0, 0, 0};
};

// Empty when t fits the driver's limits for a tiled, 128B-swizzled bf16 map (every dimension 1 ..
// 2^32; byte strides multiples of 16 below 2^40; box sides 1 .. 256, its rows 128 bytes) and,
// stricter than the driver, each stride spans the dimensions inside it (no overlapping rows);
// else what fails, naming the dimension.
inline std::string tma_problem(const TmaTensor3& t) {
  constexpr int64_t kBf16 = 2;
  constexpr int64_t kMaxDim = int64_t{1} << 32, kMaxStride = int64_t{1} << 40;
  for (int i = 0; i < 3; ++i) {
    if (t.dims[i] < 1 || t.dims[i] > kMaxDim) {
      return std::string(t.names[i]) + " count " + std::to_string(t.dims[i]) + " not in 1 .. 2^32";
    }
    if (t.box[i] < 1 || t.box[i] > 256) {
      return std::string(t.names[i]) + " box side " + std::to_string(t.box[i]) + " not in 1 .. 256";
    }
  }
  if (t.box[0] * kBf16 != 128) return "the box's rows must be 128 bytes (the 128B swizzle)";
  for (int i = 0; i < 2; ++i) {
    const int64_t bytes = t.strides[i] * kBf16;
    if (bytes % 16 != 0 || bytes < 16 || bytes >= kMaxStride) {
      return std::string(t.names[i + 1]) + " stride " + std::to_string(bytes) +
             " bytes: not a multiple of 16 below 2^40";
    }
  }
  if (t.strides[0] < t.dims[0]) {
    return std::string(t.names[1]) + " stride below the " + t.names[0] + " count (overlap)";
  }
  if (t.strides[1] < t.strides[0] * t.dims[1]) {
    return std::string(t.names[2]) + " stride below " + t.names[1] + "s x their stride (overlap)";
  }
  return {};
}

inline TmaGeometry tma_geometry(const TmaTensor3& t) {
  TmaGeometry g;
  for (int i = 0; i < 3; ++i) {
    g.dims[i] = static_cast<uint64_t>(t.dims[i]);
    g.box[i] = static_cast<uint32_t>(t.box[i]);
  }
  for (int i = 0; i < 2; ++i) g.strides[i] = static_cast<uint64_t>(t.strides[i]) * 2;
  return g;
}

}  // namespace moebench
