// Tensor: a plain row-major f32 array with its shape, the unit the CPU engine computes on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moebench {

struct Tensor {
  std::vector<int64_t> shape;  // row-major; a Linear weight is (out_features, in_features)
  std::vector<float> data;

  int64_t numel() const;
  int64_t dim(int i) const { return shape.at(i); }
  std::string shape_str() const;  // "[8, 1408, 2048]"
};

}  // namespace moebench
